"""Reads behind the needs API, scoped with the needs permissions (see ``needs.rules``).

Who sees what:

* Campaigns, visits and demands are for staff (``needs.view_needs``): campaigns touching an
  estate of their scope; visits at the dwellings of their scope (a grid worker: the grid's
  buildings); demands of their estates.
* Opinions (``needs.read_opinions``): staff those of their scope — a grid reaches the opinions
  of its buildings and their dwellings, an opinion tied to no building needs the whole
  estate — and residents their own: those they submitted and those heard at their dwellings.
  A demand shows only the opinions the caller may read.
* Published demand lists (``needs.read_lists``): staff of the estate and its residents.

The endpoints resolve their objects with ``core.policy.find_permitted``: missing and
out-of-scope objects are ``Http404`` alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet

from xiaoqu.needs import classifier as clf
from xiaoqu.needs.models import Campaign, Demand, DemandList, Opinion, Visit
from xiaoqu.needs.rules import READ_OPINIONS, VIEW_NEEDS, own_opinions_q
from xiaoqu.needs.selectors import DemandRow, demand_opinions, demand_rows
from xiaoqu.registry.models import Estate

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User


def category_name(code: str) -> str:
    names = clf.category_names()
    return str(names.get(code, code))


def category_class(code: str) -> str:
    return clf.category_classes().get(code, "manage")


# --- campaigns --------------------------------------------------------------------------------


def campaigns() -> QuerySet[Campaign]:
    """Campaigns with their estates, newest first (the caller scopes them)."""
    return Campaign.objects.prefetch_related("estates").order_by("-starts_on", "-pk")


def campaign_row(campaign: Campaign, visible_ids: set[int]) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "estates": [
            {"id": e.pk, "name": e.name}
            for e in sorted(campaign.estates.all(), key=lambda e: e.code)
            if e.pk in visible_ids
        ],
    }


def visible_estate_ids(user: User, rows: list[Campaign]) -> set[int]:
    """The estates of the campaigns ``rows`` the user works on (the others are not named)."""
    ids = {e.pk for c in rows for e in c.estates.all()}
    estates = VIEW_NEEDS.scoped(user, Estate.objects.filter(pk__in=ids))
    return set(estates.values_list("pk", flat=True))


# --- visits -----------------------------------------------------------------------------------


def visits() -> QuerySet[Visit]:
    """Visits with what a row shows, newest first (the caller scopes them)."""
    return (
        Visit.objects.select_related(
            "estate", "dwelling__building", "dwelling__entrance", "visitor"
        )
        .annotate(n_opinions=Count("opinions"))
        .order_by("-visited_at", "-pk")
    )


def visit_row(visit: Visit) -> dict[str, Any]:
    visitor = visit.visitor
    return {
        "id": visit.pk,
        "client_key": visit.client_key,
        "campaign_id": visit.campaign_id,
        "estate_id": visit.estate_id,
        "estate_name": visit.estate.name,
        "dwelling_id": visit.dwelling_id,
        "dwelling_label": visit.dwelling.label,
        "visitor_name": visitor.name or "",
        "visited_at": visit.visited_at,
        "outcome": visit.outcome,
        "people_met": visit.people_met,
        "note": visit.note,
        "opinions_count": (
            visit.n_opinions if hasattr(visit, "n_opinions") else visit.opinions.count()
        ),
    }


# --- opinions ---------------------------------------------------------------------------------


def opinions() -> QuerySet[Opinion]:
    """Opinions with what a row shows, newest first (the caller scopes them)."""
    return Opinion.objects.select_related(
        "estate", "dwelling__building", "dwelling__entrance", "demand"
    ).order_by("-heard_on", "-pk")


def readable_opinions(user: User) -> QuerySet[Opinion]:
    """Opinions the caller may read: their staff scope plus their own."""
    return READ_OPINIONS.scoped(user, opinions())


def own_opinion_ids(user: User, rows: list[Opinion]) -> set[int]:
    """Which of ``rows`` are the caller's own (the ``mine`` flag)."""
    ids = [o.pk for o in rows]
    if not ids:
        return set()
    own = Opinion.objects.filter(own_opinions_q(user), pk__in=ids)
    return set(own.values_list("pk", flat=True))


