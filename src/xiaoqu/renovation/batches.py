"""Reads for the annual batch: a region's candidate estates, the optimiser's proposal, batches.

The candidates of a region for a year (docs/renovation.md, "The batch page") are the eligible
estates of its subtree whose register stage is before 施工中, that are in no batch of that
year and in no finished project. For each one:

* households: the register's count (``Estate.households``);
* cost: the sum of the item costs of its latest published plan that has items, else
  households × a cost per household (``XIAOQU_COST_PER_HOUSEHOLD_YUAN``, changed on the page);
* need: 1 + the largest share of households asking for one basic-class item (基础类, not yet
  done) of its latest published demand list, so between 1 and 2; 1 without a list;
* must-have: its owners are voting (register stage 业主表决), or staff named it on the page;
* county: its county-level (区（县）) ancestor region, which the quotas are per.

Everything is read in a fixed number of queries whatever the region's size (a province has
about 6,000 estates); the choice itself is ``renovation.optimiser``'s.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError
from xiaoqu.decisions.models import PlanItem, PlanStatus
from xiaoqu.needs.models import DemandClass, DemandList, DemandListItem, DemandStatus
from xiaoqu.registry.models import Estate, Region, RegionLevel, RenovationStage
from xiaoqu.renovation import optimiser
from xiaoqu.renovation.models import Batch, BatchEstate, Project, ProjectEstate, ProjectStage
from xiaoqu.renovation.rules import MANAGE_BATCHES

# Register stages from which an estate's works have started or are done: not a candidate.
STARTED_STAGES = (RenovationStage.WORKS, RenovationStage.ACCEPTED, RenovationStage.MANAGED)
# The solver's time limit on a page (a province takes about 1.5 s).
TIME_LIMIT_SECONDS = 30.0


def fen_of(amount: Decimal) -> int:
    """Yuan (to the fen, as ``optimiser.parse_yuan`` returns them) in integer fen."""
    return int(amount * 100)


def default_cost_per_household() -> Decimal:
    """``XIAOQU_COST_PER_HOUSEHOLD_YUAN`` in yuan."""
    return optimiser.parse_yuan(
        str(settings.XIAOQU_COST_PER_HOUSEHOLD_YUAN).strip(), "XIAOQU_COST_PER_HOUSEHOLD_YUAN："
    )


# --- regions --------------------------------------------------------------------------------


def batch_regions(user: Any) -> QuerySet[Region]:
    """The regions the user keeps batches of (their scope for ``manage_batches``)."""
    return MANAGE_BATCHES.scoped(user, Region.objects.all())


def region_choices(user: Any) -> list[Region]:
    """The regions a batch page offers: the user's top regions, then every province, city and
    county (区县) below them, in tree order."""
    regions = batch_regions(user)
    roots = regions.exclude(parent_id__in=regions.values("pk"))
    upper = regions.filter(level__in=(RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.DISTRICT))
    return list((roots | upper).distinct().only("id", "name", "path", "depth").order_by("path"))


def default_region(user: Any) -> Region | None:
    """The first of the user's top regions (the one most users have)."""
    regions = batch_regions(user)
    return regions.exclude(parent_id__in=regions.values("pk")).order_by("path").first()


def path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def counties_of(region: Region) -> dict[int, Region]:
    """The county-level regions over and under ``region``, by id, in code order."""
    counties = Region.objects.filter(level=RegionLevel.DISTRICT).filter(
        Q(path__startswith=region.path) | Q(pk__in=path_ids(region.path))
    )
    return {c.pk: c for c in counties.only("id", "name", "code", "path").order_by("code", "name")}


def county_of(region_path: str, counties: Mapping[int, Region]) -> int | None:
    return next((pk for pk in path_ids(region_path) if pk in counties), None)


# --- candidates -----------------------------------------------------------------------------


def candidate_estates(region: Region, year: int) -> QuerySet[Estate]:
    """Eligible estates of the region, before their works, in no batch of ``year`` and in no
    finished project."""
    return (
        Estate.objects.in_region(region)
        .eligible()
        .exclude(stage__in=STARTED_STAGES)
        .exclude(pk__in=BatchEstate.objects.filter(batch__year=year).values("estate_id"))
        .exclude(
            pk__in=ProjectEstate.objects.filter(project__stage=ProjectStage.COMPLETED).values(
                "estate_id"
            )
        )
    )


