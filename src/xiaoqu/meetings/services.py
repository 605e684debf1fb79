"""Writes for meetings: schedule, sign in, record, hear opinions, publish the minutes.

Every service checks that the actor holds ``meetings.hold_meetings`` for the meeting's estate
and writes an audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import mask_name, mask_phone, normalize_phone, phone_is_valid
from xiaoqu.core.uploads import check_photo
from xiaoqu.meetings.models import Meeting, MeetingAttendance, MeetingKind, MeetingPhoto
from xiaoqu.meetings.notices import minutes_published_notify
from xiaoqu.meetings.rules import HOLD_MEETINGS
from xiaoqu.needs.models import Channel, Demand, Opinion
from xiaoqu.needs.services import OpinionInput, opinions_record
from xiaoqu.registry.models import Dwelling, Estate, Person


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
                    ngettext("%(f)s最长 %(n)d 字。", "%(f)s最长 %(n)d 字。", limits[field])
                    % {"f": labels[field], "n": limits[field]},
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


class AlreadySignedIn(DomainError):
    """Signing in someone who is already signed in: the message says who and when."""

    code = "already"

    def __init__(self, row: MeetingAttendance) -> None:
        self.row = row
        super().__init__(
            _("%(who)s已于 %(at)s 签到，不用重复签到。")
            % {"who": attendee_label(row), "at": signed_at(row)}
        )


def attendee_label(row: MeetingAttendance, *, names: bool = True) -> str:
    """How staff name a sign-in: the dwelling, its person, or the named attendee (names masked
    as 张** when ``names`` is false)."""
    who = row.person.name if row.person_id and row.person else row.name
    if who and not names:
        who = mask_name(who)
    if row.dwelling_id and row.dwelling:
        return f"{row.dwelling.label} {who}" if who else row.dwelling.label
    return who


def signed_at(row: MeetingAttendance) -> str:
    """The sign-in time as staff read it: 09:12 today, the date as well on another day."""
    at = timezone.localtime(row.signed_in_at)
    return f"{at:%H:%M}" if at.date() == timezone.localdate() else f"{at:%Y-%m-%d %H:%M}"


def _existing(
    meeting: Meeting, dwelling: Dwelling | None, person: Person | None, name: str
) -> MeetingAttendance | None:
    """The sign-in the same household, person or named attendee already has at the meeting."""
    rows = MeetingAttendance.objects.filter(meeting=meeting, dwelling=dwelling).select_related(
        "dwelling__building", "dwelling__entrance", "person"
    )
    if person is not None:
        return rows.filter(person=person).first()
    return rows.filter(person__isnull=True, name=name).first()


def _signed_in(
    *,
    meeting: Meeting,
    actor: Actor,
    dwelling: Dwelling | None,
    person: Person | None = None,
    name: str = "",
    phone: str = "",
) -> MeetingAttendance:
    """Write one sign-in, or say when (and as whom) it was already made."""
    existing = _existing(meeting, dwelling, person, name)
    if existing is not None:
        raise AlreadySignedIn(existing)
    try:
        with transaction.atomic():
            row = MeetingAttendance.objects.create(
                meeting=meeting,
                dwelling=dwelling,
                person=person,
                name=name,
                phone=phone,
                signed_in_by=actor,
            )
            after: dict[str, object] = {
                "meeting": meeting.pk,
                "dwelling": dwelling.pk if dwelling else None,
            }
            if person is not None:
                after["person"] = person.pk
            if name:
                after |= {"name": name, "phone": mask_phone(phone) if phone else ""}
            audit_record(actor=actor, action="meetings.meeting_sign_in", obj=row, after=after)
    except IntegrityError:
        # Two staff signing the same one in at the same moment: the database kept one.
        existing = _existing(meeting, dwelling, person, name)
        if existing is None:
            raise
        raise AlreadySignedIn(existing) from None
    return row


def _check_dwelling(meeting: Meeting, dwelling: Dwelling, actor: Actor) -> None:
    if dwelling.estate_id != meeting.estate_id:
        raise DomainError(_("房屋不在这个小区。"), code="dwelling_outside")
    # A grid worker signs in the households of their own grid only.
    HOLD_MEETINGS.require(actor, dwelling)


def _of_dwelling(dwelling: Dwelling) -> Q:
    return Q(ownerships__dwelling=dwelling) | Q(residencies__dwelling=dwelling)


def meeting_sign_in(
    *, meeting: Meeting, dwelling: Dwelling, actor: Actor, person: Person | None = None
) -> MeetingAttendance:
    """Staff sign a household (or one of its people) in. Signing the same one in twice is
    refused with ``AlreadySignedIn``, whose message says when it was first signed in."""
    HOLD_MEETINGS.require(actor, meeting)
    _check_dwelling(meeting, dwelling, actor)
    if (
        person is not None
        and not Person.objects.filter(_of_dwelling(dwelling), pk=person.pk).exists()
    ):
        raise DomainError(_("这个人不是这户的业主或住户。"), code="person_not_of_dwelling")
    return _signed_in(meeting=meeting, actor=actor, dwelling=dwelling, person=person)


def clean_attendee_name(value: str) -> str:
    """A name as people write it: full-width letters folded, spaces trimmed and single."""
    name = " ".join(unicodedata.normalize("NFKC", value or "").split())
    if not name:
        raise DomainError(_("请填写参会人的姓名。"), code="name")
    if len(name) > 32:
        raise DomainError(_("姓名最长 32 个字。"), code="name")
    if any(ch.isdigit() for ch in name) or not any(ch.isalpha() for ch in name):
        raise DomainError(_("姓名不能含数字，房号请填在“房号”一栏。"), code="name")
    return name


def meeting_sign_in_named(
    *,
    meeting: Meeting,
    name: str,
    actor: Actor,
    dwelling: Dwelling | None = None,
    phone: str = "",
) -> MeetingAttendance:
    """Sign in someone by name: a person the register does not list (a tenant not yet
    registered, a neighbour), with their dwelling and mobile phone when they give them.

    A name that is an owner's or resident's of the given dwelling signs that person of the
    register in instead. Each named attendee signs in once (same name and dwelling).
    """
    HOLD_MEETINGS.require(actor, meeting)
    name = clean_attendee_name(name)
    phone = normalize_phone(phone or "")
    if phone and not phone_is_valid(phone):
        raise DomainError(
            _("手机号应为 11 位手机号码，如 13800000000；没有可以不填。"), code="phone"
        )
    if dwelling is not None:
        _check_dwelling(meeting, dwelling, actor)
        registered = Person.objects.filter(_of_dwelling(dwelling), name=name).distinct()[:2]
        if len(registered) == 1:
            return _signed_in(meeting=meeting, actor=actor, dwelling=dwelling, person=registered[0])
    return _signed_in(meeting=meeting, actor=actor, dwelling=dwelling, name=name, phone=phone)


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
        minutes_published_notify(meeting=meeting, now=meeting.minutes_published_at)
    return meeting