def opinion_row(opinion: Opinion, mine: bool = False) -> dict[str, Any]:
    demand = opinion.demand
    return {
        "id": opinion.pk,
        "estate_id": opinion.estate_id,
        "estate_name": opinion.estate.name,
        "dwelling_id": opinion.dwelling_id,
        "dwelling_label": opinion.dwelling.label if opinion.dwelling else "",
        "channel": opinion.channel,
        "text": opinion.text,
        "heard_on": opinion.heard_on,
        "category": opinion.category,
        "category_name": category_name(opinion.category),
        "klass": category_class(opinion.category),
        "score": opinion.score,
        "category_by_staff": opinion.category_by_staff,
        "urgent": opinion.urgent,
        "visit_id": opinion.visit_id,
        "demand_id": opinion.demand_id,
        "demand_title": demand.title if demand else "",
        "demand_status": demand.status if demand else None,
        "mine": mine,
    }


# --- demands ----------------------------------------------------------------------------------


def row_dict(row: DemandRow) -> dict[str, Any]:
    return {
        "demand_id": row.demand_id,
        "title": row.title,
        "category": row.category,
        "category_name": row.category_name,
        "klass": row.klass,
        "households": row.households,
        "share": row.share,
        "opinions": row.opinions,
        "first_heard": row.first_heard,
        "last_heard": row.last_heard,
        "urgent": row.urgent,
        "urgent_households": row.urgent_households,
        "priority": row.priority,
        "status": row.status,
        "status_label": row.status_label,
        "declined_reason": row.declined_reason,
        "source": row.source,
    }


def demand_detail(demand: Demand, user: User) -> dict[str, Any]:
    """The demand's figures (as on the list) with the opinions the user may read; joined
    demands show zeros. The figures count the whole demand (households, opinions)."""
    rows = demand_rows(estate=demand.estate, demands=Demand.objects.filter(pk=demand.pk)).items
    if rows:
        figures = row_dict(rows[0])
    else:
        figures = {
            "demand_id": demand.pk,
            "title": demand.title,
            "category": demand.category,
            "category_name": category_name(demand.category),
            "klass": category_class(demand.category),
            "households": 0,
            "share": 0,
            "opinions": 0,
            "first_heard": None,
            "last_heard": None,
            "urgent": demand.urgent,
            "urgent_households": 0,
            "priority": 0,
            "status": demand.status,
            "status_label": str(demand.get_status_display()),
            "declined_reason": demand.declined_reason,
            "source": demand.source,
        }
    shown = demand_opinions(user=user, demand=demand).select_related(
        "dwelling__building", "dwelling__entrance"
    )
    return {
        **figures,
        "estate_id": demand.estate_id,
        "estate_name": demand.estate.name,
        "merged_into_id": demand.merged_into_id,
        "opinion_list": [
            {
                "id": o.pk,
                "text": o.text,
                "channel": o.channel,
                "heard_on": o.heard_on,
                "dwelling_label": o.dwelling.label if o.dwelling else "",
                "urgent": o.urgent,
            }
            for o in shown
        ],
    }


# --- published lists --------------------------------------------------------------------------


def lists_of(estate: Estate) -> QuerySet[DemandList]:
    return (
        DemandList.objects.filter(estate=estate)
        .annotate(items_count=Count("items"))
        .order_by("-version")
    )


def list_row(demand_list: DemandList) -> dict[str, Any]:
    return {
        "id": demand_list.pk,
        "estate_id": demand_list.estate_id,
        "version": demand_list.version,
        "households": demand_list.households,
        "opinions": demand_list.opinions,
        "note": demand_list.note,
        "published_at": demand_list.published_at,
        "items_count": getattr(demand_list, "items_count", 0),
    }


def list_detail(demand_list: DemandList, as_staff: bool) -> dict[str, Any]:
    items = [
        {
            "rank": i.rank,
            "demand_id": i.demand_id if as_staff else None,
            "title": i.title,
            "category": i.category,
            "category_name": category_name(i.category),
            "klass": i.klass,
            "households": i.households,
            "share": i.share,
            "opinions": i.opinions,
            "first_heard": i.first_heard,
            "last_heard": i.last_heard,
            "priority": i.priority,
            "status": i.status,
            "status_label": str(i.get_status_display()),
            "declined_reason": i.declined_reason,
        }
        for i in demand_list.items.order_by("rank")
    ]
    return {**list_row(demand_list), "estate_name": demand_list.estate.name, "items": items}
