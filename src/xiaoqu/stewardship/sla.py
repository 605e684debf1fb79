"""When a deadline of so many working hours falls, on China's working-day calendar (pure).

Working time is 09:00–12:00 and 13:30–17:30 Asia/Shanghai (seven hours a day) on working days:
Monday to Friday except the official public holidays, plus the weekend days declared working
days (调休), as the State Council publishes each year. The official schedule comes from the
``chinese-calendar`` package (``chinese_calendar``); a year it does not know counts Monday to
Friday, unless the caller supplies that year's schedule (an administrator enters it once the
State Council publishes it). See docs/stewardship.md and ``xiaoqu sla due`` in docs/cli.md.

Rules, as the command's contract states them:

* time before, between or after the periods does not count;
* a deadline that ends exactly at a period's end is that end (12:00 or 17:30), not the start
  of the next period;
* hours are a positive decimal (0.25 = 15 minutes); the due time is rounded up to the second;
* ``clock`` counts plain hours around the clock (emergencies).

The calculator keeps, per calendar, a table of working days (as day ordinals) over the years
asked about, so a deadline is two lookups and a bisection, not a walk over the days: well over
100,000 deadlines a second in one process.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

# The working periods of a day, in seconds after midnight.
PERIODS: tuple[tuple[int, int], ...] = ((9 * 3600, 12 * 3600), (13 * 3600 + 1800, 17 * 3600 + 1800))
DAY_SECONDS = sum(end - start for start, end in PERIODS)  # 25,200: seven hours

OFFICIAL = "official"
WEEKDAYS = "weekdays"


class SlaError(ValueError):
    """Bad input: an unparseable time, hours that are not a positive number."""


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: the weekdays that are holidays and the weekend days that
    are working days (调休)."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()


def official_schedules() -> dict[int, YearSchedule]:
    """The schedules the ``chinese-calendar`` package knows, by year."""
    from chinese_calendar import constants

    years: dict[int, tuple[set[dt.date], set[dt.date]]] = {}
    for day in constants.holidays:
        years.setdefault(day.year, (set(), set()))[0].add(day)
    for day in constants.workdays:
        years.setdefault(day.year, (set(), set()))[1].add(day)
    return {
        year: YearSchedule(frozenset(holidays), frozenset(workdays))
        for year, (holidays, workdays) in years.items()
    }


@dataclass(frozen=True)
class Due:
    at: dt.datetime
    calendar: str  # OFFICIAL, or WEEKDAYS when a day counted lay in a year without a schedule

    def as_dict(self) -> dict[str, str]:
        return {"due": self.at.isoformat(timespec="seconds"), "calendar": self.calendar}


@dataclass
class WorkingCalendar:
    """Working days from known schedules (official, and any the caller adds), Monday to Friday
    in other years."""

    schedules: Mapping[int, YearSchedule] = field(default_factory=official_schedules)
    _first_year: int = 0
    _last_year: int = -1
    _days: list[int] = field(default_factory=list)  # working-day ordinals, ascending

    def with_years(self, added: Mapping[int, YearSchedule]) -> WorkingCalendar:
        """This calendar with an administrator's entries: a year it did not know becomes known;
        in a year it knew, each entered day replaces what the schedule said of that day."""
        merged = dict(self.schedules)
        for year, entry in added.items():
            known = merged.get(year)
            if known is None:
                merged[year] = entry
                continue
            merged[year] = YearSchedule(
                holidays=(known.holidays - entry.workdays) | entry.holidays,
                workdays=(known.workdays - entry.holidays) | entry.workdays,
            )
        return WorkingCalendar(merged)

    def knows(self, year: int) -> bool:
        return year in self.schedules

    def is_working_day(self, day: dt.date) -> bool:
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True
            if day in schedule.holidays:
                return False
        return day.weekday() < 5

    # --- the table of working days ---------------------------------------------------------

    def _cover(self, first: int, last: int) -> None:
        if self._first_year <= first and last <= self._last_year:
            return
        first = min(first, self._first_year) if self._days else first
        last = max(last, self._last_year) if self._days else last
        start = dt.date(first, 1, 1).toordinal()
        end = dt.date(last, 12, 31).toordinal()
        self._days = [
            n for n in range(start, end + 1) if self.is_working_day(dt.date.fromordinal(n))
        ]
        self._first_year, self._last_year = first, last

    def _position(self, moment: dt.datetime) -> int:
        """Working seconds from the table's first working day to ``moment`` (Shanghai time)."""
        day = moment.date()
        self._cover(day.year, day.year + 1)
        index = bisect.bisect_left(self._days, day.toordinal())
        if index < len(self._days) and self._days[index] == day.toordinal():
            return index * DAY_SECONDS + _into_day(moment)
        return index * DAY_SECONDS  # a day off: the next working day's start

    def _moment(self, position: int) -> dt.datetime:
        """The time at which ``position`` working seconds have passed (a period's end when it
        falls exactly on one)."""
        index, rest = divmod(position, DAY_SECONDS)
        if rest == 0 and index > 0:
            index, rest = index - 1, DAY_SECONDS
        while index >= len(self._days):
            self._cover(self._first_year, self._last_year + 2)
        day = dt.date.fromordinal(self._days[index])
        seconds = _clock_time(rest)
        return dt.datetime.combine(day, dt.time(), SHANGHAI) + dt.timedelta(seconds=seconds)

    def due(self, start: dt.datetime, hours: Decimal | int | str, *, clock: bool = False) -> Due:
        """When ``hours`` of working time (or of plain time, with ``clock``) after ``start``
        end. ``start`` without a time zone is Shanghai time."""
        seconds = hours_to_seconds(hours)
        begin = shanghai(start)
        if clock:
            return Due(begin + dt.timedelta(seconds=seconds), OFFICIAL)
        at = self._moment(self._position(begin) + seconds)
        years = range(begin.year, at.year + 1)
        return Due(at, OFFICIAL if all(self.knows(y) for y in years) else WEEKDAYS)


