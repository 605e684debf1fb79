"""Rate settings (xiaoqu.core.rates): COUNT/WINDOW, read once and checked at start."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from xiaoqu.core.rates import Rate, check_rate_settings, parse_rate, rate_setting, wait_text


@pytest.mark.parametrize(
    ("text", "count", "seconds"),
    [("10/h", 10, 3600), ("30/15m", 30, 900), ("100/d", 100, 86400), (" 5 / 2H ", 5, 7200)],
)
def test_a_rate_is_a_count_per_window(text, count, seconds):
    assert parse_rate(text) == Rate(count, dt.timedelta(seconds=seconds))


@pytest.mark.parametrize("text", ["", "off", "OFF"])
def test_no_limit(text):
    assert parse_rate(text) is None


@pytest.mark.parametrize("text", ["10", "10/x", "0/h", "10/0m", "-1/h", "ten/h"])
def test_a_rate_that_cannot_be_read_is_refused(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_a_bad_setting_stops_the_project_at_start():
    with override_settings(XIAOQU_OPINION_RATE="10 per hour"):
        with pytest.raises(ImproperlyConfigured):
            rate_setting("XIAOQU_OPINION_RATE")
        assert [e.id for e in check_rate_settings(None)] == ["xiaoqu.rates.E001"]
    assert check_rate_settings(None) == []


def test_windows_and_waits_in_words():
    assert parse_rate("10/h").window_text() == "1 小时"  # type: ignore[union-attr]
    assert parse_rate("10/90m").window_text() == "90 分钟"  # type: ignore[union-attr]
    assert wait_text(dt.timedelta(seconds=5)) == "1 分钟"
    assert wait_text(dt.timedelta(minutes=59, seconds=1)) == "60 分钟"
    assert wait_text(dt.timedelta(hours=5)) == "5 小时"
