"""Reads for the needs app: demand figures and priority, campaign progress, a resident's outcome.

Priority (docs/needs.md#demand-lists-需求清单, explained on every list):

    priority = 100 × share × weight  +  10 if staff marked the demand urgent
                                     +  2 × households that marked their opinion urgent (≤ 5)

``share`` is the households asking (distinct dwellings) divided by the estate's households;
``weight`` is 1.5 for basic items (water, drainage, power, gas, roofs, stairwells, fire safety,
security: the safety duties of the national programme) and 1.0 otherwise. So a basic item asked
by 40 % of households scores 60, an improvement asked by 40 % scores 40, and urgency adds at
most 20.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Min, Q, QuerySet

from xiaoqu.needs import classifier as clf
from xiaoqu.needs import merging
from xiaoqu.needs.models import (
    Campaign,
    Demand,
    DemandClass,
    DemandList,
    DemandListItem,
    JoinDismissal,
    Opinion,
    Visit,
    VisitOutcome,
)
from xiaoqu.needs.rules import READ_OPINIONS, VIEW_NEEDS, own_opinions_q
from xiaoqu.registry.models import Dwelling, Estate

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User

BASIC_WEIGHT = Decimal("1.5")
OTHER_WEIGHT = Decimal("1.0")
URGENT_DEMAND_BONUS = Decimal(10)
URGENT_HOUSEHOLD_BONUS = Decimal(2)
URGENT_HOUSEHOLDS_COUNTED = 5


def priority_score(*, share: Decimal, klass: str, urgent: bool, urgent_households: int) -> Decimal:
    """The transparent priority of a demand (see the module docstring)."""
    weight = BASIC_WEIGHT if klass == DemandClass.BASIC else OTHER_WEIGHT
    score = Decimal(100) * share * weight
    if urgent:
        score += URGENT_DEMAND_BONUS
    score += URGENT_HOUSEHOLD_BONUS * min(urgent_households, URGENT_HOUSEHOLDS_COUNTED)
    return score.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def estate_households(estate: Estate) -> int:
    """Households of the estate: its dwellings in the register, else its declared number."""
    return Dwelling.objects.filter(estate=estate).count() or estate.households


@dataclass
class DemandRow:
    demand_id: int
    title: str
    category: str
    category_name: str
    klass: str
    households: int
    share: Decimal
    opinions: int
    first_heard: Any
    last_heard: Any
    urgent: bool
    urgent_households: int
    priority: Decimal
    status: str
    status_label: str
    declined_reason: str
    source: str


@dataclass
class DemandRows:
    estate: Estate
    households: int
    items: list[DemandRow] = field(default_factory=list)


def demand_rows(*, estate: Estate, demands: QuerySet[Demand] | None = None) -> DemandRows:
    """The estate's live demands with their figures, highest priority first.

    Demands joined into another are left out; so are demands from opinions that have none.
    """
    households = estate_households(estate)
    names = clf.category_names()
    classes = clf.category_classes()
    qs = demands if demands is not None else Demand.objects.filter(estate=estate)
    qs = qs.filter(merged_into__isnull=True).annotate(
        n_opinions=Count("opinions", distinct=True),
        n_households=Count("opinions__dwelling", distinct=True),
        n_urgent=Count("opinions__dwelling", filter=Q(opinions__urgent=True), distinct=True),
        first=Min("opinions__heard_on"),
        last=Max("opinions__heard_on"),
    )
    rows = []
    for d in qs:
        if d.n_opinions == 0 and d.source == "opinions":
            continue
        share = (
            (Decimal(d.n_households) / Decimal(households)).quantize(Decimal("0.0001"))
            if households
            else Decimal(0)
        )
        klass = classes.get(d.category, DemandClass.MANAGE)
        rows.append(
            DemandRow(
                demand_id=d.pk,
                title=d.title,
                category=d.category,
                category_name=names.get(d.category, d.category),
                klass=klass,
                households=d.n_households,
                share=share,
                opinions=d.n_opinions,
                first_heard=d.first,
                last_heard=d.last,
                urgent=d.urgent,
                urgent_households=d.n_urgent,
                priority=priority_score(
                    share=share, klass=klass, urgent=d.urgent, urgent_households=d.n_urgent
                ),
                status=d.status,
                status_label=str(d.get_status_display()),
                declined_reason=d.declined_reason,
                source=d.source,
            )
        )
    rows.sort(key=lambda r: (-r.priority, -r.households, -r.opinions, r.demand_id))
    return DemandRows(estate=estate, households=households, items=rows)


@dataclass
class JoinSuggestion:
    """Two live demands of an estate that may ask for the same thing (可能是同一需求)."""

    first: DemandRow
    second: DemandRow
    same_need: bool  # both name the same need in the lexicon's words; else similar wording
    score: float


def join_suggestions(*, estate: Estate, rows: DemandRows | None = None) -> list[JoinSuggestion]:
    """Pairs of the estate's live demands that merging kept apart but may be one, best
    first, without the pairs staff dismissed (see ``merging.suggest_joins``).

    ``rows``: the estate's ``demand_rows`` when the caller has them already.
    """
    rows = rows if rows is not None else demand_rows(estate=estate)
    by_id = {r.demand_id: r for r in rows.items}
    texts: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    for demand_id, text, category, fixed in (
        Opinion.objects.filter(demand_id__in=list(by_id))
        .order_by("pk")
        .values_list("demand_id", "text", "category", "category_by_staff")
    ):
        texts[demand_id].append((text, category, fixed))
    demands = [
        merging.DemandTexts(
            id=demand_id,
            category=by_id[demand_id].category,
            texts=[t for t, _c, _f in items],
            codes=[c for _t, c, _f in items],
            fixed=[f for _t, _c, f in items],
        )
        for demand_id, items in texts.items()
    ]
    skip = frozenset(
        JoinDismissal.objects.filter(estate=estate).values_list("first_id", "second_id")
    )
    return [
        JoinSuggestion(by_id[s.first], by_id[s.second], s.same_need, s.score)
        for s in merging.suggest_joins(demands, skip)
    ]


def latest_published_list(*, estate: Estate) -> DemandList | None:
    return DemandList.objects.filter(estate=estate).order_by("-version").first()


def published_items(demand_list: DemandList) -> QuerySet[DemandListItem]:
    """The list's frozen items in rank order, each with its demand (for where it came from)."""
    return demand_list.items.select_related("demand").order_by("rank")


