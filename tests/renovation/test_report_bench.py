"""The report half of ``xiaoqu bench renovation``, run on a small register in process."""

from __future__ import annotations

import pytest

from tests.factories import make_estate, region_chain
from xiaoqu.bench.renovation import measure_report, report_rows
from xiaoqu.renovation.models import BatchEstate, MoneyEntry, Project

pytestmark = pytest.mark.django_db


def test_the_report_benchmark_builds_a_project_per_estate_and_times_each_step():
    """Every estate gets a batch entry and a project; the rows carry the figures."""
    community = region_chain()[-1]
    other = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
    for n in range(3):
        make_estate(community, name=f"基准{n}")
    make_estate(other, name="基准外")
    figures = measure_report(runs=1, naive_slice=2)
    assert figures["estates"] == 4 == BatchEstate.objects.count() == Project.objects.count()
    assert figures["items"] == 16
    assert figures["ledger"] == MoneyEntry.objects.count()
    assert figures["naive_estates"] == 2
    assert figures["queries"] <= 7
    rows = report_rows(figures, "SQLite")
    assert [row["target"] for row in rows if "target" in row] == ["≤ 2 s"] * 3
    assert all(row.get("ms", 0) >= 0 for row in rows)
