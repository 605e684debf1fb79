"""Writes for turnout chasing (催票): hand the dwellings whose owners have not voted yet to
the people who knock on their doors, or take them back.

Staff (``decisions.assign_turnout``) hand units of an open vote's frozen electorate to the
grid worker or the liaison member (联户) who looks after them in the organisation, or — the
default — each unit to its own liaison member, else its grid worker. The assignee must be able
to record visits at those dwellings (``needs.record_visit``): the list is shown on the visit
page. See docs/owner-votes.md, "Turnout chasing (催票)".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoqu.accounts.models import User
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions.models import Ballot, ElectorUnit, TurnoutAssignment, Vote, VoteStatus
from xiaoqu.decisions.rules import ASSIGN_TURNOUT
from xiaoqu.decisions.rules_engine import DEVELOPER
from xiaoqu.needs.rules import RECORD_VISIT
from xiaoqu.organization.selectors import dwelling_carers
from xiaoqu.registry.models import Dwelling

# How many room labels an error message names before "等".
NAMED_IN_MESSAGE = 5


@dataclass
class TurnoutAssigned:
    """What an assignment did: units handed over (new or moved), units left as they were
    because their owner voted meanwhile, and units nobody could be found for."""

    assigned: int = 0
    already_voted: int = 0
    kept: int = 0  # handed to someone before and left with them (the default choice)
    nobody: list[str] = field(default_factory=list)


def _label(unit: ElectorUnit) -> str:
    return unit.dwelling.label


def _named(units: Iterable[ElectorUnit]) -> str:
    labels = [_label(u) for u in units]
    shown = "、".join(labels[:NAMED_IN_MESSAGE])
    return shown + (_("等") if len(labels) > NAMED_IN_MESSAGE else "")


def _open_vote(vote: Vote, now: dt.datetime) -> Vote:
    """The vote's row, locked, if it still takes ballots (assignments of one vote line up)."""
    locked = Vote.objects.select_for_update().get(pk=vote.pk)
    if locked.status != VoteStatus.OPEN or now >= locked.closes_at:
        raise DomainError(_("只能为投票中的表决分派催票。"), code="not_open")
    return locked


def _units(vote: Vote, unit_ids: Iterable[int], actor: User) -> list[ElectorUnit]:
    """The vote's units named, in the actor's scope; any other id is an error naming none."""
    wanted = list(dict.fromkeys(unit_ids))
    if not wanted:
        raise DomainError(_("请选择要分派的房屋。"), code="empty")
    units = list(
        ASSIGN_TURNOUT.scoped(actor, ElectorUnit.objects.filter(vote=vote, pk__in=wanted))
        .select_related("dwelling__building", "dwelling__entrance", "elector")
        .order_by("dwelling__building__number", "dwelling__entrance__number", "dwelling__floor")
    )
    if len(units) != len(wanted):
        raise DomainError(_("有房屋不在本次表决的业主名册中。"), code="not_elector")
    developer = [u for u in units if u.elector.owner_key == DEVELOPER]
    if developer:
        raise DomainError(
            _("%(rooms)s 属于开发建设单位（未售出或未交付），不上门催票，请直接联系开发建设单位。")
            % {"rooms": _named(developer)},
            code="developer",
        )
    return units


def _active_users(user_ids: Iterable[int]) -> dict[int, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=set(user_ids), is_active=True)}


def _can_visit(user: User, units: list[ElectorUnit]) -> set[int]:
    """The units among ``units`` whose dwelling the user may visit (one query)."""
    dwellings = RECORD_VISIT.scoped(
        user, Dwelling.objects.filter(pk__in=[u.dwelling_id for u in units])
    )
    allowed = set(dwellings.values_list("pk", flat=True))
    return {u.pk for u in units if u.dwelling_id in allowed}


def _choose(
    units: list[ElectorUnit], assignee: User | None
) -> tuple[dict[int, User], list[ElectorUnit]]:
    """Who gets each unit: ``assignee`` for every one (who must look after all of them and may
    visit them: else an error, nothing handed), or each unit's nearest carer who may visit it.
    Returns the choice and the units nobody could be found for."""
    carers = dwelling_carers(
        dwellings=Dwelling.objects.filter(pk__in=[u.dwelling_id for u in units])
    )
    if assignee is not None:
        foreign = [
            u
            for u in units
            if assignee.pk not in {c.user_id for c in carers.get(u.dwelling_id, [])}
        ]
        if foreign:
            raise DomainError(
                _("所选的人不负责 %(rooms)s：只能分派给负责这些房屋的网格员或联户党员。")
                % {"rooms": _named(foreign)},
                code="not_carer",
            )
        allowed = _can_visit(assignee, units) if assignee.is_active else set()
        barred = [u for u in units if u.pk not in allowed]
        if barred:
            raise DomainError(
                _("所选的人没有 %(rooms)s 的入户走访权限，在走访页面上看不到名单。")
                % {"rooms": _named(barred)},
                code="cannot_visit",
            )
        return {u.pk: assignee for u in units}, []
    users = _active_users(c.user_id for found in carers.values() for c in found)
    allowed_by_user = {pk: _can_visit(user, units) for pk, user in users.items()}
    chosen: dict[int, User] = {}
    nobody = []
    for unit in units:
        pick = next(
            (
                users[c.user_id]
                for c in carers.get(unit.dwelling_id, [])
                if c.user_id in users and unit.pk in allowed_by_user[c.user_id]
            ),
            None,
        )
        if pick is None:
            nobody.append(unit)
        else:
            chosen[unit.pk] = pick
    return chosen, nobody