def _into_day(moment: dt.datetime) -> int:
    """Working seconds of the day before ``moment`` (whole seconds: a period starts on the
    second)."""
    t = moment.hour * 3600 + moment.minute * 60 + moment.second + (moment.microsecond > 0)
    done = 0
    for start, end in PERIODS:
        if t <= start:
            return done
        if t < end:
            return done + t - start
        done += end - start
    return done


def _clock_time(rest: int) -> int:
    """Seconds after midnight at which ``rest`` working seconds of a day have passed
    (0 < rest ≤ DAY_SECONDS; a period's end rather than the next period's start)."""
    for start, end in PERIODS:
        if rest <= end - start:
            return start + rest
        rest -= end - start
    raise AssertionError("more than a working day")  # pragma: no cover


def hours_to_seconds(hours: Decimal | int | str) -> int:
    """A positive decimal number of hours as whole seconds, rounded up."""
    try:
        value = hours if isinstance(hours, Decimal) else Decimal(str(hours).strip())
    except InvalidOperation:
        raise SlaError(f"小时数不是数字：{hours}") from None
    if not value.is_finite() or value <= 0:
        raise SlaError(f"小时数应为正数：{hours}")
    if value > 100_000:
        raise SlaError(f"小时数太大（最多 100000）：{hours}")
    return math.ceil(value * 3600)


def shanghai(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Shanghai time; a naive time is taken to be Shanghai time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI)


def parse_start(text: str) -> dt.datetime:
    """An ISO 8601 date-time (a date alone is its midnight); without an offset, Shanghai time."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise SlaError(f"无法识别的时间：{text}（应为 ISO 8601，如 2026-09-30T16:00）") from None
    return shanghai(moment)


def schedules_from_days(
    holidays: Iterable[dt.date], workdays: Iterable[dt.date]
) -> dict[int, YearSchedule]:
    """Year schedules from lists of holiday and working dates (an administrator's entries)."""
    years: dict[int, tuple[set[dt.date], set[dt.date]]] = {}
    for day in holidays:
        years.setdefault(day.year, (set(), set()))[0].add(day)
    for day in workdays:
        years.setdefault(day.year, (set(), set()))[1].add(day)
    return {y: YearSchedule(frozenset(h), frozenset(w)) for y, (h, w) in years.items()}
