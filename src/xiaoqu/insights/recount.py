"""Counting an estate's figures from the records themselves (docs/insights.md).

The same functions serve the incremental refresh (a few estates, one section) and the full
rebuild (every estate, every section, one grouped query per figure family), so the two cannot
count differently. ``ids=None`` means every estate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from xiaoqu.decisions.models import Vote, VoteStatus
from xiaoqu.meetings.models import Meeting
from xiaoqu.needs import classifier as clf
from xiaoqu.needs.models import Demand, DemandClass, DemandStatus, Opinion
from xiaoqu.registry.models import Building, Dwelling
from xiaoqu.renovation.models import (
    AcceptanceStatus,
    BatchEstate,
    EntryKind,
    ItemFunding,
    MoneyEntry,
    ProjectEstate,
    ProjectItem,
    Rating,
    SurveyResponse,
)
from xiaoqu.stewardship.models import OPEN_STATUSES, FundEntry, OrderStatus, WorkOrder

Ids = set[int] | None
Wide = dict[int, dict[str, Any]]
Keyed = dict[int, dict[str, int]]

# The fields of ``EstateFigures`` and the key prefixes of ``EstateKeyed`` each section owns.
FIELDS: dict[str, tuple[str, ...]] = {
    "register": ("buildings", "dwellings"),
    "needs": ("opinions", "demands", "demands_addressed"),
    "meetings": ("meetings", "minutes_published"),
    "votes": (
        "votes_open",
        "votes_closed",
        "votes_published",
        "votes_passed",
        "owners_participating",
        "owners_total",
    ),
    "plan": ("planned_year",),
    "projects": ("projects", "accepted_on"),
    "items": ("items", "items_from_demands", "planned_fen"),
    "money": ("received_fen", "spent_fen"),
    "surveys": ("survey_responses", "survey_satisfied", "survey_basic"),
    "orders": (
        "orders",
        "orders_open",
        "orders_closed",
        "orders_on_time",
        "orders_escalated",
    ),
    "fund": ("fund_balance_fen",),
}
PREFIXES: dict[str, tuple[str, ...]] = {
    "needs": ("demands.",),
    "projects": ("projects.",),
    "items": ("planned.",),
    "money": ("received.", "spent."),
}
# Fields that are not counts: absent means unknown (None), not zero.
NULLABLE = frozenset({"planned_year", "accepted_on"})
ADDRESSED = (DemandStatus.PLANNED, DemandStatus.DONE)


def _in(qs: Any, ids: Ids, field: str = "estate_id") -> QuerySet[Any]:
    # No ORDER BY: the grouped counts need none, and building one costs the ORM time.
    qs = qs.order_by()
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


def chunks(ids: Ids, size: int = 500) -> Iterable[Ids]:
    """``ids`` in slices small enough for any database's parameter limit."""
    if ids is None:
        yield None
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield set(ordered[start : start + size])


def count(ids: Ids, sections: Iterable[str]) -> tuple[Wide, Keyed]:
    """The figures of ``sections`` for the estates ``ids``: only estates with something to
    count appear; every other estate has zeros (and ``None`` for the nullable fields)."""
    wide: Wide = defaultdict(dict)
    keyed: Keyed = defaultdict(dict)
    for part in chunks(ids):
        for section in sections:
            _SECTIONS[section](part, wide, keyed)
    return wide, keyed


def _put(wide: Wide, rows: Iterable[Any], key: str = "estate_id") -> None:
    for row in rows:
        estate = row.pop(key)
        wide[estate].update(row)


