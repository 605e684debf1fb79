"""Reads of the roll-ups: a region's figures summed from its estates' rows, its children's,
an estate's own (docs/insights.md). No query here touches dwellings, opinions or ballots."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from xiaoqu.core.figures import SECTIONS
from xiaoqu.decisions.models import Vote, VoteStatus
from xiaoqu.insights import recount
from xiaoqu.insights.models import EstateFigures, EstateKeyed
from xiaoqu.lifecircle.selectors import report_card
from xiaoqu.registry.models import Estate, ManagementMode, Region, RegionLevel, RenovationStage

# Stages whose households count as benefited: the works are accepted.
BENEFITED = (RenovationStage.ACCEPTED, RenovationStage.MANAGED)

# The summed fields of ``EstateFigures`` (the two nullable ones are series, not sums).
SUMMED = tuple(name for s in SECTIONS for name in recount.FIELDS[s] if name not in recount.NULLABLE)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


@dataclass
class Figures:
    """The figures of a region (its whole subtree) or of one estate."""

    estates: int = 0
    eligible_estates: int = 0
    households: int = 0
    eligible_households: int = 0
    # Households of estates accepted or under long-term management, and of estates in a plan.
    benefited_households: int = 0
    in_plan_households: int = 0
    sums: dict[str, int] = field(default_factory=dict)
    by_stage: dict[str, dict[str, int]] = field(default_factory=dict)
    by_management: dict[str, int] = field(default_factory=dict)
    keyed: dict[str, int] = field(default_factory=dict)
    planned_by_year: dict[int, dict[str, int]] = field(default_factory=dict)
    accepted_by_year: dict[int, dict[str, int]] = field(default_factory=dict)
    as_of: dt.datetime | None = None

    @property
    def turnout(self) -> float | None:
        total = self.sums.get("owners_total", 0)
        return self.sums.get("owners_participating", 0) / total if total else None

    @property
    def turnout_pct(self) -> str:
        return _pct(self.turnout)

    @property
    def satisfaction_pct(self) -> str:
        return _pct(self.satisfaction)

    @property
    def addressed_pct(self) -> str:
        return _pct(self.addressed)

    @property
    def satisfaction(self) -> float | None:
        n = self.sums.get("survey_responses", 0)
        return (self.sums["survey_satisfied"] + self.sums["survey_basic"]) / n if n else None

    @property
    def on_time(self) -> float | None:
        n = self.sums.get("orders_closed", 0)
        return self.sums["orders_on_time"] / n if n else None

    @property
    def addressed(self) -> float | None:
        n = self.sums.get("demands", 0)
        return self.sums["demands_addressed"] / n if n else None


@dataclass
class ChildRow:
    region: Region | None
    estate: Estate | None
    figures: Figures


def _totals(estates: QuerySet[Estate]) -> dict[str, Any]:
    """The aggregates of one grouped query; keys prefixed so none clashes with a field."""
    eligible = Q(year_built__lt=settings.ELIGIBLE_BEFORE_YEAR)
    return {
        "x_estates": Count("pk"),
        "x_eligible_estates": Count("pk", filter=eligible),
        "x_households": Sum("households"),
        "x_eligible_households": Sum("households", filter=eligible),
        "x_benefited_households": Sum("households", filter=Q(stage__in=BENEFITED)),
        "x_in_plan_households": Sum("households", filter=Q(figures__planned_year__isnull=False)),
        **{f"x_{name}": Sum(f"figures__{name}") for name in SUMMED},
    }


def _fill(target: Figures, row: Any) -> None:
    target.estates += row["x_estates"] or 0
    target.eligible_estates += row["x_eligible_estates"] or 0
    target.households += row["x_households"] or 0
    target.eligible_households += row["x_eligible_households"] or 0
    target.benefited_households += row["x_benefited_households"] or 0
    target.in_plan_households += row["x_in_plan_households"] or 0
    for name in SUMMED:
        target.sums[name] = target.sums.get(name, 0) + (row[f"x_{name}"] or 0)


def _empty() -> Figures:
    return Figures(sums=dict.fromkeys(SUMMED, 0))


def region_figures(region: Region, *, with_children: bool = True) -> tuple[Figures, list[ChildRow]]:
    """The region's figures and, one level down, its children's (regions, or at a community
    its estates) — from one grouped query over the estates' figure rows, plus one each for
    stages, management modes, keyed families and the two series."""
    estates = Estate.objects.filter(region_path__startswith=region.path)
    total = _empty()
    children: list[ChildRow] = []
    if region.level == RegionLevel.COMMUNITY and with_children:
        rows = estates.values("pk").annotate(**_totals(estates)).order_by("code")
        names = {e.pk: e for e in estates.only("pk", "name", "code", "stage")}
        for row in rows.iterator():
            mine = _empty()
            _fill(mine, row)
            _fill(total, row)
            children.append(ChildRow(region=None, estate=names[row["pk"]], figures=mine))
    else:
        by_community: Any = estates.values("community_id").annotate(**_totals(estates)).order_by()
        kids = list(region.children.order_by("code", "name")) if with_children else []
        child_of: dict[int, Region] = {}
        if kids:
            paths = [(k.path, k) for k in kids]
            for pk, path in Region.objects.filter(
                path__startswith=region.path, level=RegionLevel.COMMUNITY
            ).values_list("pk", "path"):
                for prefix, kid in paths:
                    if path.startswith(prefix):
                        child_of[pk] = kid
                        break
        per_child: dict[int, Figures] = {k.pk: _empty() for k in kids}
        for row in by_community:
            _fill(total, row)
            mine_child = child_of.get(row["community_id"])
            if mine_child is not None:
                _fill(per_child[mine_child.pk], row)
        children = [ChildRow(region=k, estate=None, figures=per_child[k.pk]) for k in kids]
    _details(
        total, estates, EstateKeyed.objects.filter(estate__region_path__startswith=region.path)
    )
    return total, children


def estate_figures(estate: Estate) -> Figures:
    estates = Estate.objects.filter(pk=estate.pk)
    total = _empty()
    for row in estates.values("pk").annotate(**_totals(estates)):
        _fill(total, row)
    _details(total, estates, EstateKeyed.objects.filter(estate=estate))
    return total


def _details(target: Figures, estates: QuerySet[Estate], keyed: QuerySet[EstateKeyed]) -> None:
    stages = {
        r["stage"]: {"estates": r["n"], "households": r["h"] or 0}
        for r in estates.values("stage").annotate(n=Count("pk"), h=Sum("households")).order_by()
    }
    target.by_stage = {
        s: stages.get(s, {"estates": 0, "households": 0}) for s in RenovationStage.values
    }
    modes = {
        r["management_mode"]: r["n"]
        for r in estates.values("management_mode").annotate(n=Count("pk")).order_by()
    }
    target.by_management = {m: modes.get(m, 0) for m in ManagementMode.values}
    target.keyed = {
        r["key"]: r["v"] for r in keyed.values("key").annotate(v=Sum("value")).order_by("key")
    }
    target.planned_by_year = {
        r["figures__planned_year"] or 0: {"estates": r["n"], "households": r["h"] or 0}
        for r in estates.filter(figures__planned_year__isnull=False)
        .values("figures__planned_year")
        .annotate(n=Count("pk"), h=Sum("households"))
        .order_by("figures__planned_year")
    }
    target.accepted_by_year = {
        r["year"]: {"estates": r["n"], "households": r["h"] or 0}
        for r in estates.filter(figures__accepted_on__isnull=False)
        .annotate(year=ExtractYear("figures__accepted_on"))
        .values("year")
        .annotate(n=Count("pk"), h=Sum("households"))
        .order_by("year")
    }
    target.as_of = EstateFigures.objects.filter(estate__in=estates).aggregate(t=Max("updated_at"))[
        "t"
    ]


def keyed_family(figures: Figures, prefix: str) -> dict[str, int]:
    """``{"works": 3, ...}`` from the keys ``projects.works`` … of a family."""
    out: dict[str, int] = defaultdict(int)
    for key, value in figures.keyed.items():
        if key.startswith(prefix + "."):
            out[key[len(prefix) + 1 :]] += value
    return dict(out)


@dataclass
class VoteOutcome:
    title: str
    matter: int
    passed: bool | None  # None: closed or open, no result published yet
    status_label: str
    turnout: float | None

    @property
    def turnout_pct(self) -> str:
        return _pct(self.turnout)


@dataclass
class EstatePanel:
    stage_label: str
    figures: Figures
    votes: list[VoteOutcome]
    gaps: list[str]
    gaps_checked: int
    life_circle_run: Any

    @property
    def gaps_text(self) -> str:
        return _("、").join(self.gaps)


# Votes listed on the panel, newest first.
PANEL_VOTES = 5


def estate_panel(estate: Estate) -> EstatePanel:
    """What the estate's summary panel shows: stage, demands addressed, vote outcomes,
    satisfaction and the life-circle gaps of the newest analysis covering it."""
    figures = estate_figures(estate)
    outcomes = []
    for vote in Vote.objects.filter(estate=estate).exclude(status=VoteStatus.DRAFT)[:PANEL_VOTES]:
        result = vote.result or {}
        total = recount.owners(result, "total")
        outcomes.append(
            VoteOutcome(
                title=vote.title,
                matter=vote.matter,
                passed=bool(result["passed"]) if "passed" in result else None,
                status_label=str(vote.get_status_display()),
                turnout=recount.owners(result, "participating") / total if total else None,
            )
        )
    run, rows = report_card(estate=estate)
    return EstatePanel(
        stage_label=str(estate.get_stage_display()),
        figures=figures,
        votes=outcomes,
        gaps=[r.type.name for r in rows if not r.within],
        gaps_checked=len(rows),
        life_circle_run=run,
    )
