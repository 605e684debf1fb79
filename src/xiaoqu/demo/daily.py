"""What the demo owner's feed (今天, docs/daily.md) shows besides the votes, the plan and the
minutes that demo/decisions.py makes: two repair reports of their own in 金仓路市政宿舍.

The demo owner (13800000002, 1栋1单元301) reported a dark stairwell this morning, which the
community worker (13800000005) took on and is fixing, and a blocked drain last week, which is
fixed and waits for the owner to confirm. 金仓路市政宿舍 has no managing body, so the
community handles its orders. Reports go through the services; their times are then set to
the demo's calendar. Idempotent: the reports carry fixed client keys.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.stewardship.models import Notice, WorkOrder, WorkOrderCategory, WorkOrderEvent
from xiaoqu.stewardship.services import orders

ESTATE_CODE = "520103006001-01"  # 金仓路市政宿舍
OWNER_PHONE = "13800000002"
STAFF_PHONE = "13800000005"  # 金仓社区's community worker

# (key, category, text, days ago, moves: a accept, d dispatch, s start, r resolve)
REPORTS = (
    ("stairwell", "stair-light", "1栋1单元三楼楼道灯不亮，晚上上下楼看不见", 0, "ads"),
    ("drain", "drain", "1栋门口下水道堵了，一下雨污水就漫到单元门口", 6, "adsr"),
)


def load_demo_daily() -> None:
    estate = Estate.objects.filter(code=ESTATE_CODE).first()
    owner = User.objects.filter(phone=OWNER_PHONE).first()
    staff = User.objects.filter(phone=STAFF_PHONE).first()
    if estate is None or owner is None or staff is None or owner.person_id is None:
        return
    home = (
        Dwelling.objects.filter(estate=estate, ownerships__person_id=owner.person_id)
        .select_related("building")
        .order_by("building__number", "entrance__number", "number")
        .first()
    )
    if home is None:
        return
    orders.categories_ensure()
    now = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic():
        for key, category, text, days, moves in REPORTS:
            client_key = uuid.uuid5(uuid.NAMESPACE_URL, f"xiaoqu-demo/daily/{key}")
            if WorkOrder.objects.filter(client_key=client_key).exists():
                continue
            created = now - dt.timedelta(days=days, hours=3)
            order, _ = orders.order_report(
                reporter=owner,
                estate=estate,
                category=WorkOrderCategory.objects.get(code=category),
                text=text,
                building=home.building,
                contact_ok=True,
                client_key=client_key,
                now=created,
            )
            for move in moves:
                order.refresh_from_db()
                if move == "a":
                    order = orders.order_accept(order=order, actor=staff)
                elif move == "d":
                    order = orders.order_dispatch(order=order, actor=staff, assignee=staff)
                elif move == "s":
                    order = orders.order_start(order=order, actor=staff)
                elif move == "r":
                    order = orders.order_resolve(
                        order=order, actor=staff, note="已疏通下水道，请您看看"
                    )
            _spread(order, created, now)


def _spread(order: WorkOrder, created: dt.datetime, now: dt.datetime) -> None:
    """Put the order's events (written now by the services) a few hours apart from when it
    was reported, so its history and the feed's "latest news" read as it happened."""
    events = list(WorkOrderEvent.objects.filter(order=order).order_by("pk"))
    pace = min(dt.timedelta(hours=5), (now - created) / (len(events) + 1))
    for n, event in enumerate(events):
        event.at = min(created + pace * n, now)
    WorkOrderEvent.objects.bulk_update(events, ["at"])
    changes: dict[str, object] = {"created_at": created}
    order.refresh_from_db()
    if order.resolved_at is not None and events:
        changes["resolved_at"] = events[-1].at
    WorkOrder.objects.filter(pk=order.pk).update(**changes)
    Notice.objects.filter(order=order).update(at=created)
