"""A vote's result: explained to residents and staff, published with its objection period,
printed for the notice board; owners of the electorate object within the period."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import requires
from xiaoqu.decisions import selectors, services
from xiaoqu.decisions.models import Objection, Vote, VoteStatus
from xiaoqu.decisions.rules import MANAGE_VOTES, RAISE_OBJECTIONS, READ_VOTES, VIEW_VOTES
from xiaoqu.decisions.views.votes import SHOWN_VOTE, VOTE


def _result_for(vote: Vote, staff: bool) -> dict[str, Any] | None:
    """The result a reader may see: the published one; staff also the tally once closed."""
    if vote.result is not None:
        return vote.result
    if staff and vote.status == VoteStatus.CLOSED:
        return selectors.tally(vote=vote).as_dict()
    return None


def _objecting(request: AuthenticatedRequest, vote: Vote) -> tuple[bool, Objection | None]:
    """Whether the reader may object now — an owner of the vote's frozen electorate, within
    the objection period of the published result, who has not objected yet — and the
    objection their owner entry (they or a co-owner) has already raised, if any."""
    if vote.result_published_at is None or vote.objection_until is None:
        return False, None
    if not RAISE_OBJECTIONS.has(request.user, vote):
        return False, None
    elector = services.elector_for(vote=vote, person_id=request.user.person_id)
    if elector is None:
        return False, None
    raised = Objection.objects.filter(vote=vote, elector=elector).first()
    return raised is None and timezone.now() < vote.objection_until, raised


@require_GET
@requires(READ_VOTES, find=SHOWN_VOTE)
def vote_result(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    """The result explained (thresholds met or missed, by how much), its public notice and
    objection period; owners of the electorate may object within the period.
    """
    staff = VIEW_VOTES.has(request.user, vote)
    can_object, raised = _objecting(request, vote)
    return render(
        request,
        "decisions/vote_result.html",
        {
            "vote": vote,
            "result": _result_for(vote, staff),
            "staff": staff,
            "can_publish": vote.status == VoteStatus.CLOSED
            and vote.result_published_at is None
            and MANAGE_VOTES.has(request.user, vote),
            "default_days": services.objection_days_for(vote.matter),
            "can_object": can_object,
            "raised": raised,
            "objections": vote.objections.count(),
            "objection_list": (
                vote.objections.select_related("elector").order_by("raised_at") if staff else []
            ),
        },
    )


@require_POST
@requires(MANAGE_VOTES, find=VOTE)
def vote_publish(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
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
@requires(RAISE_OBJECTIONS, find=SHOWN_VOTE)
def vote_objection(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    try:
        services.objection_raise(vote=vote, user=request.user, text=request.POST.get("text", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("您的异议已提交，社区和业委会将答复。"))
    return redirect("decisions:vote_result", vote_id=vote.pk)


@require_GET
@requires(READ_VOTES, find=SHOWN_VOTE)
def vote_result_print(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    """The A4 public notice of a published result, for the notice board."""
    if vote.result is None:
        raise Http404
    return render(request, "decisions/result_print.html", {"vote": vote, "result": vote.result})
