"""``xiaoqu bench workbench`` on a small register, in process: the activity is built, the
to-do page is timed against the register's workbench for a street and a county."""

from __future__ import annotations

import pytest

from tests.factories import make_estate, region_chain
from xiaoqu.bench.workbench import measure_todo
from xiaoqu.decisions.models import Objection, Vote

pytestmark = pytest.mark.django_db


def test_the_workbench_benchmark_builds_what_the_page_lists_and_times_it():
    community = region_chain()[-1]
    for n in range(12):
        make_estate(community, name=f"基准{n}", buildings=2)
    rows = measure_todo(requests=2)
    built = rows[0]
    assert built["case"] == "activity built" and built["objections"] == Objection.objects.count()
    assert built["open_votes"] == Vote.objects.filter(status="open").count()
    street = next(r for r in rows if r["case"].startswith("to-do page, street"))
    assert street["estates"] == 12 and street["kinds"] >= 3 and street["lines"] > 0
    assert street["goal"] == "p95 ≤ 150 ms" and street["p95_ms"] >= street["p50_ms"] > 0
    assert street["queries"] <= 25
    assert any(r["case"].startswith("baseline: register workbench") for r in rows)