def plan_costs(region: Region) -> dict[int, int]:
    """Estate id → the item costs (fen) of its latest published plan that has items."""
    latest: dict[int, tuple[int, int]] = {}
    rows = (
        PlanItem.objects.filter(
            plan__status=PlanStatus.PUBLISHED, plan__estate__region_path__startswith=region.path
        )
        .order_by()
        .values("plan__estate_id", "plan__version")
        .annotate(cost=Sum("cost_fen"))
    )
    for row in rows:
        estate, version = row["plan__estate_id"], row["plan__version"]
        if estate not in latest or version > latest[estate][0]:
            latest[estate] = (version, int(row["cost"] or 0))
    return {estate: cost for estate, (_version, cost) in latest.items()}


def need_weights(region: Region) -> dict[int, float]:
    """Estate id → 1 + the largest share of households asking for one basic-class item not
    yet done, in its latest published demand list (estates without a list are left out)."""
    latest = dict(
        DemandList.objects.filter(estate__region_path__startswith=region.path)
        .order_by()
        .values("estate_id")
        .annotate(version=Max("version"))
        .values_list("estate_id", "version")
    )
    needs = dict.fromkeys(latest, 1.0)
    shares = (
        DemandListItem.objects.filter(
            demand_list__estate__region_path__startswith=region.path, klass=DemandClass.BASIC
        )
        .exclude(status=DemandStatus.DONE)
        .order_by()
        .values("demand_list__estate_id", "demand_list__version")
        .annotate(top=Max("share"))
    )
    for row in shares:
        estate = row["demand_list__estate_id"]
        if latest.get(estate) == row["demand_list__version"]:
            needs[estate] = 1.0 + min(1.0, max(0.0, float(row["top"] or 0)))
    return needs


@dataclass(frozen=True)
class CandidateRow:
    estate_id: int
    code: str
    name: str
    county_id: int | None
    households: int
    cost_fen: int
    plan_cost: bool  # the cost is the published plan's (else households × cost per household)
    need: float
    voting: bool
    latitude: float | None
    longitude: float | None


@dataclass
class CountyLine:
    """A county's candidates, and what each choice takes of them."""

    county: Region | None
    candidates: int = 0
    households: int = 0
    cost_fen: int = 0
    chosen: int = 0
    chosen_cost_fen: int = 0
    greedy: int = 0
    greedy_cost_fen: int = 0

    @property
    def key(self) -> int:
        return self.county.pk if self.county is not None else 0


@dataclass
class CandidateSet:
    region: Region
    year: int
    cost_per_household_fen: int
    rows: list[CandidateRow]
    counties: dict[int, Region]

    def county_lines(self) -> list[CountyLine]:
        """Every county holding a candidate, in code order (estates under no county last)."""
        lines = {pk: CountyLine(county) for pk, county in self.counties.items()}
        for row in self.rows:
            line = lines.setdefault(row.county_id or 0, CountyLine(None))
            line.candidates += 1
            line.households += row.households
            line.cost_fen += row.cost_fen
        return [line for line in lines.values() if line.candidates]

    @property
    def households(self) -> int:
        return sum(r.households for r in self.rows)

    @property
    def cost_fen(self) -> int:
        return sum(r.cost_fen for r in self.rows)

    @property
    def with_plan(self) -> int:
        return sum(1 for r in self.rows if r.plan_cost)

    @property
    def voting(self) -> int:
        return sum(1 for r in self.rows if r.voting)


def candidates(*, region: Region, year: int, cost_per_household_fen: int) -> CandidateSet:
    """The region's candidates for ``year`` in code order (five queries)."""
    counties = counties_of(region)
    costs = plan_costs(region)
    needs = need_weights(region)
    rows = []
    estates = candidate_estates(region, year).order_by("code")
    for pk, code, name, path, households, stage, lat, lon in estates.values_list(
        "pk", "code", "name", "region_path", "households", "stage", "latitude", "longitude"
    ):
        plan_cost = costs.get(pk)
        rows.append(
            CandidateRow(
                estate_id=pk,
                code=code,
                name=name,
                county_id=county_of(path, counties),
                households=households,
                cost_fen=plan_cost
                if plan_cost is not None
                else households * cost_per_household_fen,
                plan_cost=plan_cost is not None,
                need=round(needs.get(pk, 1.0), 4),
                voting=stage == RenovationStage.VOTING,
                latitude=float(lat) if lat is not None else None,
                longitude=float(lon) if lon is not None else None,
            )
        )
    return CandidateSet(region, year, cost_per_household_fen, rows, counties)


