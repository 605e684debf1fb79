"""Reads of work orders: staff lists in scope, a resident's own orders, duplicate
suggestions, an order's history and a user's notices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from xiaoqu.accounts.roles import is_global_admin
from xiaoqu.stewardship.models import (
    OPEN_STATUSES,
    Notice,
    OrderStatus,
    Party,
    WorkOrder,
    WorkOrderEvent,
)
from xiaoqu.stewardship.rules import VIEW_MANAGEMENT

ORDER_RELATED = ("estate", "category", "building", "dwelling__building", "dwelling__entrance")


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    category: str = ""
    party: str = ""
    overdue: bool = False
    estate: str = ""

    @classmethod
    def from_query(cls, query: Any) -> OrderFilters:
        status = query.get("status", "")
        party = query.get("party", "")
        return cls(
            status=status if status in OrderStatus.values or status == "open" else "",
            category=query.get("category", "")[:32],
            party=party if party in Party.values else "",
            overdue=query.get("overdue") == "1",
            estate=query.get("estate", "") if query.get("estate", "").isdigit() else "",
        )


def staff_orders(
    *, user: Any, filters: OrderFilters, now: dt.datetime | None = None
) -> QuerySet[WorkOrder]:
    """The orders in the user's scope, filtered, the most urgent open ones first."""
    orders = VIEW_MANAGEMENT.scoped(user, WorkOrder.objects.all())
    if filters.status == "open":
        orders = orders.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        orders = orders.filter(status=filters.status)
    if filters.category:
        orders = orders.filter(category__code=filters.category)
    if filters.party:
        orders = orders.filter(party=filters.party)
    if filters.estate:
        orders = orders.filter(estate_id=int(filters.estate))
    if filters.overdue:
        orders = orders.filter(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())
    return orders.select_related(*ORDER_RELATED).order_by("due_at", "-pk")


def my_orders(*, user: Any) -> QuerySet[WorkOrder]:
    """The orders the user reported, newest first."""
    return (
        WorkOrder.objects.filter(reporter=user)
        .select_related(*ORDER_RELATED)
        .order_by("-created_at", "-pk")
    )


def my_order(*, user: Any, order_id: int) -> WorkOrder:
    """One order the user reported (404 otherwise, missing or not theirs alike); a global
    administrator reaches any."""
    orders = WorkOrder.objects.select_related(*ORDER_RELATED)
    if not is_global_admin(user):
        orders = orders.filter(reporter=user)
    return get_object_or_404(orders, pk=order_id)


# What each event row says, in words.
EVENT_LABELS: dict[str, Any] = {
    "submitted": gettext_lazy("提交"),
    "accept": gettext_lazy("受理"),
    "dispatch": gettext_lazy("派单"),
    "start": gettext_lazy("开始处理"),
    "resolve": gettext_lazy("处理完成"),
    "confirm": gettext_lazy("确认解决"),
    "reopen": gettext_lazy("重开"),
    "reject": gettext_lazy("不予受理"),
    "merge": gettext_lazy("合并"),
    "merged_in": gettext_lazy("有重复工单并入"),
    "escalated": gettext_lazy("逾期升级"),
    "overdue": gettext_lazy("逾期督办"),
    "rated": gettext_lazy("评价"),
}


def history(order: WorkOrder) -> list[WorkOrderEvent]:
    """The order's events, oldest first, each with a ``label`` in words."""
    events = list(order.events.select_related("actor").order_by("at", "pk"))
    for event in events:
        event.label = str(EVENT_LABELS.get(event.kind, event.kind))  # type: ignore[attr-defined]
        event.party_label = Party(event.party).label if event.party in Party.values else ""  # type: ignore[attr-defined]
    return events


def duplicate_suggestions(order: WorkOrder, limit: int = 10) -> QuerySet[WorkOrder]:
    """Open orders of the same estate and category at the same building, dwelling or place
    (staff confirm a merge; nothing is merged automatically)."""
    same = Q()
    if order.building_id:
        same |= Q(building_id=order.building_id)
    if order.dwelling_id:
        same |= Q(dwelling_id=order.dwelling_id)
    if order.place:
        same |= Q(place__iexact=order.place)
    if not same:
        return WorkOrder.objects.none()
    return (
        WorkOrder.objects.filter(same, estate_id=order.estate_id, category_id=order.category_id)
        .filter(status__in=OPEN_STATUSES)
        .exclude(pk=order.pk)
        .select_related(*ORDER_RELATED)
        .order_by("created_at")[:limit]
    )


def notices_for(*, user: Any, limit: int = 100) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(user=user)
        .select_related("order__category", "order__estate")
        .order_by("-at", "-pk")[:limit]
    )


def place_label(order: WorkOrder) -> str:
    """Where the problem is, in words."""
    parts = []
    if order.dwelling is not None:
        parts.append(order.dwelling.label)
    elif order.building is not None:
        parts.append(f"{order.building.number}栋")
    if order.place:
        parts.append(order.place)
    return " ".join(parts)
