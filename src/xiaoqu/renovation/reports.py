"""Reads for reporting: the monthly progress report of a region and the project list export.

The monthly report (月度进展) covers the estates of a year's batches (or of one batch) in a
region's subtree, one line per child region (per estate for a community) and a total, as of
the last day of a month:

* estates, buildings, households and estimated cost in the batch (``BatchEstate``, counted
  when the batch was made);
* started: estates whose project of the batch started works (``Project.started_on``, set
  when it reached 施工) on or before that day; completed: those whose project reached 完成
  (``completed_on``) by then; completion rate = completed / estates in the batch;
* investment by fund source: planned (``ItemFunding`` of the items of the batch's projects),
  received (receipts of the ledger) and paid (payments) dated on or before that day. An item
  and a payment count where their estate is; a receipt, which belongs to a project rather
  than an item, counts where the project's first estate is.

Each figure is one aggregate query grouped by child region (a ``CASE`` over the children's
path prefixes), so the report takes the same few queries for a community as for a province.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from xiaoqu.registry.models import Estate, Region
from xiaoqu.renovation.models import (
    Batch,
    BatchEstate,
    EntryKind,
    FundSource,
    ItemFunding,
    MoneyEntry,
    Project,
    ProjectEstate,
    ProjectItem,
)
from xiaoqu.renovation.rules import VIEW_PROJECTS
from xiaoqu.renovation.services.projects import item_clearance

SOURCES: tuple[str, ...] = tuple(FundSource.values)
# What the export reads of each item: enough to tell whether it is cleared for works.
ITEM_FIELDS = (
    "project",
    "budget_fen",
    "percent",
    "vote_need",
    "vote",
    "vote__title",
    "vote__result",
    "vote__result_published_at",
    "vote__objection_until",
)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def rate(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a percentage to one decimal (None when ``whole`` is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class ReportLine:
    """One line of the report: a child region, an estate (in a community's report) or the
    total."""

    key: int
    name: str
    region: Region | None = None  # the child region, for the drill-down link
    estates: int = 0
    buildings: int = 0
    households: int = 0
    estimated_fen: int = 0
    started: int = 0
    completed: int = 0
    planned: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)

    @property
    def start_rate(self) -> Decimal | None:
        return rate(self.started, self.estates)

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.completed, self.estates)

    @property
    def planned_fen(self) -> int:
        return sum(self.planned.values())

    @property
    def received_fen(self) -> int:
        return sum(self.received.values())

    @property
    def paid_fen(self) -> int:
        return sum(self.paid.values())

    def add(self, other: ReportLine) -> None:
        for name in ("estates", "buildings", "households", "estimated_fen", "started"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.completed += other.completed
        for mine, theirs in (
            (self.planned, other.planned),
            (self.received, other.received),
            (self.paid, other.paid),
        ):
            for source, fen in theirs.items():
                mine[source] = mine.get(source, 0) + fen


@dataclass(frozen=True)
class SourceLine:
    source: str
    label: str
    planned_fen: int
    received_fen: int
    paid_fen: int


@dataclass
class MonthlyReport:
    region: Region
    year: int
    batch: Batch | None
    month: dt.date  # the first day of the month
    lines: list[ReportLine]
    total: ReportLine
    by_estate: bool  # a community's report: one line per estate

    @property
    def as_of(self) -> dt.date:
        return month_end(self.month)

    def sources(self, line: ReportLine | None = None) -> list[SourceLine]:
        """The fund sources with any money in ``line`` (default: the total)."""
        line = line or self.total
        return [
            SourceLine(
                value,
                str(label),
                line.planned.get(value, 0),
                line.received.get(value, 0),
                line.paid.get(value, 0),
            )
            for value, label in FundSource.choices
            if line.planned.get(value) or line.received.get(value) or line.paid.get(value)
        ]


# --- the queries ----------------------------------------------------------------------------


def line_key(path: str, children: list[Region], estate: str) -> Case | F:
    """Which line a row counts in: the child region whose path prefixes ``path``, else the
    estate (``estate`` is the path to the row's estate id) for a community's report."""
    if not children:
        return F(estate)
    return Case(
        *[When(**{f"{path}__startswith": child.path}, then=Value(child.pk)) for child in children],
        default=Value(0),
        output_field=IntegerField(),
    )


class _Query:
    """The report's aggregate queries over one region, year (or batch) and day."""

    def __init__(self, region: Region, year: int, batch: Batch | None, as_of: dt.date) -> None:
        self.region = region
        self.year = year
        self.batch = batch
        self.as_of = as_of
        self.children = list(region.children.order_by("code", "name"))

    def batch_q(self, to_batch: str) -> Q:
        if self.batch is not None:
            return Q(**{to_batch: self.batch})
        return Q(**{f"{to_batch}__year": self.year})

    def key(self, to_estate: str) -> Case | F:
        return line_key(f"{to_estate}__region_path", self.children, f"{to_estate}_id")

    def within(self, to_estate: str) -> Q:
        return Q(**{f"{to_estate}__region_path__startswith": self.region.path})

    def entries(self) -> QuerySet[Any, Any]:
        return (
            BatchEstate.objects.filter(self.batch_q("batch"), self.within("estate"))
            .order_by()
            .annotate(k=self.key("estate"))
            .values("k")
            .annotate(
                n=Count("pk"),
                b=Sum("buildings"),
                h=Sum("households"),
                c=Sum("cost_fen"),
            )
        )

    def progress(self) -> QuerySet[Any, Any]:
        started = Q(project__started_on__isnull=False, project__started_on__lte=self.as_of)
        done = Q(project__completed_on__isnull=False, project__completed_on__lte=self.as_of)
        return (
            ProjectEstate.objects.filter(self.batch_q("project__batch"), self.within("estate"))
            .order_by()
            .annotate(k=self.key("estate"))
            .values("k")
            .annotate(
                s=Count("estate", filter=started, distinct=True),
                d=Count("estate", filter=done, distinct=True),
            )
        )

    def planned(self) -> QuerySet[Any, Any]:
        return (
            ItemFunding.objects.filter(
                self.batch_q("item__project__batch"), self.within("item__estate")
            )
            .order_by()
            .annotate(k=self.key("item__estate"))
            .values("k", "source")
            .annotate(fen=Sum("planned_fen"))
        )

    def paid(self) -> QuerySet[Any, Any]:
        return (
            MoneyEntry.objects.filter(
                self.batch_q("project__batch"),
                self.within("item__estate"),
                kind=EntryKind.PAYMENT,
                on__lte=self.as_of,
            )
            .order_by()
            .annotate(k=self.key("item__estate"))
            .values("k", "source")
            .annotate(fen=Sum("amount_fen"))
        )

    def received(self) -> QuerySet[Any, Any]:
        # A receipt counts where its project's first estate is: the entries are joined to that
        # one ProjectEstate row of their project (the lowest id), not to all of them.
        firsts = (
            ProjectEstate.objects.filter(self.batch_q("project__batch"))
            .order_by()
            .values("project_id")
            .annotate(first=Min("pk"))
            .values("first")
        )
        lead = "project__project_estates"
        return (
            MoneyEntry.objects.filter(
                self.batch_q("project__batch"),
                Q(**{f"{lead}__pk__in": firsts}),
                Q(**{f"{lead}__estate__region_path__startswith": self.region.path}),
                kind=EntryKind.RECEIPT,
                on__lte=self.as_of,
            )
            .order_by()
            .annotate(k=self.key(f"{lead}__estate"))
            .values("k", "source")
            .annotate(fen=Sum("amount_fen"))
        )


def monthly_report(
    *, region: Region, year: int, month: dt.date, batch: Batch | None = None
) -> MonthlyReport:
    """The report of ``region`` for the batches of ``year`` (or ``batch`` alone) as of the
    last day of ``month``; seven queries whatever the region's size."""
    query = _Query(region, batch.year if batch else year, batch, month_end(month))
    by_estate = not query.children
    lines: dict[int, ReportLine] = {
        c.pk: ReportLine(c.pk, c.name, region=c) for c in query.children
    }

    def line(key: int | None) -> ReportLine:
        key = key or 0
        if key not in lines:
            lines[key] = ReportLine(key, "")
        return lines[key]

    for row in query.entries():
        found = line(row["k"])
        found.estates += row["n"]
        found.buildings += row["b"] or 0
        found.households += row["h"] or 0
        found.estimated_fen += row["c"] or 0
    for row in query.progress():
        found = line(row["k"])
        found.started += row["s"]
        found.completed += row["d"]
    for figures, rows in (
        ("planned", query.planned()),
        ("paid", query.paid()),
        ("received", query.received()),
    ):
        for row in rows:
            by_source: dict[str, int] = getattr(line(row["k"]), figures)
            by_source[row["source"]] = by_source.get(row["source"], 0) + int(row["fen"] or 0)
    _name_lines(lines, by_estate)
    ordered = list(lines.values())
    if by_estate:
        ordered.sort(key=lambda item: item.name)
    total = ReportLine(region.pk, region.name, region=region)
    for item in ordered:
        total.add(item)
    return MonthlyReport(
        region, query.year, batch, month.replace(day=1), ordered, total, by_estate=by_estate
    )


def _name_lines(lines: dict[int, ReportLine], by_estate: bool) -> None:
    """Names of the estate lines (one query), and of the line of rows under no child."""
    from django.utils.translation import gettext as _

    unnamed = [key for key, item in lines.items() if not item.name and key]
    if by_estate and unnamed:
        names = dict(Estate.objects.filter(pk__in=unnamed).values_list("pk", "name"))
        for key in unnamed:
            lines[key].name = names.get(key, str(key))
    if 0 in lines:
        lines[0].name = str(_("其他"))


def report_years(region: Region) -> list[int]:
    """Years of the batches holding estates of the region, latest first."""
    return list(
        BatchEstate.objects.filter(estate__region_path__startswith=region.path)
        .order_by("-batch__year")
        .values_list("batch__year", flat=True)
        .distinct()
    )


def report_batches(region: Region, year: int) -> QuerySet[Batch]:
    """The batches of ``year`` holding estates of the region."""
    return (
        Batch.objects.filter(year=year, entries__estate__region_path__startswith=region.path)
        .distinct()
        .order_by("name")
    )


# --- the project list export --------------------------------------------------------------


@dataclass
class ProjectRow:
    project: Project
    estates: list[str] = field(default_factory=list)
    households: int = 0
    budget_fen: int = 0
    paid_fen: int = 0
    percent: int = 0


def project_rows(user: Any, stage: str = "") -> list[ProjectRow]:
    """The projects in the user's scope (optionally at one stage), newest first, with their
    estates, households, budget, payments and progress (the budget-weighted progress of the
    items cleared for works, as on the project's page); four queries."""
    projects = VIEW_PROJECTS.scoped(user, Project.objects.all())
    if stage:
        projects = projects.filter(stage=stage)
    rows = {
        p.pk: ProjectRow(p)
        for p in projects.select_related("batch", "builder").order_by("-created_at", "-pk")
    }
    ids = projects.values("pk")
    for project_id, name, households in (
        ProjectEstate.objects.filter(project__in=ids)
        .order_by("estate__code")
        .values_list("project_id", "estate__name", "estate__households")
    ):
        rows[project_id].estates.append(name)
        rows[project_id].households += households
    weighted: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    now = timezone.now()
    items = (
        ProjectItem.objects.filter(project__in=ids)
        .select_related("vote")
        .only(*ITEM_FIELDS)
        .order_by()
    )
    for item in items:
        rows[item.project_id].budget_fen += item.budget_fen
        if item_clearance(item, now)[0]:
            weighted[item.project_id][0] += item.percent * item.budget_fen
            weighted[item.project_id][1] += item.budget_fen
    for project_id, (done, weight) in weighted.items():
        rows[project_id].percent = round(done / weight) if weight else 0
    for project_id, paid in (
        MoneyEntry.objects.filter(project__in=ids, kind=EntryKind.PAYMENT)
        .order_by()
        .values("project_id")
        .annotate(fen=Sum("amount_fen"))
        .values_list("project_id", "fen")
    ):
        rows[project_id].paid_fen = int(paid or 0)
    return list(rows.values())
