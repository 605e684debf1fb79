"""Reads of the stewardship app: the platform's working calendar."""

from __future__ import annotations

from django.db.models import Count, Max

from xiaoqu.stewardship.models import CalendarDay, CalendarDayKind
from xiaoqu.stewardship.sla import WorkingCalendar, schedules_from_days

_cached: tuple[tuple[int, object], WorkingCalendar] | None = None
_official: WorkingCalendar | None = None


def working_calendar() -> WorkingCalendar:
    """The official calendar with the years an administrator entered (their entries win).

    Built once and kept while the entries stay the same (one small query checks).
    """
    global _cached, _official
    stamp = CalendarDay.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    key = (stamp["n"], stamp["last"])
    if _cached is not None and _cached[0] == key:
        return _cached[1]
    if _official is None:
        _official = WorkingCalendar()
    days = list(CalendarDay.objects.values_list("date", "kind"))
    entered = schedules_from_days(
        holidays=[d for d, kind in days if kind == CalendarDayKind.HOLIDAY],
        workdays=[d for d, kind in days if kind == CalendarDayKind.WORKDAY],
    )
    calendar = _official.with_years(entered) if entered else _official
    _cached = (key, calendar)
    return calendar
