"""Reads for the life circle: the latest analysis of a region, an estate's report card."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, FacilityType, RunStatus
from xiaoqu.registry.models import Estate, Region


def latest_run(*, region: Region) -> AnalysisRun | None:
    return AnalysisRun.objects.filter(region=region).order_by("-created_at", "-pk").first()


def latest_done_run_for_estate(*, estate: Estate) -> AnalysisRun | None:
    """The newest finished run of a region containing the estate that covers it."""
    return (
        AnalysisRun.objects.filter(status=RunStatus.DONE, results__estate=estate)
        .order_by("-created_at", "-pk")
        .distinct()
        .first()
    )


def report_card(*, estate: Estate) -> tuple[AnalysisRun | None, list[EstateAccess]]:
    run = latest_done_run_for_estate(estate=estate)
    if run is None:
        return None, []
    rows = list(
        EstateAccess.objects.filter(run=run, estate=estate)
        .select_related("type", "facility")
        .order_by("type__distance_m", "type__code")
    )
    return run, rows


@dataclass
class GapRow:
    estate: Estate
    gaps: list[EstateAccess] = field(default_factory=list)
    checked: int = 0


@dataclass
class GapTable:
    run: AnalysisRun
    types: list[FacilityType]
    by_type: dict[int, int]  # facility type id → estates with a gap
    rows: list[GapRow]

    @property
    def summary(self) -> list[tuple[FacilityType, int]]:
        return [(t, self.by_type.get(t.pk, 0)) for t in self.types]


def gap_table(*, run: AnalysisRun, estates: Any) -> GapTable:
    """Estates of the run the reader may see, with their gaps, most gaps first."""
    results = (
        EstateAccess.objects.filter(run=run, estate__in=estates)
        .select_related("estate", "type")
        .order_by("estate__name")
    )
    rows: dict[int, GapRow] = {}
    by_type: dict[int, int] = defaultdict(int)
    types: dict[int, FacilityType] = {}
    for r in results:
        row = rows.setdefault(r.estate_id, GapRow(r.estate))
        row.checked += 1
        types[r.type_id] = r.type
        if not r.within:
            row.gaps.append(r)
            by_type[r.type_id] += 1
    ordered = sorted(rows.values(), key=lambda g: (-len(g.gaps), g.estate.name))
    return GapTable(
        run=run,
        types=sorted(types.values(), key=lambda t: (t.distance_m, t.code)),
        by_type=dict(by_type),
        rows=ordered,
    )
