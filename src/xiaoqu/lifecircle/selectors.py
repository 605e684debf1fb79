"""Reads for the life circle: the latest analysis of a region, an estate's report card."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, FacilityType, RunStatus
from xiaoqu.needs.models import Demand, DemandSource
from xiaoqu.registry.models import Estate, Region


def latest_run(*, region: Region) -> AnalysisRun | None:
    return AnalysisRun.objects.filter(region=region).order_by("-created_at", "-pk").first()


def covering_run(*, region: Region) -> AnalysisRun | None:
    """The newest finished analysis of a region containing this one (a district's analysis
    covers its streets and communities), for a region that has none of its own."""
    above = [int(pk) for pk in region.path.strip("/").split("/") if pk and int(pk) != region.pk]
    return (
        AnalysisRun.objects.filter(region_id__in=above, status=RunStatus.DONE)
        .select_related("region")
        .order_by("-created_at", "-pk")
        .first()
    )


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


@dataclass(frozen=True)
class LeftOutRow:
    estate: Estate
    reason: str


def left_out(*, run: AnalysisRun, estates: Any) -> list[LeftOutRow]:
    """Estates of the run's region (among ``estates``, those the reader may see) that the
    finished run has no results for, each with the reason.

    The reason is worked out again from the run's network (its cached build) only when some
    such estate has coordinates, so a run that covered every estate costs one query.
    """
    from xiaoqu.lifecircle.coverage import sort_estates

    missing = list(
        estates.filter(region_path__startswith=run.region.path)
        .exclude(pk__in=EstateAccess.objects.filter(run=run).values("estate_id"))
        .order_by("code", "pk")
    )
    if not missing:
        return []
    located = [e for e in missing if e.latitude is not None and e.longitude is not None]
    network = _run_network(run) if located else None
    reasons: dict[int, str] = {}
    if network is not None:
        _kept, out = sort_estates(
            network, [(e.pk, e.name, float(e.latitude), float(e.longitude)) for e in located]
        )
        reasons = {o.estate_id: o.reason for o in out}
    rows = []
    for estate in missing:
        if estate.pk in reasons:
            reason = reasons[estate.pk]
        elif estate.latitude is None or estate.longitude is None:
            reason = _("没有坐标：请在小区档案中填写经纬度后重新分析")
        elif network is None:
            reason = _("不在路网覆盖范围内，或离可步行的道路太远")
        else:  # the network covers it now: registered or moved since the run
            reason = _("分析之后才登记或改了坐标：请重新分析")
        rows.append(LeftOutRow(estate, reason))
    return rows


def _run_network(run: AnalysisRun) -> Any:
    """The network the run read, from the cache the run filled; None when it cannot be had."""
    from pathlib import Path

    from xiaoqu.lifecircle.network import NetworkError, load_network

    try:
        return load_network(run.osm_file.path, Path(settings.VAR_DIR) / "cache" / "osm")
    except (NetworkError, OSError, ValueError):
        return None


def gap_titles(result: EstateAccess) -> tuple[str, str]:
    """The title of a gap's demand, and its start that names the gap (the type and the walking
    distance required) whatever distance a run found: the key the gap's demand is found by.

    Both are in the default language, whatever language the page is in: the title is data
    residents read in the demand list, and one gap must not become two demands by language.
    """
    with translation.override(settings.LANGUAGE_CODE):
        gap = _("步行%(d)d米内没有%(t)s") % {"d": result.required_m, "t": result.type.name}
        if result.distance_m is None:
            found = _("附近都没有")
        else:
            found = _("最近的约%(m)d米") % {"m": int(result.distance_m)}
    return f"{gap}（{found}）", f"{gap}（"


def demanded_gaps(*, estate: Estate, rows: list[EstateAccess]) -> set[int]:
    """The report card's gaps already turned into a demand of the estate (found by the start
    of the demand's title, as ``services.gap_to_demand`` finds them): one query."""
    titles = list(
        Demand.objects.filter(estate=estate, source=DemandSource.ANALYSIS).values_list(
            "title", flat=True
        )
    )
    if not titles:
        return set()
    return {
        r.pk for r in rows if not r.within and any(t.startswith(gap_titles(r)[1]) for t in titles)
    }
