"""Reads of the estate's duty: who is on duty now, a week's roster with the gaps in its
24-hour coverage (``watch.uncovered``), the people who may be put on duty, one's own shifts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from xiaoqu.accounts.models import Role, RoleAssignment
from xiaoqu.registry.models import Estate, Person
from xiaoqu.stewardship.models import BodyMember, DutyHandover, DutyShift
from xiaoqu.stewardship.services.bodies import COMMITTEE_KINDS, holds_role_at
from xiaoqu.stewardship.watch import uncovered

SHIFT_RELATED = ("person", "handover", "estate")
# How far back one's own shifts are listed (for the handover notes still to write).
MY_SHIFTS_DAYS = 14


def on_duty_now(estate: Estate, now: dt.datetime | None = None) -> list[DutyShift]:
    """The shifts running now, by post."""
    now = now or timezone.now()
    return list(
        DutyShift.objects.filter(estate=estate, starts_at__lte=now, ends_at__gt=now)
        .select_related("person")
        .order_by("post", "starts_at")
    )


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Gap:
    start: dt.datetime
    end: dt.datetime

    @property
    def hours(self) -> float:
        return round((self.end - self.start).total_seconds() / 3600, 1)

    @property
    def whole_day(self) -> bool:
        return self.start.time() == dt.time.min and self.end - self.start >= dt.timedelta(days=1)

    @property
    def end_label(self) -> str:
        """The end as a time of the gap's day: midnight after it is 24:00."""
        if self.end.time() == dt.time.min and self.end.date() > self.start.date():
            return "24:00"
        return self.end.strftime("%H:%M")


@dataclass
class RosterDay:
    day: dt.date
    shifts: list[DutyShift] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def items(self) -> list[tuple[str, Any]]:
        """The day's shifts and gaps in the order of their start: ``("shift", shift)`` or
        ``("gap", gap)``."""
        found: list[tuple[dt.datetime, str, Any]] = [(s.starts_at, "shift", s) for s in self.shifts]
        found += [(g.start, "gap", g) for g in self.gaps]
        return [(kind, obj) for _start, kind, obj in sorted(found, key=lambda x: (x[0], x[1]))]


@dataclass
class WeekRoster:
    monday: dt.date
    start: dt.datetime
    end: dt.datetime
    days: list[RosterDay]
    gaps: list[Gap]

    @property
    def covered(self) -> bool:
        return not self.gaps

    @property
    def uncovered_hours(self) -> float:
        return round(sum((g.end - g.start).total_seconds() for g in self.gaps) / 3600, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def week_roster(estate: Estate, monday: dt.date) -> WeekRoster:
    """The shifts of the week from ``monday`` 00:00 (Beijing time) and the times nobody is
    on duty, per day and for the week (a gap across midnight shows on both days)."""
    start, end = _midnight(monday), _midnight(monday + dt.timedelta(days=7))
    shifts = list(
        DutyShift.objects.filter(estate=estate, starts_at__lt=end, ends_at__gt=start)
        .select_related(*SHIFT_RELATED)
        .order_by("starts_at", "post")
    )
    spans = [(s.starts_at, s.ends_at) for s in shifts]
    gaps = [
        Gap(timezone.localtime(a), timezone.localtime(b)) for a, b in uncovered(start, end, spans)
    ]
    days = []
    for i in range(7):
        day = monday + dt.timedelta(days=i)
        day_start, day_end = _midnight(day), _midnight(day + dt.timedelta(days=1))
        days.append(
            RosterDay(
                day,
                [s for s in shifts if s.starts_at < day_end and s.ends_at > day_start],
                [
                    Gap(timezone.localtime(a), timezone.localtime(b))
                    for a, b in uncovered(day_start, day_end, spans)
                ],
            )
        )
    return WeekRoster(monday, start, end, days, gaps)


def recent_handovers(estate: Estate, limit: int = 10) -> QuerySet[DutyHandover]:
    return (
        DutyHandover.objects.filter(shift__estate=estate)
        .select_related("shift__person", "by")
        .order_by("-at")[:limit]
    )


def _region_ids(estate: Estate) -> list[int]:
    return [int(part) for part in estate.region_path.strip("/").split("/") if part]


def duty_candidates(estate: Estate) -> list[Person]:
    """Who may be put on duty: the estate's owners and residents, the members of its current
    自管会 or 业委会, and the persons of its property managers' users."""
    people = set(
        Person.objects.filter(
            Q(ownerships__dwelling__estate=estate) | Q(residencies__dwelling__estate=estate)
        ).values_list("pk", flat=True)
    )
    people |= set(
        BodyMember.objects.filter(
            body__estate=estate, body__ended_on=None, body__kind__in=COMMITTEE_KINDS
        ).values_list("person_id", flat=True)
    )
    covering = (
        Q(estate=estate) | Q(region_id__in=_region_ids(estate)) | Q(grid__buildings__estate=estate)
    )
    for a in RoleAssignment.objects.filter(
        covering, role=Role.PROPERTY_MANAGER, user__is_active=True, user__person__isnull=False
    ).select_related("user"):
        if a.user.person_id is not None and holds_role_at(a.user, Role.PROPERTY_MANAGER, estate):
            people.add(a.user.person_id)
    return list(Person.objects.filter(pk__in=people).order_by("name", "pk"))


def my_shifts(user: Any, now: dt.datetime | None = None) -> list[DutyShift]:
    """The signed-in user's shifts of the last two weeks and to come."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return []
    now = now or timezone.now()
    return list(
        DutyShift.objects.filter(
            person_id=person_id, ends_at__gt=now - dt.timedelta(days=MY_SHIFTS_DAYS)
        )
        .select_related(*SHIFT_RELATED)
        .order_by("starts_at")
    )