# --- quotas ---------------------------------------------------------------------------------


def _quota(county_id: int, max_estates: int | None, max_cost: Decimal | None) -> optimiser.Quota:
    return optimiser.Quota(county=str(county_id), max_estates=max_estates, max_cost=max_cost)


def quotas_from_form(
    values: Mapping[int, tuple[str, str]], counties: Mapping[int, Region]
) -> dict[str, optimiser.Quota]:
    """Quotas from the page's rows: county id → (max estates, max cost in yuan); a row left
    empty is no quota. Bad values raise ``DomainError``."""
    out: dict[str, optimiser.Quota] = {}
    for county_id, (estates, cost) in values.items():
        county = counties.get(county_id)
        if county is None or not (estates or cost):
            continue
        where = _("%(county)s的配额：") % {"county": county.name}
        if estates and (not estates.isascii() or not estates.isdigit()):
            raise DomainError(
                where + _("小区数“%(value)s”应为不小于 0 的整数") % {"value": estates},
                code="quota",
            )
        try:
            max_cost = optimiser.parse_yuan(cost, where + _("资金")) if cost else None
        except optimiser.InputError as error:
            raise DomainError(str(error), code="quota") from None
        out[str(county_id)] = _quota(county_id, int(estates) if estates else None, max_cost)
    return out


def quotas_from_rows(
    rows: Iterable[list[str]], counties: Mapping[int, Region]
) -> dict[str, optimiser.Quota]:
    """Quotas from an uploaded file in the format of ``xiaoqu plan optimise --quotas``
    (``county,max_estates,max_cost``), its county named by its code or its name."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    try:
        parsed = optimiser.parse_quotas(buffer.getvalue())
    except optimiser.InputError as error:
        raise DomainError(str(error), code="quota") from None
    by_name: dict[str, int] = {}
    for pk, county in counties.items():
        by_name.setdefault(county.name, pk)
        if county.code:
            by_name[county.code] = pk
    out: dict[str, optimiser.Quota] = {}
    for n, (name, quota) in enumerate(parsed.items(), start=2):
        county_id = by_name.get(name)
        if county_id is None:
            raise DomainError(
                _("配额文件第 %(n)d 行：区县“%(county)s”不在本区划内。") % {"n": n, "county": name},
                code="quota",
            )
        if str(county_id) in out:
            raise DomainError(
                _("配额文件第 %(n)d 行：区县“%(county)s”重复。") % {"n": n, "county": name},
                code="quota",
            )
        out[str(county_id)] = _quota(county_id, quota.max_estates, quota.max_cost)
    return out


# --- the proposal ---------------------------------------------------------------------------


@dataclass
class Proposal:
    """The optimiser's choice and the greedy choice over the same candidates."""

    candidates: CandidateSet
    budget_fen: int
    status: str
    musts: frozenset[int]  # estate ids
    chosen: frozenset[int] = frozenset()
    greedy: frozenset[int] = frozenset()
    objective: float = 0.0
    greedy_objective: float = 0.0
    counties: list[CountyLine] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return self.status == "optimal"

    @property
    def gain_percent(self) -> float:
        if not self.greedy_objective:
            return 0.0
        return (self.objective / self.greedy_objective - 1) * 100

    def _rows(self, ids: frozenset[int]) -> list[CandidateRow]:
        return [r for r in self.candidates.rows if r.estate_id in ids]

    @property
    def chosen_rows(self) -> list[CandidateRow]:
        return self._rows(self.chosen)

    @property
    def chosen_cost_fen(self) -> int:
        return sum(r.cost_fen for r in self.chosen_rows)

    @property
    def chosen_households(self) -> int:
        return sum(r.households for r in self.chosen_rows)

    @property
    def greedy_cost_fen(self) -> int:
        return sum(r.cost_fen for r in self._rows(self.greedy))

    @property
    def greedy_households(self) -> int:
        return sum(r.households for r in self._rows(self.greedy))

    @property
    def differences(self) -> list[CandidateRow]:
        """Estates only one of the two choices takes."""
        return self._rows(self.chosen ^ self.greedy)

    def map_points(self) -> list[dict[str, Any]]:
        """Candidates with coordinates, for the map: which choice took each."""
        return [
            {
                "lat": r.latitude,
                "lon": r.longitude,
                "name": r.name,
                "chosen": r.estate_id in self.chosen,
                "greedy": r.estate_id in self.greedy,
            }
            for r in self.candidates.rows
            if r.latitude is not None and r.longitude is not None
        ]


