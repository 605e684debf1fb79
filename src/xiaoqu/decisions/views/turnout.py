"""The turnout page of a vote (催票): who has not voted yet, by building and entrance, and
handing those doors to the people who knock on them. Never how anyone voted.

The page's counts reload themselves through htmx every 30 seconds (``?part=counts``); the
list is read when the page loads, and everything works without JavaScript.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.accounts.models import User
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, object_pk, object_pks, requires
from xiaoqu.decisions import services
from xiaoqu.decisions import turnout_selectors as turnout
from xiaoqu.decisions.models import Vote
from xiaoqu.decisions.rules import ASSIGN_TURNOUT, CHASE_TURNOUT, ENTER_BALLOTS
from xiaoqu.decisions.views.votes import shown_votes

# Votes that have an electorate (a draft has none to chase).
TURNOUT_VOTE = Lookup(shown_votes, "vote_id", select_related=("estate", "building", "entrance"))
REFRESH_SECONDS = 30
# ASCII digits only: "²" passes str.isdigit but is no number.
DIGITS = re.compile(r"[0-9]{1,18}")


def _building(request: AuthenticatedRequest, counts: turnout.TurnoutCounts) -> int | None:
    """The building asked for in ``?building=``, if it is one of the user's view."""
    raw = request.GET.get("building", "")
    ids = {b.pk for b in counts.buildings}
    return int(raw) if DIGITS.fullmatch(raw) and int(raw) in ids else None


@require_GET
@requires(CHASE_TURNOUT, find=TURNOUT_VOTE)
def vote_turnout(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    """Who has not voted yet in the user's part of the vote, and who is to knock."""
    user = request.user
    counts = turnout.turnout_counts(vote=vote, user=user)
    if counts is None:  # none of the vote's dwellings in the user's view: as if no such vote
        raise Http404
    chasing = turnout.chasing(vote)
    building_id = _building(request, counts)
    context = {
        "vote": vote,
        "counts": counts,
        "chasing": chasing,
        "building_id": building_id,
        "refresh": REFRESH_SECONDS,
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "counts":
        return render(request, "decisions/_turnout_counts.html", context)
    one_at_a_time = counts.not_voted > turnout.LIST_AT_ONCE and len(counts.buildings) > 1
    if building_id is None and len(counts.buildings) == 1:
        building_id = counts.buildings[0].pk
    listed = chasing and (building_id is not None or not one_at_a_time)
    buildings = (
        turnout.doors_by_building(vote=vote, user=user, building_id=building_id) if listed else []
    )
    can_assign = chasing and ASSIGN_TURNOUT.has(user, vote)
    if can_assign and buildings:
        choices = turnout.assignable(d for b in buildings for d in b.doors)
        for b in buildings:
            b.candidates = choices.for_doors(b.doors)
            for e in b.entrances:
                e.candidates = choices.for_doors(e.doors)
    context.update(
        {
            "buildings": buildings,
            "one_at_a_time": one_at_a_time and building_id is None,
            "can_assign": can_assign,
            "can_enter": chasing and ENTER_BALLOTS.has(user, vote),
        }
    )
    return render(request, "decisions/vote_turnout.html", context)


def _assignee(raw: str) -> User | None:
    """The person chosen, or None for "each to the person who looks after it"."""
    if raw in ("", "auto"):
        return None
    try:
        pk = object_pk(raw)
    except Http404:
        raise DomainError(_("请选择负责催票的人。"), code="assignee") from None
    found = User.objects.filter(pk=pk).first()
    if found is None:
        raise DomainError(_("请选择负责催票的人。"), code="assignee")
    return found


def _target_units(request: AuthenticatedRequest, vote: Vote) -> list[int]:
    """The units the form is about: the ticked ones, or an entrance's or building's doors
    not voted yet."""
    data = request.POST
    user = request.user
    if "entrance" in data:
        return turnout.not_voted_unit_ids(
            vote=vote, user=user, entrance_id=object_pk(data["entrance"])
        )
    if "building" in data:
        return turnout.not_voted_unit_ids(
            vote=vote, user=user, building_id=object_pk(data["building"])
        )
    return object_pks(data.getlist("units"), _("请选择要分派的房屋。"), "units")


@require_POST
@requires(ASSIGN_TURNOUT, find=TURNOUT_VOTE)
def vote_turnout_assign(request: AuthenticatedRequest, vote: Vote) -> HttpResponse:
    """Hand doors to the person chosen (or each to its own carer), or take them back."""
    try:
        units = _target_units(request, vote)
        if request.POST.get("action") == "unassign":
            n = services.turnout_unassign(vote=vote, unit_ids=units, actor=request.user)
            messages.success(
                request,
                ngettext("已取消 %(n)d 户的分派。", "已取消 %(n)d 户的分派。", n) % {"n": n},
            )
        else:
            result = services.turnout_assign(
                vote=vote,
                unit_ids=units,
                assignee=_assignee(request.POST.get("assignee", "")),
                actor=request.user,
            )
            messages.success(request, services.assigned_message(result))
    except DomainError as error:
        messages.error(request, error.message)
    except Http404:
        messages.error(request, _("请选择要分派的房屋。"))
    url = reverse("decisions:vote_turnout", kwargs={"vote_id": vote.pk})
    back = request.POST.get("back_building", "")
    if DIGITS.fullmatch(back):
        url += f"?building={back}"
    return redirect(url + "#doors")
