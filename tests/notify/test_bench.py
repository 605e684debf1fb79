"""The notification benchmark's work, at its smallest size, in process."""

from __future__ import annotations

import pytest

from xiaoqu.bench.notify import _notify_in_child

pytestmark = pytest.mark.django_db


def test_the_notify_benchmark_queues_reminders_and_sends_everything():
    r = _notify_in_child(owners=200, runs=1)
    assert r["reminded"] == 200
    assert r["handled"] == r["queued"] > 0
    assert r["remind_s"] > 0 and r["base_median_s"] > 0 and r["update_rows"] > 0
