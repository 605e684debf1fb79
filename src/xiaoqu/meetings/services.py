"""Writes for meetings: schedule, sign in, record, hear opinions, publish the minutes.

Every service checks that the actor holds ``meetings.hold_meetings`` for the meeting's estate
and writes an audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.uploads import check_photo
from xiaoqu.meetings.models import Meeting, MeetingAttendance, MeetingKind, MeetingPhoto
from xiaoqu.meetings.rules import HOLD_MEETINGS
from xiaoqu.needs.models import Channel, Demand, Opinion
from xiaoqu.needs.services import OpinionInput, opinions_record
from xiaoqu.registry.models import Dwelling, Estate, Ownership, Person


def meeting_create(
    *,
    estate: Estate,
    kind: str,
    held_on: dt.date,
    place: str,
    attendance: int,
    actor: Actor,
    heard: Sequence[str] = (),
) -> Meeting:
    """Schedule (or record) a meeting; ``heard`` are opinions heard at it, one a string,
    recorded with it in the same transaction (all or nothing)."""
    HOLD_MEETINGS.require(actor, estate)
    if kind not in MeetingKind.values:
        raise DomainError(_("会议形式不正确。"), code="kind")
    place = place.strip()
    if not place or len(place) > 100:
        raise DomainError(_("请填写会议地点（最长 100 字）。"), code="place")
    if attendance < 0 or attendance > 100_000:
        raise DomainError(_("参加人数不正确。"), code="attendance")
    if held_on > timezone.localdate() + dt.timedelta(days=365):
        raise DomainError(_("会议日期太远。"), code="date_far")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            estate=estate,
            kind=kind,
            held_on=held_on,
            place=place,
            attendance=attendance,
            recorded_by=actor,
        )
        audit_record(actor=actor, action="meetings.meeting_create", obj=meeting)
        if heard:
            items = [OpinionInput(text=text, heard_on=held_on) for text in heard]
            meeting_hear(meeting=meeting, items=items, actor=actor)
    return meeting


def occasion_of(meeting: Meeting) -> str:
    """How an opinion heard at the meeting names it: "坝坝会 2026-03-05 3栋前院坝"."""
    return f"{meeting.get_kind_display()} {meeting.held_on:%Y-%m-%d} {meeting.place}"


def meeting_hear(*, meeting: Meeting, items: Sequence[OpinionInput], actor: Actor) -> list[Opinion]:
    """Record opinions heard at the meeting (channel 坝坝会/议事会) and link them to it.

    The opinions are classified and merged into the estate's demands like any other; the
    needs service checks that the actor may record opinions there (all or nothing).
    """
    HOLD_MEETINGS.require(actor, meeting)
    for item in items:
        item.occasion = occasion_of(meeting)
    with transaction.atomic():
        opinions = opinions_record(
            estate=meeting.estate, items=items, channel=Channel.MEETING, actor=actor
        )
        meeting.opinions.add(*opinions)
    return opinions


def meeting_record_update(
    *,
    meeting: Meeting,
    actor: Actor,
    convenor: str | None = None,
    agenda: str | None = None,
    minutes: str | None = None,
    decisions: str | None = None,
    agenda_demand_ids: list[int] | None = None,
) -> Meeting:
    """Write the meeting's record: convenor, agenda (and the demands on it), minutes and
    decisions. Published minutes are not rewritten.
    """
    HOLD_MEETINGS.require(actor, meeting)
    if meeting.minutes_published_at is not None:
        raise DomainError(_("纪要已公布，不能再修改。"), code="published")
    limits = {"convenor": 100, "agenda": 5000, "minutes": 20000, "decisions": 5000}
    labels = {
        "convenor": _("召集人"),
        "agenda": _("议程"),
        "minutes": _("会议纪要"),
        "decisions": _("议定事项"),
    }
    values = {"convenor": convenor, "agenda": agenda, "minutes": minutes, "decisions": decisions}
    for field, value in values.items():
        if value is not None:
            value = value.strip()
            if len(value) > limits[field]:
                raise DomainError(
                    _("%(f)s最长 %(n)d 字。") % {"f": labels[field], "n": limits[field]},
                    code="too_long",
                )
            setattr(meeting, field, value)
    demands = None
    if agenda_demand_ids is not None:
        demands = list(Demand.objects.filter(estate=meeting.estate, pk__in=agenda_demand_ids))
        if len(demands) != len(set(agenda_demand_ids)):
            raise DomainError(_("议题中的需求不属于这个小区。"), code="demand_estate")
    with transaction.atomic():
        meeting.save()
        if demands is not None:
            meeting.agenda_demands.set(demands)
        audit_record(
            actor=actor,
            action="meetings.meeting_record_update",
            obj=meeting,
            after={k: v for k, v in values.items() if v is not None},
        )
    return meeting


def meeting_sign_in(
    *, meeting: Meeting, dwelling: Dwelling, actor: Actor, person: Person | None = None
) -> MeetingAttendance:
    """Staff sign a household (or one of its people) in; signing the same one twice is refused."""
    HOLD_MEETINGS.require(actor, meeting)
    if dwelling.estate_id != meeting.estate_id:
        raise DomainError(_("房屋不在这个小区。"), code="dwelling_outside")
    # A grid worker signs in the households of their own grid only.
    HOLD_MEETINGS.require(actor, dwelling)
    if person is not None and not (
        Ownership.objects.filter(person=person, dwelling=dwelling).exists()
        or dwelling.residencies.filter(person=person).exists()
    ):
        raise DomainError(_("这个人不是这户的业主或住户。"), code="person_not_of_dwelling")
    try:
        with transaction.atomic():
            row = MeetingAttendance.objects.create(
                meeting=meeting, dwelling=dwelling, person=person, signed_in_by=actor
            )
            audit_record(
                actor=actor,
                action="meetings.meeting_sign_in",
                obj=row,
                after={"meeting": meeting.pk, "dwelling": dwelling.pk},
            )
    except IntegrityError:
        raise DomainError(_("已经签到过了。"), code="already") from None
    return row


def meeting_photo_add(*, meeting: Meeting, photo: UploadedFile, actor: Actor) -> MeetingPhoto:
    HOLD_MEETINGS.require(actor, meeting)
    check_photo(photo)
    with transaction.atomic():
        row = MeetingPhoto(meeting=meeting, uploaded_by=actor)
        row.photo.save(photo.name or "meeting.jpg", photo, save=False)
        row.save()
        audit_record(actor=actor, action="meetings.meeting_photo_add", obj=row)
    return row


def meeting_publish_minutes(*, meeting: Meeting, actor: Actor) -> Meeting:
    """Publish the minutes and decisions to the estate's residents (never attendees' names)."""
    HOLD_MEETINGS.require(actor, meeting)
    if meeting.minutes_published_at is not None:
        raise DomainError(_("纪要已公布。"), code="published")
    if not meeting.minutes.strip():
        raise DomainError(_("请先写好会议纪要。"), code="no_minutes")
    if meeting.held_on > timezone.localdate():
        raise DomainError(_("会议还没有开。"), code="future")
    with transaction.atomic():
        meeting.minutes_published_at = timezone.now()
        meeting.save(update_fields=["minutes_published_at", "updated_at"])
        audit_record(actor=actor, action="meetings.meeting_publish_minutes", obj=meeting)
    return meeting