def channels_heard(demand_list: DemandList) -> dict[int, dict[str, int]]:
    """For each demand of a published list, how many of its opinions came through each channel
    (visit, meeting, resident, hotline, import), counting the opinions recorded by the time the
    list was published. One query."""
    rows = (
        Opinion.objects.filter(
            demand_id__in=demand_list.items.values("demand_id"),
            created_at__lte=demand_list.published_at,
        )
        .values_list("demand_id", "channel")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for demand_id, channel, n in rows:
        counts[demand_id][channel] = n
    return counts


# --- campaigns ----------------------------------------------------------------------------------


@dataclass
class ProgressLine:
    label: str
    dwellings: int = 0
    visited: int = 0
    visits: int = 0
    met: int = 0
    opinions: int = 0

    @property
    def share(self) -> float:
        return self.visited / self.dwellings if self.dwellings else 0.0


@dataclass
class CampaignProgress:
    total: ProgressLine
    by_grid: list[ProgressLine]
    by_member: list[ProgressLine]


def campaign_progress(*, campaign: Campaign, user: User) -> CampaignProgress:
    """Dwellings visited out of all, person-visits and opinions, by grid and by visitor.

    Limited to the dwellings the user works on: a grid worker sees their grid's progress.
    """
    from xiaoqu.organization.models import GridBuilding

    dwellings = VIEW_NEEDS.scoped(user, Dwelling.objects.filter(estate__in=campaign.estates.all()))
    dwelling_building = dict(dwellings.values_list("pk", "building_id"))
    grid_of_building = dict(
        GridBuilding.objects.filter(building_id__in=set(dwelling_building.values())).values_list(
            "building_id", "grid__name"
        )
    )
    no_grid = str(_no_grid_label())
    total = ProgressLine(str(campaign.name), dwellings=len(dwelling_building))
    grids: dict[str, ProgressLine] = {}
    for building_id in dwelling_building.values():
        name = grid_of_building.get(building_id, no_grid)
        grids.setdefault(name, ProgressLine(name)).dwellings += 1
    members: dict[int, ProgressLine] = {}
    visited: dict[str, set[int]] = defaultdict(set)
    opinions_by_visit = dict(
        Opinion.objects.filter(visit__campaign=campaign)
        .values("visit_id")
        .annotate(n=Count("pk"))
        .values_list("visit_id", "n")
    )
    rows = Visit.objects.filter(campaign=campaign, dwelling_id__in=list(dwelling_building))
    for visit_id, dwelling_id, visitor_id, visitor_name, visitor_phone, outcome in rows.values_list(
        "pk", "dwelling_id", "visitor_id", "visitor__name", "visitor__phone", "outcome"
    ):
        grid = grids[grid_of_building.get(dwelling_building[dwelling_id], no_grid)]
        member = members.setdefault(
            visitor_id, ProgressLine(visitor_name or _mask_phone(visitor_phone))
        )
        n_opinions = opinions_by_visit.get(visit_id, 0)
        for line in (total, grid, member):
            line.visits += 1
            line.opinions += n_opinions
            if outcome == VisitOutcome.MET:
                line.met += 1
        for key in ("", f"g:{grid.label}", f"m:{visitor_id}"):
            visited[key].add(dwelling_id)
    total.visited = len(visited[""])
    for line in grids.values():
        line.visited = len(visited[f"g:{line.label}"])
    for visitor_id, line in members.items():
        line.visited = len(visited[f"m:{visitor_id}"])
    return CampaignProgress(
        total=total,
        by_grid=sorted(grids.values(), key=lambda x: x.label),
        by_member=sorted(members.values(), key=lambda x: (-x.visits, x.label)),
    )


def _no_grid_label() -> str:
    from django.utils.translation import gettext as _

    return _("未划网格")


def _mask_phone(phone: str) -> str:
    from xiaoqu.core.pii import mask_phone

    return mask_phone(phone)


# --- a resident's own opinions -----------------------------------------------------------------


@dataclass
class MyOpinion:
    opinion: Opinion
    demand: Demand | None
    # The latest published list item for the opinion's demand, if any.
    published: DemandListItem | None


def my_opinions(*, user: User) -> list[MyOpinion]:
    """What happened to what I said: the user's own opinions and those heard at their home.

    Each comes with its demand's current status and its place in the latest published list.
    """
    mine = Opinion.objects.filter(own_opinions_q(user)).select_related(
        "demand", "demand__merged_into", "estate", "dwelling__building", "dwelling__entrance"
    )
    opinions = list(mine.order_by("-heard_on", "-pk")[:200])
    demand_ids: set[int] = set()
    for o in opinions:
        if o.demand is not None:
            demand_ids.add(o.demand.merged_into_id or o.demand.pk)
    latest: dict[int, DemandListItem] = {}
    for item in (
        DemandListItem.objects.filter(demand_id__in=demand_ids)
        .select_related("demand_list")
        .order_by("demand_list__version")
    ):
        latest[item.demand_id] = item
    out = []
    for o in opinions:
        demand = o.demand
        if demand is not None and demand.merged_into_id is not None:
            demand = demand.merged_into
        out.append(MyOpinion(o, demand, latest.get(demand.pk) if demand else None))
    return out


# --- opinions of an estate or a demand, as far as the reader may read them -------------------


def estate_opinions(*, user: User, estate: Estate) -> QuerySet[Opinion]:
    """The estate's opinions on its staff pages (the opinion list, recent hotline calls).

    Those the user may read (``needs.read_opinions``: a grid worker the opinions of the grid's
    buildings and their dwellings), and the estate's opinions tied to no building or dwelling
    (a meeting, a call about the whole estate), which everyone who works on the estate reads
    here. The caller checks that the user works on the estate (``needs.view_needs``).
    """
    of_estate = Opinion.objects.filter(estate=estate)
    readable = READ_OPINIONS.scoped(user, of_estate).values("pk")
    return of_estate.filter(Q(pk__in=readable) | Q(building__isnull=True, dwelling__isnull=True))


def demand_opinions(*, user: User, demand: Demand) -> QuerySet[Opinion]:
    """The demand's opinions the user may read (``needs.read_opinions``), oldest first.

    The demand's figures stay those of the whole demand: they count households and opinions
    without showing anyone's words or dwelling.
    """
    return READ_OPINIONS.scoped(user, demand.opinions.all()).order_by("heard_on", "pk")
