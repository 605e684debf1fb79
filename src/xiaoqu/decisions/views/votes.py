"""Vote pages for staff: the estate's votes, a new vote, one vote's page, opening and closing."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, requires
from xiaoqu.decisions import selectors, services
from xiaoqu.decisions.forms import VoteForm
from xiaoqu.decisions.models import Vote, VoteScope, VoteStatus
from xiaoqu.decisions.rules import CHASE_TURNOUT, ENTER_BALLOTS, MANAGE_VOTES, VIEW_VOTES
from xiaoqu.registry.models import Building, Entrance, Estate

ESTATE = Lookup(Estate, "estate_id")
VOTE = Lookup(Vote, "vote_id", select_related=("estate", "building", "entrance"))


def shown_votes() -> QuerySet[Vote]:
    """The votes residents may read: open or after (a draft is for staff, on the staff page)."""
    return Vote.objects.exclude(status=VoteStatus.DRAFT)


SHOWN_VOTE = Lookup(shown_votes, "vote_id", select_related=("estate", "building", "entrance"))


@require_GET
@requires(VIEW_VOTES, find=ESTATE)
def vote_list(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    return render(
        request,
        "decisions/vote_list.html",
        {
            "estate": estate,
            "votes": selectors.votes_for_estate(estate=estate),
            "can_manage": MANAGE_VOTES.has(request.user, estate),
        },
    )


def _targets(estate: Estate) -> tuple[list[Building], list[Entrance]]:
    """The buildings and entrances a vote of the estate may cover."""
    buildings = list(Building.objects.filter(estate=estate).order_by("number"))
    entrances = list(
        Entrance.objects.filter(building__estate=estate)
        .select_related("building")
        .order_by("building__number", "number")
    )
    return buildings, entrances


def _create(request: AuthenticatedRequest, estate: Estate, form: VoteForm) -> Vote | None:
    """The vote the valid form describes, or None with the form's errors set."""
    data = form.cleaned_data
    buildings, entrances = _targets(estate)
    building = entrance = None
    if data["scope"] == VoteScope.BUILDING:
        building = next((b for b in buildings if b.pk == data["target"]), None)
    elif data["scope"] == VoteScope.ENTRANCE:
        entrance = next((e for e in entrances if e.pk == data["target"]), None)
    if data["scope"] != VoteScope.ESTATE and building is None and entrance is None:
        form.add_error("target", _("请选择本小区的楼栋或单元。"))
        return None
    try:
        return services.vote_create(
            estate=estate,
            matter=data["matter"],
            title=data["title"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            scope=data["scope"],
            building=building,
            entrance=entrance,
            description=data["description"],
            actor=request.user,
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return None


@require_http_methods(["GET", "POST"])
@requires(MANAGE_VOTES, find=ESTATE)
def vote_new(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    form = VoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        vote = _create(request, estate, form)
        if vote is not None:
            messages.success(request, _("表决已创建。开始时请点击“开始投票”冻结业主名册。"))
            return redirect("decisions:vote_detail", vote_id=vote.pk)
    buildings, entrances = _targets(estate)
    return render(
        request,
        "decisions/vote_new.html",
        {"estate": estate, "form": form, "buildings": buildings, "entrances": entrances},
    )


@require_GET
@requires(VIEW_VOTES, find=VOTE)
def vote_detail(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    return render(
        request,
        "decisions/vote_detail.html",
        {
            "vote": vote,
            "live": selectors.participation(vote=vote) if vote.opened_at else None,
            "result": selectors.tally(vote=vote) if vote.status == VoteStatus.CLOSED else None,
            "can_manage": MANAGE_VOTES.has(request.user, vote),
            "can_enter": ENTER_BALLOTS.has(request.user, vote),
            "can_chase": CHASE_TURNOUT.has(request.user, vote),
        },
    )


@require_POST
@requires(MANAGE_VOTES, find=VOTE)
def vote_open(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    """Open the vote: its electorate is frozen now."""
    try:
        services.vote_open(vote=vote, actor=request.user)
        messages.success(request, _("投票已开始，业主名册已冻结。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("decisions:vote_detail", vote_id=vote.pk)


@require_POST
@requires(MANAGE_VOTES, find=VOTE)
def vote_close(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    try:
        services.vote_close(vote=vote, actor=request.user)
        messages.success(request, _("投票已结束。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("decisions:vote_detail", vote_id=vote.pk)