def propose(
    found: CandidateSet,
    *,
    budget_fen: int,
    quotas: Mapping[str, optimiser.Quota],
    must_ids: Iterable[int] = (),
    time_limit: float | None = TIME_LIMIT_SECONDS,
) -> Proposal:
    """Run the optimiser and the greedy baseline on the candidates."""
    named = set(must_ids)
    people = [
        optimiser.Candidate(
            id=str(r.estate_id),
            county=str(r.county_id or ""),
            households=r.households,
            cost=Decimal(r.cost_fen) / 100,
            need=r.need,
            must=r.voting or r.estate_id in named,
        )
        for r in found.rows
    ]
    budget = Decimal(budget_fen) / 100
    musts = frozenset(r.estate_id for r, c in zip(found.rows, people, strict=True) if c.must)
    choice = optimiser.optimise(people, budget, quotas, time_limit=time_limit)
    proposal = Proposal(found, budget_fen, choice.status, musts)
    if not proposal.feasible:
        return proposal
    greedy = optimiser.greedy(people, budget, quotas) or frozenset()
    proposal.chosen = frozenset(found.rows[i].estate_id for i in choice.chosen)
    proposal.greedy = frozenset(found.rows[i].estate_id for i in greedy)
    proposal.objective = choice.objective
    proposal.greedy_objective = choice.greedy_objective
    proposal.counties = _county_lines(found, proposal)
    return proposal


def _county_lines(found: CandidateSet, proposal: Proposal) -> list[CountyLine]:
    lines = {line.key: line for line in found.county_lines()}
    for row in found.rows:
        line = lines[row.county_id or 0]
        if row.estate_id in proposal.chosen:
            line.chosen += 1
            line.chosen_cost_fen += row.cost_fen
        if row.estate_id in proposal.greedy:
            line.greedy += 1
            line.greedy_cost_fen += row.cost_fen
    return list(lines.values())


def must_ids_from_codes(text: str, found: CandidateSet) -> set[int]:
    """The candidates named by their estate codes (separated by spaces, commas or lines)."""
    by_code = {r.code: r.estate_id for r in found.rows}
    codes = [c for c in text.replace("，", ",").replace("、", ",").replace(",", " ").split() if c]
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise DomainError(
            _("必选小区编号“%(code)s”不是本区划本年度的候选小区。") % {"code": unknown[0]},
            code="must",
        )
    return {by_code[c] for c in codes}


# --- batches --------------------------------------------------------------------------------


def batches_for(user: Any) -> QuerySet[Batch]:
    """The batches of the user's regions with their estates, households and cost summed."""
    return (
        MANAGE_BATCHES.scoped(user, Batch.objects.all())
        .select_related("region")
        .annotate(
            n_estates=Count("entries"),
            n_households=Sum("entries__households"),
            n_cost=Sum("entries__cost_fen"),
        )
        .order_by("-year", "region__path", "name")
    )


@dataclass(frozen=True)
class BatchLine:
    entry: BatchEstate
    project: Project | None


def batch_lines(batch: Batch, entries: Iterable[BatchEstate]) -> list[BatchLine]:
    """The entries with each estate's project of this batch (one query for the page)."""
    entries = list(entries)
    projects: dict[int, Project] = {}
    links = (
        ProjectEstate.objects.filter(
            project__batch=batch, estate_id__in=[e.estate_id for e in entries]
        )
        .select_related("project")
        .order_by("project__created_at", "project__pk")
    )
    for link in links:
        projects[link.estate_id] = link.project  # the latest project wins
    return [BatchLine(entry, projects.get(entry.estate_id)) for entry in entries]


def batch_totals(batch: Batch) -> dict[str, int]:
    totals = batch.entries.aggregate(
        estates=Count("pk"),
        buildings=Sum("buildings"),
        households=Sum("households"),
        cost=Sum("cost_fen"),
    )
    totals["projects"] = batch.projects.count()
    return {k: int(v or 0) for k, v in totals.items()}