def _register(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    _put(wide, _in(Building.objects, ids).values("estate_id").annotate(buildings=Count("pk")))
    _put(wide, _in(Dwelling.objects, ids).values("estate_id").annotate(dwellings=Count("pk")))


def _needs(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    _put(wide, _in(Opinion.objects, ids).values("estate_id").annotate(opinions=Count("pk")))
    classes = clf.category_classes()
    live = _in(Demand.objects.filter(merged_into__isnull=True), ids)
    rows = live.values("estate_id", "category").annotate(
        n=Count("pk"), addressed=Count("pk", filter=Q(status__in=ADDRESSED))
    )
    for row in rows:
        figures = wide[row["estate_id"]]
        figures["demands"] = figures.get("demands", 0) + row["n"]
        figures["demands_addressed"] = figures.get("demands_addressed", 0) + row["addressed"]
        key = "demands." + classes.get(row["category"], DemandClass.MANAGE)
        mine = keyed[row["estate_id"]]
        mine[key] = mine.get(key, 0) + row["n"]


def _meetings(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    rows = (
        _in(Meeting.objects, ids)
        .values("estate_id")
        .annotate(
            meetings=Count("pk"),
            minutes_published=Count("pk", filter=Q(minutes_published_at__isnull=False)),
        )
    )
    _put(wide, rows)


def _votes(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    rows = (
        _in(Vote.objects, ids)
        .values("estate_id")
        .annotate(
            votes_open=Count("pk", filter=Q(status=VoteStatus.OPEN)),
            votes_closed=Count("pk", filter=Q(status=VoteStatus.CLOSED)),
        )
    )
    _put(wide, rows)
    published = _in(Vote.objects.filter(result__isnull=False), ids).values_list(
        "estate_id", "result"
    )
    for estate, result in published:
        figures = wide[estate]
        figures["votes_published"] = figures.get("votes_published", 0) + 1
        figures["votes_passed"] = figures.get("votes_passed", 0) + int(bool(result.get("passed")))
        _add(figures, "owners_participating", owners(result, "participating"))
        _add(figures, "owners_total", owners(result, "total"))


def owners(result: dict[str, Any], part: str) -> int:
    """Owners counted in a published tally (``rules_engine.Result.as_dict``)."""
    counted = result.get(part)
    return int(counted.get("owners", 0)) if isinstance(counted, dict) else 0


def _first_estates(ids: Ids) -> dict[int, tuple[int, str]]:
    """Project → (the estate it is counted at, its stage): its lowest estate id, so a project
    of several estates is counted once in every region. For some estates, only the projects
    they take part in are grouped."""
    rows = ProjectEstate.objects.order_by()
    if ids is not None:
        mine = ProjectEstate.objects.filter(estate_id__in=ids).values("project_id")
        rows = rows.filter(project_id__in=mine)
    grouped = rows.values("project_id", "project__stage").annotate(first=Min("estate_id"))
    if ids is not None:
        grouped = grouped.filter(first__in=ids)
    return {r["project_id"]: (r["first"], r["project__stage"]) for r in grouped}


def _add(target: dict[str, int], key: str, value: int) -> None:
    target[key] = target.get(key, 0) + value


def _plan(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    _put(
        wide,
        _in(BatchEstate.objects, ids).values("estate_id").annotate(planned_year=Min("batch__year")),
    )


def _projects(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    accepted = (
        _in(ProjectEstate.objects, ids)
        .filter(project__acceptances__status=AcceptanceStatus.PASSED)
        .values("estate_id")
        .annotate(first=Min("project__acceptances__passed_at"))
    )
    for row in accepted:
        if row["first"] is not None:
            wide[row["estate_id"]]["accepted_on"] = _date(row["first"])
    for estate, stage in _first_estates(ids).values():
        _add(wide[estate], "projects", 1)
        _add(keyed[estate], f"projects.{stage}", 1)


def _items(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    items = (
        _in(ProjectItem.objects, ids)
        .values("estate_id")
        .annotate(items=Count("pk"), items_from_demands=Count("pk", filter=Q(demand__isnull=False)))
    )
    _put(wide, items)
    planned = (
        _in(ItemFunding.objects, ids, "item__estate_id")
        .values("item__estate_id", "source")
        .annotate(fen=Sum("planned_fen"))
    )
    for row in planned:
        _add(wide[row["item__estate_id"]], "planned_fen", row["fen"])
        _add(keyed[row["item__estate_id"]], f"planned.{row['source']}", row["fen"])


def _money(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    """A ledger line counts at its item's estate, or at its project's estate when it has none:
    two queries, each on an index (an OR of the two would scan the whole ledger)."""
    with_item = (
        _in(MoneyEntry.objects.filter(item__isnull=False), ids, "item__estate_id")
        .values("item__estate_id", "kind", "source")
        .annotate(fen=Sum("amount_fen"))
    )
    # The project's lowest estate id, looked up per line by the database.
    first = Subquery(
        ProjectEstate.objects.filter(project_id=OuterRef("project_id"))
        .order_by("estate_id")
        .values("estate_id")[:1]
    )
    loose = ExpressionWrapper(Q(item__isnull=True), output_field=BooleanField())
    lines = MoneyEntry.objects.order_by().annotate(first=first, loose=loose)
    if ids is None:
        lines = lines.filter(item__isnull=True)
    else:
        # Only the lines of the estates' projects, found by the project index; "no item" is
        # sorted out after grouping (as a condition it would lead SQLite to scan every line
        # without an item, through the item index).
        mine = ProjectEstate.objects.filter(estate_id__in=ids).values("project_id")
        lines = lines.filter(project_id__in=mine, first__in=ids)
    money = [
        (row["item__estate_id"], row["kind"], row["source"], row["fen"]) for row in with_item
    ] + [
        (row["first"], row["kind"], row["source"], row["fen"])
        for row in lines.values("first", "loose", "kind", "source").annotate(fen=Sum("amount_fen"))
        if row["loose"] and row["first"] is not None
    ]
    for estate, kind, source, fen in money:
        field, prefix = (
            ("received_fen", "received") if kind == EntryKind.RECEIPT else ("spent_fen", "spent")
        )
        _add(wide[estate], field, fen)
        _add(keyed[estate], f"{prefix}.{source}", fen)


def _surveys(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    surveys = (
        _in(SurveyResponse.objects, ids, "survey__estate_id")
        .values("survey__estate_id")
        .annotate(
            survey_responses=Count("pk"),
            survey_satisfied=Count("pk", filter=Q(overall=Rating.SATISFIED)),
            survey_basic=Count("pk", filter=Q(overall=Rating.BASIC)),
        )
    )
    _put(wide, surveys, key="survey__estate_id")


def _orders(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    orders = (
        _in(WorkOrder.objects, ids)
        .values("estate_id")
        .annotate(
            orders=Count("pk", filter=~Q(status=OrderStatus.MERGED)),
            orders_open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            orders_closed=Count("pk", filter=Q(closed_at__isnull=False)),
            orders_on_time=Count(
                "pk", filter=Q(closed_at__isnull=False, closed_at__lte=F("due_at"))
            ),
            orders_escalated=Count("pk", filter=Q(escalations__gt=0)),
        )
    )
    _put(wide, orders)


def _fund(ids: Ids, wide: Wide, keyed: Keyed) -> None:
    fund = (
        _in(FundEntry.objects, ids, "dwelling__estate_id")
        .values("dwelling__estate_id")
        .annotate(fund_balance_fen=Coalesce(Sum("amount_fen"), 0))
    )
    _put(wide, fund, key="dwelling__estate_id")


def _date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


_SECTIONS = {
    "register": _register,
    "needs": _needs,
    "meetings": _meetings,
    "votes": _votes,
    "plan": _plan,
    "projects": _projects,
    "items": _items,
    "money": _money,
    "surveys": _surveys,
    "orders": _orders,
    "fund": _fund,
}
