"""Writes of the estate's 24-hour duty (值班): shifts and their handover notes.

* :func:`shift_add`: someone on duty at a post (门岗, 巡逻, 值班室…) from one time to another,
  at most 24 hours. The person on duty is a person of the register who owns or lives in the
  estate, a member of its current 自管会 or 业委会, or the person of a user who is the
  estate's property manager (物业服务人) — the managing body's own staff. Shifts of one post
  never overlap, and nobody is on two posts at once. The number residents call during the
  shift (``phone``) is the one entered here: a duty line, or the person's own number if they
  agree to give it; the person's phone in the register is never copied into it.
* :func:`shift_remove`: only a shift that has not started; a started one is a record.
* :func:`handover_write`: the note a shift leaves for the next (交接班记录), once, from the
  moment the shift has started — by the person on duty (their user) or by those who manage
  the duty.

Adding and removing shifts need ``stewardship.manage_duty`` on the estate; each write has an
audit row in its transaction, and bad input raises a :class:`DomainError` before anything is
written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor, Role, User
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.registry.models import Estate, Person
from xiaoqu.stewardship.models import BodyMember, DutyHandover, DutyShift
from xiaoqu.stewardship.rules import MANAGE_DUTY
from xiaoqu.stewardship.services.bodies import COMMITTEE_KINDS, PHONE_RE, holds_role_at

MAX_SHIFT = dt.timedelta(hours=24)
POST_MAX = 32
NOTE_MAX = 2000


# --- who may be on duty -------------------------------------------------------------------------


def lives_or_owns_in(person: Person, estate: Estate) -> bool:
    return (
        person.ownerships.filter(dwelling__estate=estate).exists()
        or person.residencies.filter(dwelling__estate=estate).exists()
    )


def is_committee_member(person: Person, estate: Estate) -> bool:
    return BodyMember.objects.filter(
        person=person, body__estate=estate, body__ended_on=None, body__kind__in=COMMITTEE_KINDS
    ).exists()


def is_property_staff(person: Person, estate: Estate) -> bool:
    """Whether the person is a user who is the estate's property manager (物业服务人)."""
    return any(
        holds_role_at(user, Role.PROPERTY_MANAGER, estate)
        for user in User.objects.filter(person=person, is_active=True)
    )


def may_be_on_duty(person: Person, estate: Estate) -> bool:
    return (
        lives_or_owns_in(person, estate)
        or is_committee_member(person, estate)
        or is_property_staff(person, estate)
    )


# --- shifts -------------------------------------------------------------------------------------


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("shift times must be timezone-aware")
    if ends_at <= starts_at:
        raise DomainError(_("结束时间应晚于开始时间。"), code="times")
    if ends_at - starts_at > MAX_SHIFT:
        raise DomainError(_("一个班次最长 24 小时。"), code="too_long")


def _shift_label(shift: DutyShift) -> str:
    start, end = timezone.localtime(shift.starts_at), timezone.localtime(shift.ends_at)
    return f"{shift.post} {start:%m-%d %H:%M}–{end:%m-%d %H:%M}"


def shift_add(
    *,
    estate: Estate,
    person: Person,
    post: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    actor: Actor,
    phone: str = "",
) -> DutyShift:
    """Put ``person`` on duty at ``post`` from ``starts_at`` to ``ends_at``."""
    MANAGE_DUTY.require(actor, estate)
    post = (post or "").strip()
    if not post or len(post) > POST_MAX:
        raise DomainError(_("请填写岗位（如门岗、巡逻、值班室，32 字以内）。"), code="post")
    phone = (phone or "").strip()
    if phone and not PHONE_RE.match(phone):
        raise DomainError(_("值班电话格式不对（只能有数字、+、- 和空格）。"), code="phone")
    _check_times(starts_at, ends_at)
    if not may_be_on_duty(person, estate):
        raise DomainError(
            _("%(name)s 不是本小区的业主、居民、自管会成员或物业人员，不能安排值班。")
            % {"name": person.name},
            code="person",
        )
    with transaction.atomic():
        # One shift at a time per estate: two people adding shifts cannot both miss each other.
        Estate.objects.select_for_update().filter(pk=estate.pk).first()
        overlapping = DutyShift.objects.filter(
            estate=estate, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        clash = overlapping.filter(post=post).order_by("starts_at").first()
        if clash is not None:
            raise DomainError(
                _("与同一岗位的班次重叠：%(shift)s。") % {"shift": _shift_label(clash)},
                code="overlap",
            )
        busy = overlapping.filter(person=person).order_by("starts_at").first()
        if busy is not None:
            raise DomainError(
                _("%(name)s 这段时间已在值班：%(shift)s。")
                % {"name": person.name, "shift": _shift_label(busy)},
                code="busy",
            )
        shift = DutyShift.objects.create(
            estate=estate,
            person=person,
            post=post,
            phone=phone,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="stewardship.shift_add",
            obj=shift,
            after={
                "estate": estate.pk,
                "person": person.pk,
                "post": post,
                "phone": phone,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            },
        )
    return shift


def shift_remove(*, shift: DutyShift, actor: Actor, now: dt.datetime | None = None) -> None:
    """Take a shift off the roster before it starts (a started shift is kept as a record)."""
    MANAGE_DUTY.require(actor, shift.estate)
    now = now or timezone.now()
    if shift.starts_at <= now:
        raise DomainError(_("已开始或已结束的班次是值班记录，不能删除。"), code="started")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="stewardship.shift_remove",
            obj=shift,
            before={
                "estate": shift.estate_id,
                "person": shift.person_id,
                "post": shift.post,
                "starts_at": shift.starts_at.isoformat(),
                "ends_at": shift.ends_at.isoformat(),
            },
        )
        shift.delete()


def may_hand_over(user: Any, shift: DutyShift) -> bool:
    """The person on duty (through their user) or those who manage the estate's duty."""
    person_id = getattr(user, "person_id", None)
    return bool(person_id and person_id == shift.person_id) or MANAGE_DUTY.has(user, shift.estate)


def handover_write(
    *, shift: DutyShift, note: str, actor: Actor, now: dt.datetime | None = None
) -> DutyHandover:
    """The shift's handover note (交接班记录), written once the shift has started."""
    if not may_hand_over(actor, shift):
        MANAGE_DUTY.require(actor, shift.estate)
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请填写交接内容。"), code="note")
    if len(note) > NOTE_MAX:
        raise DomainError(_("交接内容最多 2000 字。"), code="note_long")
    if shift.starts_at > now:
        raise DomainError(_("班次还没开始，不能交接。"), code="not_started")
    with transaction.atomic():
        locked = DutyShift.objects.select_for_update().get(pk=shift.pk)
        if DutyHandover.objects.filter(shift=locked).exists():
            raise DomainError(_("这个班次已经写过交接记录。"), code="done")
        handover = DutyHandover.objects.create(shift=locked, note=note, by=actor, at=now)
        audit_record(
            actor=actor,
            action="stewardship.handover_write",
            obj=handover,
            after={"shift": shift.pk, "note": note},
        )
    return handover
