"""Working-time deadlines on China's calendar (stewardship/sla.py) and ``xiaoqu sla due``.

The holiday cases were checked by hand against the State Council's notices: 2025 国庆 and
中秋 Oct 1–8 with 调休 Sun Sep 28 and Sat Oct 11; 2026 国庆 Oct 1–7 with 调休 Sun Sep 20 and
Sat Oct 10; 2025 春节 Jan 28–Feb 4 with 调休 Sun Jan 26 and Sat Feb 8; 2026 春节 Feb 15–23
with 调休 Sat Feb 14 and Sat Feb 28.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoqu.stewardship import sla
from xiaoqu.stewardship.sla_cli import run

CAL = sla.WorkingCalendar()


def due(start: str, hours: str | int | float, **kw) -> tuple[str, str]:
    result = CAL.due(dt.datetime.fromisoformat(start), str(hours), **kw).as_dict()
    return result["due"], result["calendar"]


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # The contract's example: 1.5 h on Wed 30 Sep 2026, the holiday, 6.5 h on Thu 8 Oct.
        ("2026-09-30T16:00", 8, "2026-10-08T17:00:00+08:00"),
        # Ending exactly at a period's end is that end, not the next period's start.
        ("2026-09-30T16:00", 1.5, "2026-09-30T17:30:00+08:00"),
        ("2026-09-29T09:00", 3, "2026-09-29T12:00:00+08:00"),
        ("2026-09-29T09:00", "3.25", "2026-09-29T13:45:00+08:00"),
        # Before, between and after the periods does not count.
        ("2026-09-29T07:10", 1, "2026-09-29T10:00:00+08:00"),
        ("2026-09-29T12:40", 1, "2026-09-29T14:30:00+08:00"),
        ("2026-09-29T19:00", 1, "2026-09-30T10:00:00+08:00"),
        ("2026-09-29T09:00", "0.25", "2026-09-29T09:15:00+08:00"),
        # A weekend start waits for Monday; a 调休 Saturday works.
        ("2026-09-26T10:00", 1, "2026-09-28T10:00:00+08:00"),
        ("2026-10-09T16:00", 3, "2026-10-10T10:30:00+08:00"),
        # 2026: Sun 20 Sep is a working day (调休) before 国庆.
        ("2026-09-19T10:00", 2, "2026-09-20T11:00:00+08:00"),
        # 2025 国庆 and 中秋: Tue 30 Sep, then nothing until Thu 9 Oct.
        ("2025-09-30T16:00", 8, "2025-10-09T17:00:00+08:00"),
        # A Saturday start waits for the 调休 Sunday.
        ("2025-09-27T10:00", 7, "2025-09-28T17:30:00+08:00"),
        # 2025 春节: 1.5 h on Fri 24 Jan, Sun 26 Jan (调休), Mon 27 Jan, then Wed 5 Feb.
        ("2025-01-24T16:00", 16, "2025-02-05T09:30:00+08:00"),
        # 2026 春节: Fri 13 Feb, Sat 14 Feb (调休), then Tue 24 and Wed 25 Feb.
        ("2026-02-13T16:00", 16, "2026-02-25T09:30:00+08:00"),
        ("2026-02-13T16:00", 8, "2026-02-14T17:00:00+08:00"),
        # An offset is converted: 01:00 UTC is 09:00 in Shanghai.
        ("2026-09-29T01:00+00:00", 1, "2026-09-29T10:00:00+08:00"),
    ],
)
def test_working_hours_on_the_official_calendar(start, hours, expected):
    assert due(start, hours) == (expected, "official")


def test_a_year_without_the_official_schedule_counts_monday_to_friday():
    # 1 January 2027 is a Friday: counted, since the year's holidays are not known.
    assert due("2026-12-31T17:00", 2) == ("2027-01-01T10:30:00+08:00", "weekdays")
    assert due("2027-03-05T16:00", 2) == ("2027-03-08T09:30:00+08:00", "weekdays")


def test_an_administrator_can_enter_a_years_schedule():
    entered = sla.schedules_from_days(
        holidays=[dt.date(2027, 1, 1)], workdays=[dt.date(2027, 1, 9)]
    )
    calendar = CAL.with_years(entered)
    result = calendar.due(dt.datetime(2026, 12, 31, 17), "2").as_dict()
    assert result == {"due": "2027-01-04T10:30:00+08:00", "calendar": "official"}
    saturday = calendar.due(dt.datetime(2027, 1, 8, 17), "1").as_dict()
    assert saturday["due"] == "2027-01-09T09:30:00+08:00"


def test_the_clock_counts_plain_hours_through_holidays():
    assert due("2026-09-30T16:00", 8, clock=True) == ("2026-10-01T00:00:00+08:00", "official")
    assert due("2026-10-01T23:30", "0.5", clock=True)[0] == "2026-10-02T00:00:00+08:00"


@pytest.mark.parametrize("hours", ["0", "-1", "abc", "nan", "inf", "", "100001"])
def test_hours_must_be_a_positive_number(hours):
    with pytest.raises(sla.SlaError):
        CAL.due(dt.datetime(2026, 9, 29, 9), hours)


def test_the_due_time_is_rounded_up_to_the_second():
    assert due("2026-09-29T09:00", Decimal(1) / Decimal(3600) / 2)[0] == (
        "2026-09-29T09:00:01+08:00"
    )


# --- against a slow reference: walk the calendar day by day -------------------------------------


def reference(start: dt.datetime, seconds: int) -> dt.datetime:
    day = start.date()
    t = start.hour * 3600 + start.minute * 60 + start.second
    while True:
        if CAL.is_working_day(day):
            for a, b in sla.PERIODS:
                begin = max(a, t)
                if begin >= b:
                    continue
                if seconds <= b - begin:
                    return dt.datetime.combine(day, dt.time(), sla.SHANGHAI) + dt.timedelta(
                        seconds=begin + seconds
                    )
                seconds -= b - begin
        day += dt.timedelta(days=1)
        t = 0


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 11, 30)),
    quarters=st.integers(min_value=1, max_value=400),
)
def test_the_calculator_agrees_with_a_day_by_day_walk(start, quarters):
    start = start.replace(microsecond=0)
    got = CAL.due(start, Decimal(quarters) / 4).at
    assert got == reference(start, quarters * 900)


# --- the command's contract ---------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return run(list(argv), out, err), out.getvalue(), err.getvalue()


def test_the_command_prints_one_json_object():
    code, out, err = _run("--start", "2026-09-30T16:00", "--hours", "8")
    assert code == 0 and err == ""
    assert json.loads(out) == {"due": "2026-10-08T17:00:00+08:00", "calendar": "official"}
    code, out, _err = _run("--start", "2026-09-30T16:00:00+08:00", "--hours", "8", "--clock")
    assert json.loads(out)["due"] == "2026-10-01T00:00:00+08:00"


@pytest.mark.parametrize(
    "argv",
    [
        ("--start", "30/09/2026", "--hours", "8"),
        ("--start", "2026-09-30T16:00", "--hours", "0"),
        ("--start", "2026-09-30T16:00", "--hours", "eight"),
        ("--start", "2026-09-30T16:00"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_nothing_on_stdout(argv, capsys):
    code, out, err = _run(*argv)
    assert code == 2 and out == ""
    assert err or capsys.readouterr().err


def test_the_installed_command_answers_before_django_starts():
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "xiaoqu.cli",
            "sla",
            "due",
            "--start",
            "2025-09-30T16:00",
            "--hours",
            "8",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["due"] == "2025-10-09T17:00:00+08:00"
