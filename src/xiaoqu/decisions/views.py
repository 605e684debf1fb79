"""Vote pages: staff create, open, follow and close votes and enter paper ballots; owners vote
on their phone and keep a receipt; anyone checks a receipt on the public page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import access_estate
from xiaoqu.decisions import selectors, services
from xiaoqu.decisions.forms import OnlineBallotForm, PaperBallotForm, ReceiptForm, VoteForm
from xiaoqu.decisions.models import Ballot, BallotChannel, Choice, Elector, Vote, VoteScope
from xiaoqu.registry.models import Building, Entrance


def _scope_targets(estate):
    buildings = list(Building.objects.filter(estate=estate).order_by("number"))
    entrances = list(
        Entrance.objects.filter(building__estate=estate)
        .select_related("building")
        .order_by("building__number", "number")
    )
    return buildings, entrances


def vote_list(request, estate_id):
    estate = access_estate(request.user, estate_id)
    votes = selectors.votes_for_estate(estate=estate)
    return render(
        request,
        "decisions/vote_list.html",
        {
            "estate": estate,
            "votes": votes,
            "can_manage": request.user.has_perm("decisions.manage_votes"),
        },
    )


def vote_new(request, estate_id):
    estate = access_estate(request.user, estate_id)
    buildings, entrances = _scope_targets(estate)
    form = VoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        building = entrance = None
        try:
            if data["scope"] == VoteScope.BUILDING:
                building = next(b for b in buildings if b.pk == data["target"])
            elif data["scope"] == VoteScope.ENTRANCE:
                entrance = next(e for e in entrances if e.pk == data["target"])
        except StopIteration:
            form.add_error("target", _("请选择本小区的楼栋或单元。"))
        else:
            try:
                vote = services.vote_create(
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
            else:
                messages.success(request, _("表决已创建。开始时请点击“开始投票”冻结业主名册。"))
                return redirect("decisions:vote_detail", vote_id=vote.pk)
    return render(
        request,
        "decisions/vote_new.html",
        {"estate": estate, "form": form, "buildings": buildings, "entrances": entrances},
    )


def vote_detail(request, vote_id):
    vote = selectors.access_vote(request.user, vote_id)
    live = selectors.participation(vote=vote) if vote.opened_at else None
    result = selectors.tally(vote=vote) if vote.status == "closed" else None
    return render(
        request,
        "decisions/vote_detail.html",
        {
            "vote": vote,
            "live": live,
            "result": result,
            "can_manage": request.user.has_perm("decisions.manage_votes"),
            "can_enter": request.user.has_perm("decisions.enter_ballots"),
        },
    )


@require_POST
def vote_action(request, vote_id):
    vote = selectors.access_vote(request.user, vote_id)
    action = request.POST.get("action")
    try:
        if action == "open":
            services.vote_open(vote=vote, actor=request.user)
            messages.success(request, _("投票已开始，业主名册已冻结。"))
        elif action == "close":
            services.vote_close(vote=vote, actor=request.user)
            messages.success(request, _("投票已结束。"))
        else:
            messages.error(request, _("操作不正确。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("decisions:vote_detail", vote_id=vote.pk)


def ballot_paper(request, vote_id):
    """Staff enter a paper or proxy ballot: find the owner by room, attach the scan."""
    vote = selectors.access_vote(request.user, vote_id)
    query = request.GET.get("q", "").strip()[:40]
    form = PaperBallotForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        elector = Elector.objects.filter(vote=vote, pk=data["elector"]).first()
        if elector is None:
            form.add_error("elector", _("请从名册中选择业主。"))
        else:
            try:
                ballot = services.ballot_cast(
                    vote=vote,
                    elector=elector,
                    choice=data["choice"],
                    channel=data["channel"],
                    actor=request.user,
                    scan=data["scan"],
                    proxy_name=data["proxy_name"],
                    authorisation=data["authorisation"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("已录入第 %(seq)d 张选票。请把回执码 %(receipt)s 交给业主。")
                    % {"seq": ballot.seq, "receipt": ballot.receipt},
                )
                return redirect("decisions:ballot_paper", vote_id=vote.pk)
    rows = selectors.elector_rows(vote=vote, query=query) if query else []
    return render(
        request,
        "decisions/ballot_paper.html",
        {"vote": vote, "form": form, "rows": rows, "query": query},
    )


def my_votes(request):
    return render(
        request, "decisions/my_votes.html", {"rows": selectors.votes_for_owner(user=request.user)}
    )


def ballot(request, vote_id):
    """An owner's ballot on the phone: choose, confirm, keep the receipt.

    Residents and staff of the estate see the vote; only an owner in its frozen electorate
    sees the buttons. The choice is shown back before it is cast, since it cannot be changed.
    """
    vote = selectors.access_vote_as_resident(request.user, vote_id)
    elector = services.elector_for(vote=vote, person_id=request.user.person_id)
    cast = Ballot.objects.filter(vote=vote, elector=elector).first() if elector else None
    now = timezone.now()
    is_open = vote.status == "open" and vote.opens_at <= now < vote.closes_at
    confirm = None
    if request.method == "POST":
        if elector is None or cast is not None:
            raise Http404
        form = OnlineBallotForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择同意、反对或弃权。"))
        elif not form.cleaned_data["confirmed"]:
            confirm = form.cleaned_data["choice"]
        else:
            try:
                cast = services.ballot_cast(
                    vote=vote,
                    elector=elector,
                    choice=form.cleaned_data["choice"],
                    channel=BallotChannel.ONLINE,
                    actor=request.user,
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                return redirect("decisions:ballot", vote_id=vote.pk)
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "decisions/ballot.html",
        {
            "vote": vote,
            "elector": elector,
            "cast": cast,
            "is_open": is_open,
            "confirm": confirm,
            "confirm_label": Choice(confirm).label if confirm else "",
            "choices": Choice.choices,
            "live": selectors.participation(vote=vote) if vote.opened_at else None,
        },
    )


def receipt_check(request, vote_id):
    """Public: is the ballot with this receipt counted? Says nothing about the choice."""
    vote = Vote.objects.filter(pk=selectors.object_pk(vote_id)).exclude(status="draft").first()
    if vote is None:
        raise Http404
    form = ReceiptForm(request.GET or None)
    found = None
    checked = False
    if request.GET and form.is_valid():
        checked = True
        found = selectors.ballot_by_receipt(vote=vote, receipt=form.cleaned_data["receipt"])
    return render(
        request,
        "decisions/receipt_check.html",
        {"vote": vote, "form": form, "found": found, "checked": checked},
    )


def _result_for(request, vote):
    """The result a reader may see: the published one; staff also the tally once closed."""
    staff = selectors.access_vote_or_none(request.user, vote.pk) is not None
    if vote.result is not None:
        return vote.result, staff
    if staff and vote.status == "closed":
        return selectors.tally(vote=vote).as_dict(), staff
    return None, staff


def vote_result(request, vote_id):
    """The result explained (thresholds met or missed, by how much), its public notice and
    objection period; owners of the electorate may object within the period.
    """
    vote = selectors.access_vote_as_resident(request.user, vote_id)
    result, staff = _result_for(request, vote)
    elector = services.elector_for(vote=vote, person_id=request.user.person_id)
    now = timezone.now()
    can_object = (
        elector is not None
        and vote.objection_until is not None
        and vote.result_published_at is not None
        and now < vote.objection_until
    )
    return render(
        request,
        "decisions/vote_result.html",
        {
            "vote": vote,
            "result": result,
            "staff": staff,
            "can_publish": staff
            and request.user.has_perm("decisions.manage_votes")
            and vote.status == "closed"
            and vote.result_published_at is None,
            "default_days": services.objection_days_for(vote.matter),
            "can_object": can_object,
            "objections": vote.objections.count(),
            "objection_list": (
                vote.objections.select_related("elector").order_by("raised_at") if staff else []
            ),
        },
    )


@require_POST
def vote_publish(request, vote_id):
    vote = selectors.access_vote(request.user, vote_id)
    try:
        days = int(request.POST.get("objection_days") or services.objection_days_for(vote.matter))
    except ValueError:
        messages.error(request, _("异议期应为 1 到 60 天。"))
        return redirect("decisions:vote_result", vote_id=vote.pk)
    try:
        services.vote_publish_result(vote=vote, actor=request.user, objection_days=days)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("结果已公示，异议期 %(d)d 天。") % {"d": days})
    return redirect("decisions:vote_result", vote_id=vote.pk)


@require_POST
def vote_objection(request, vote_id):
    vote = selectors.access_vote_as_resident(request.user, vote_id)
    try:
        services.objection_raise(vote=vote, user=request.user, text=request.POST.get("text", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("您的异议已提交，社区和业委会将答复。"))
    return redirect("decisions:vote_result", vote_id=vote.pk)


def vote_result_print(request, vote_id):
    """The A4 public notice of a published result, for the notice board."""
    vote = selectors.access_vote_as_resident(request.user, vote_id)
    if vote.result is None:
        raise Http404
    return render(request, "decisions/result_print.html", {"vote": vote, "result": vote.result})
