"""The platform's working calendar: the package's years plus what an administrator enters."""

from __future__ import annotations

import datetime as dt

import pytest

from xiaoqu.stewardship.models import CalendarDay, CalendarDayKind
from xiaoqu.stewardship.selectors import working_calendar

pytestmark = pytest.mark.django_db


def test_an_entered_year_counts_as_official_with_its_holidays_and_weekend_workdays():
    before = working_calendar().due(dt.datetime(2026, 12, 31, 17), "2").as_dict()
    assert before == {"due": "2027-01-01T10:30:00+08:00", "calendar": "weekdays"}
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind=CalendarDayKind.HOLIDAY, note="元旦")
    CalendarDay.objects.create(date=dt.date(2027, 1, 9), kind=CalendarDayKind.WORKDAY)
    after = working_calendar().due(dt.datetime(2026, 12, 31, 17), "2").as_dict()
    assert after == {"due": "2027-01-04T10:30:00+08:00", "calendar": "official"}
    assert working_calendar().is_working_day(dt.date(2027, 1, 9))


def test_an_entry_corrects_one_day_of_a_known_year_and_keeps_the_rest():
    CalendarDay.objects.create(date=dt.date(2026, 10, 9), kind=CalendarDayKind.HOLIDAY)
    calendar = working_calendar()
    assert not calendar.is_working_day(dt.date(2026, 10, 9))
    assert not calendar.is_working_day(dt.date(2026, 10, 1))  # the package's holiday stays
    assert calendar.is_working_day(dt.date(2026, 10, 10))  # and its 调休 Saturday
    CalendarDay.objects.all().delete()
    assert working_calendar().is_working_day(dt.date(2026, 10, 9))


def test_the_calendar_is_reused_while_the_entries_stay_the_same(django_assert_num_queries):
    first = working_calendar()
    with django_assert_num_queries(1):
        assert working_calendar() is first
