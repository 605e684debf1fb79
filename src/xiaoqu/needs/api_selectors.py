"""Reads behind the needs API, scoped with the helpers of ``core.policy``.

Who sees what:

* Campaigns, visits and demands are for staff (workbench roles): campaigns touching an estate
  of ``visible_estates``; visits of ``visible_dwellings`` (a grid worker scoped to a grid sees
  the visits of the grid's buildings only); demands of ``visible_estates``.
* Opinions: staff see those of their scope — an opinion tied to a building or dwelling is
  visible when the building is (``visible_buildings``, so a grid narrows it), one tied only
  to the estate when the caller works on the whole estate. Residents see their own: those
  they submitted and those heard at their own dwellings (as on their "我的意见" page).
* Published demand lists: staff of the estate and its residents (``home_estates``).

Missing and out-of-scope objects raise ``Http404`` alike.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from xiaoqu.core.policy import (
    WORKBENCH_ROLES,
    home_dwellings,
    home_estates,
    is_global_admin,
    visible_buildings,
    visible_dwellings,
    visible_estates,
)
from xiaoqu.needs import classifier as clf
from xiaoqu.needs.models import Campaign, Demand, DemandList, Opinion, Visit
from xiaoqu.needs.selectors import DemandRow, demand_rows
from xiaoqu.registry.models import Estate


def pk_or_404(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def category_name(code: str) -> str:
    names = {c["code"]: c["name"] for c in clf.taxonomy()["categories"]}
    return str(names.get(code, code))


def category_class(code: str) -> str:
    return clf.category_classes().get(code, "manage")


def is_staff(user: Any) -> bool:
    return user.has_perm("needs.view_needs")


# --- estates ----------------------------------------------------------------------------------


def whole_estates(user: Any) -> QuerySet[Estate]:
    """Estates the user works on as a whole (region, estate or unscoped roles, not a grid)."""
    if is_global_admin(user):
        return Estate.objects.all()
    q = Q(pk__in=[])
    for a in user.roles.select_related("region"):
        if a.role not in WORKBENCH_ROLES or a.grid_id is not None:
            continue
        if a.region_id is None and a.estate_id is None:
            return Estate.objects.all()
        if a.region_id is not None:
            q |= Q(region_path__startswith=a.region.path)
        else:
            q |= Q(pk=a.estate_id)
    return Estate.objects.filter(q)


def reader_estate(user: Any, estate_id: Any) -> tuple[Estate, bool]:
    """An estate whose published lists the user may read: (estate, as staff), or 404."""
    pk = pk_or_404(estate_id)
    estate = visible_estates(user).filter(pk=pk).first()
    if estate is not None:
        return estate, True
    estate = home_estates(user).filter(pk=pk).first()
    if estate is None:
        raise Http404
    return estate, False


# --- campaigns --------------------------------------------------------------------------------


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    estates = visible_estates(user).values("pk")
    return (
        Campaign.objects.filter(pk__in=Campaign.objects.filter(estates__in=estates).values("pk"))
        .prefetch_related("estates")
        .order_by("-starts_on", "-pk")
    )


def access_campaign(user: Any, campaign_id: Any) -> Campaign:
    campaign = campaigns_for(user).filter(pk=pk_or_404(campaign_id)).first()
    if campaign is None:
        raise Http404
    return campaign


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


def visible_estate_ids(user: Any, campaigns: list[Campaign]) -> set[int]:
    ids = {e.pk for c in campaigns for e in c.estates.all()}
    return set(visible_estates(user).filter(pk__in=ids).values_list("pk", flat=True))


# --- visits -----------------------------------------------------------------------------------


def visits_for(user: Any) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(dwelling__in=visible_dwellings(user).values("pk"))
        .select_related("estate", "dwelling__building", "dwelling__entrance", "visitor")
        .annotate(n_opinions=Count("opinions"))
        .order_by("-visited_at", "-pk")
    )


def access_visit(user: Any, visit_id: Any) -> Visit:
    visit = visits_for(user).filter(pk=pk_or_404(visit_id)).first()
    if visit is None:
        raise Http404
    return visit


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


def _own_q(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(submitted_by=user) | Q(dwelling__in=home_dwellings(user).values("pk"))


def _staff_q(user: Any) -> Q:
    # Not ``Q()`` for "everything": an empty Q drops out of ``|`` and would leave only _own_q.
    if is_global_admin(user):
        return Q(pk__isnull=False)
    return Q(building__in=visible_buildings(user).values("pk")) | Q(
        building__isnull=True, estate__in=whole_estates(user).values("pk")
    )


def opinions_for(user: Any) -> QuerySet[Opinion]:
    """Opinions the caller may read: their staff scope plus their own."""
    return (
        Opinion.objects.filter(_staff_q(user) | _own_q(user))
        .select_related("estate", "dwelling__building", "dwelling__entrance", "demand")
        .order_by("-heard_on", "-pk")
    )


def staff_opinions(user: Any) -> QuerySet[Opinion]:
    """Opinions of the caller's staff scope only (what they may correct)."""
    return Opinion.objects.filter(_staff_q(user)).select_related("estate")


def access_opinion(user: Any, opinion_id: Any) -> Opinion:
    opinion = opinions_for(user).filter(pk=pk_or_404(opinion_id)).first()
    if opinion is None:
        raise Http404
    return opinion


def own_opinion_ids(user: Any, opinions: list[Opinion]) -> set[int]:
    ids = [o.pk for o in opinions]
    if not ids:
        return set()
    return set(Opinion.objects.filter(_own_q(user), pk__in=ids).values_list("pk", flat=True))


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


def access_demand(user: Any, demand_id: Any) -> Demand:
    demand = (
        Demand.objects.filter(
            pk=pk_or_404(demand_id), estate__in=visible_estates(user).values("pk")
        )
        .select_related("estate")
        .first()
    )
    if demand is None:
        raise Http404
    return demand


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


def demand_detail(demand: Demand) -> dict[str, Any]:
    """The demand's figures (as on the list) with its opinions; joined demands show zeros."""
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
    opinions = demand.opinions.select_related("dwelling__building", "dwelling__entrance").order_by(
        "heard_on", "pk"
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
            for o in opinions
        ],
    }


# --- published lists --------------------------------------------------------------------------


def lists_of(estate: Estate) -> QuerySet[DemandList]:
    return (
        DemandList.objects.filter(estate=estate)
        .annotate(items_count=Count("items"))
        .order_by("-version")
    )


def access_list(user: Any, list_id: Any) -> tuple[DemandList, bool]:
    """A published list the caller may read, and whether as staff; else 404."""
    found = (
        DemandList.objects.filter(pk=pk_or_404(list_id))
        .annotate(items_count=Count("items"))
        .select_related("estate")
        .first()
    )
    if found is None:
        raise Http404
    _estate, as_staff = reader_estate(user, found.estate_id)
    return found, as_staff


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