def turnout_assign(
    *,
    vote: Vote,
    unit_ids: Iterable[int],
    actor: User,
    assignee: User | None = None,
    now: dt.datetime | None = None,
) -> TurnoutAssigned:
    """Hand the vote's units whose owner has not voted to ``assignee``, or (None) each to the
    liaison member of its dwelling, else the grid worker of its building, who may visit it.

    Only an open vote before its closing time; only units of its electorate in the actor's
    scope, never the developer's; an assignee must look after every unit and may visit it.
    Units whose owner voted meanwhile are left alone. A unit handed to someone before moves
    to a named assignee; the default leaves it with them. One audit row names the units, the
    assignees and who had them.
    """
    ASSIGN_TURNOUT.require(actor, vote)
    now = now or timezone.now()
    result = TurnoutAssigned()
    with transaction.atomic():
        locked = _open_vote(vote, now)
        units = _units(locked, unit_ids, actor)
        voted = set(
            Ballot.objects.filter(
                vote=locked, elector_id__in={u.elector_id for u in units}
            ).values_list("elector_id", flat=True)
        )
        pending = [u for u in units if u.elector_id not in voted]
        result.already_voted = len(units) - len(pending)
        if not pending:
            raise DomainError(_("这些房屋的业主都已投票，不需要催票。"), code="all_voted")
        before = dict(
            TurnoutAssignment.objects.filter(
                vote=locked, unit_id__in=[u.pk for u in pending]
            ).values_list("unit_id", "assignee_id")
        )
        if assignee is None:
            # The default hands out the doors nobody has yet; a choice made before stays.
            result.kept = sum(1 for u in pending if u.pk in before)
            pending = [u for u in pending if u.pk not in before]
            if not pending:
                raise DomainError(
                    _("这些房屋都已分派。要换人，请选择具体的人再分派。"), code="all_assigned"
                )
        chosen, nobody = _choose(pending, assignee)
        result.nobody = [_label(u) for u in nobody]
        if not chosen:
            raise DomainError(
                _("%(rooms)s 没有可以分派的人：没有负责的联户党员或网格员，或他们没有走访权限。")
                % {"rooms": _named(nobody)},
                code="nobody",
            )
        moved = [pk for pk, user in chosen.items() if pk in before and before[pk] != user.pk]
        created = [pk for pk in chosen if pk not in before]
        result.kept += len(chosen) - len(moved) - len(created)
        if not moved and not created:
            raise DomainError(_("这些房屋已经分派给所选的人。"), code="unchanged")
        for pk in moved:
            TurnoutAssignment.objects.filter(vote=locked, unit_id=pk).update(
                assignee=chosen[pk], assigned_by=actor, assigned_at=now
            )
        TurnoutAssignment.objects.bulk_create(
            TurnoutAssignment(
                vote=locked, unit_id=pk, assignee=user, assigned_by=actor, assigned_at=now
            )
            for pk, user in chosen.items()
            if pk not in before
        )
        result.assigned = len(moved) + len(created)
        dwelling_of = {u.pk: u.dwelling_id for u in pending}
        audit_record(
            actor=actor,
            action="decisions.turnout_assign",
            obj=locked,
            before={str(dwelling_of[pk]): before[pk] for pk in moved},
            after={str(dwelling_of[pk]): chosen[pk].pk for pk in moved + created},
        )
    return result


def turnout_unassign(*, vote: Vote, unit_ids: Iterable[int], actor: User) -> int:
    """Take the vote's units back from whoever they were handed to; the number taken back."""
    ASSIGN_TURNOUT.require(actor, vote)
    with transaction.atomic():
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        units = _units(locked, unit_ids, actor)
        rows = TurnoutAssignment.objects.filter(vote=locked, unit__in=units)
        before = {
            str(dwelling_id): user_id
            for dwelling_id, user_id in rows.values_list("unit__dwelling_id", "assignee_id")
        }
        if not before:
            raise DomainError(_("选中的房屋没有分派给任何人。"), code="not_assigned")
        rows.delete()
        audit_record(
            actor=actor, action="decisions.turnout_unassign", obj=locked, before=before, after={}
        )
    return len(before)


def assigned_message(result: TurnoutAssigned) -> str:
    """What staff are told after an assignment."""
    parts = [
        ngettext("已分派 %(n)d 户。", "已分派 %(n)d 户。", result.assigned) % {"n": result.assigned}
    ]
    if result.already_voted:
        parts.append(
            ngettext(
                "%(n)d 户的业主已经投票，未分派。",
                "%(n)d 户的业主已经投票，未分派。",
                result.already_voted,
            )
            % {"n": result.already_voted}
        )
    if result.kept:
        parts.append(
            ngettext("%(n)d 户原已分派，未改动。", "%(n)d 户原已分派，未改动。", result.kept)
            % {"n": result.kept}
        )
    if result.nobody:
        parts.append(
            _("%(rooms)s 没有可以分派的人（没有负责的联户党员或网格员账号）。")
            % {
                "rooms": "、".join(result.nobody[:NAMED_IN_MESSAGE])
                + (_("等") if len(result.nobody) > NAMED_IN_MESSAGE else "")
            }
        )
    return "".join(parts)
