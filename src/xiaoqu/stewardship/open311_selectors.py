"""Reads of Open311 GeoReport v2 (docs/stewardship.md#open311): the services (work-order
categories) and their definitions, the outside systems' keys, where a report is, and work
orders as public service requests.

A public service request shows what residents may read of an order and nothing of the
person behind it: no name, phone or email; the estate (and building) as its address, never
the dwelling or the words about where it is (which may name a flat); the estate's position,
or the one an outside system posted with it (never a resident's phone position); telephone
and ID numbers inside the description masked; status notes that residents read on their own
order page (the reason of a refusal, the order a duplicate was merged into, the result of the
work), never who it was dispatched to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from xiaoqu.core.keys import key_digest
from xiaoqu.registry.models import Estate, Region, RegionLevel
from xiaoqu.stewardship import open311
from xiaoqu.stewardship.models import (
    OPEN_STATUSES,
    Open311Key,
    OrderChannel,
    OrderStatus,
    Party,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderEvent,
)

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
# Region levels named in a request's address, from the widest.
ADDRESS_LEVELS = (RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY)

_REQUEST_COLUMNS = (
    "pk",
    "status",
    "text",
    "channel",
    "latitude",
    "longitude",
    "created_at",
    "due_at",
    "party",
    "escalations",
    "reject_reason",
    "merged_into_id",
    "category__code",
    "category__name",
    "category__hours",
    "category__clock",
    "estate_id",
    "estate__name",
    "estate__region_path",
    "estate__latitude",
    "estate__longitude",
    "building__number",
)


def live_key(raw: str) -> Open311Key | None:
    """The unrevoked key ``raw`` is, with its region; None for anything else."""
    if not raw or len(raw) > 200:
        return None
    return (
        Open311Key.objects.select_related("region")
        .filter(digest=key_digest(raw), revoked_at=None)
        .first()
    )


# --- services -----------------------------------------------------------------------------------


def service_notice(hours: Decimal, clock: bool) -> str:
    """What happens next, from a category's deadline."""
    hours_text = _hours(hours)
    if clock:
        return _("紧急事项，全天候计时，%(hours)s 小时内处理。") % {"hours": hours_text}
    return _("按工作时间计时，%(hours)s 个工作小时内处理（法定节假日顺延）。") % {
        "hours": hours_text
    }


def _hours(hours: Decimal) -> str:
    return format(hours.normalize(), "f") if isinstance(hours, Decimal) else str(hours)


def services() -> list[dict[str, Any]]:
    """The active categories as GeoReport services: emergencies first, then by code."""
    categories = WorkOrderCategory.objects.filter(active=True).order_by("-clock", "code")
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description or service_notice(c.hours, c.clock),
            "metadata": bool(c.attributes),
            "type": "realtime",
            "keywords": None,
            "group": _("紧急") if c.clock else _("日常报修"),
        }
        for c in categories
    ]


def active_service(code: str) -> WorkOrderCategory | None:
    """The active category of this code, or None."""
    if not code or len(code) > 32:
        return None
    return WorkOrderCategory.objects.filter(code=code, active=True).first()


def service_attributes(category: WorkOrderCategory) -> list[dict[str, Any]]:
    """The category's attributes in the specification's shape and order."""
    return open311.definitions_ordered(category.attributes or [])


# --- where a report is ------------------------------------------------------------------------


def estate_near(lat: Decimal, lon: Decimal) -> tuple[Estate, float] | None:
    """The estate of the register nearest the point, if one lies within 300 m of it (by its
    WGS-84 position), with the distance in metres."""
    south, north, west, east = open311.bbox(float(lat), float(lon), open311.NEAR_METRES)
    candidates = Estate.objects.filter(
        latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east
    )
    return open311.nearest(
        float(lat),
        float(lon),
        (
            (estate, float(estate.latitude), float(estate.longitude))
            for estate in candidates
            if estate.latitude is not None and estate.longitude is not None
        ),
    )


def estate_of_address(address_id: str) -> Estate | None:
    """The estate whose id is ``address_id``, or None."""
    text = (address_id or "").strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        return None
    return Estate.objects.filter(pk=int(text)).first()


# --- service requests -------------------------------------------------------------------------


def request_rows(
    *,
    ids: Sequence[int] | None = None,
    codes: Sequence[str] = (),
    statuses: Sequence[str] = (),
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Work orders as public service requests, newest first, at most 1000: those of ``ids``
    (which overrides every other filter), else those requested between ``start`` and ``end``
    of the ``codes`` (all when empty) and ``statuses`` (``open``/``closed``; all when empty)."""
    orders = WorkOrder.objects.all()
    if ids is not None:
        orders = orders.filter(pk__in=list(ids))
    else:
        if start is not None:
            orders = orders.filter(created_at__gte=start)
        if end is not None:
            orders = orders.filter(created_at__lte=end)
        if codes:
            orders = orders.filter(category__code__in=list(codes))
        if set(statuses) == {"open"}:
            orders = orders.filter(status__in=OPEN_STATUSES)
        elif set(statuses) == {"closed"}:
            orders = orders.exclude(status__in=OPEN_STATUSES)
    rows = list(
        orders.order_by("-created_at", "-pk").values(
            *_REQUEST_COLUMNS, media_url=KT("attributes__media_url")
        )[:MAX_REQUESTS]
    )
    return _as_requests(rows)


def request_row(order_id: int) -> dict[str, Any] | None:
    """One work order as a public service request, or None."""
    found = request_rows(ids=[order_id])
    return found[0] if found else None


def token_row(token: str) -> dict[str, Any] | None:
    """The request a token (the order's client key) stands for, or None."""
    try:
        key = uuid.UUID(token)
    except (ValueError, AttributeError):
        return None
    pk = WorkOrder.objects.filter(client_key=key).values_list("pk", flat=True).first()
    return None if pk is None else {"service_request_id": pk, "token": str(key)}


def _as_requests(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    ids = [row["pk"] for row in rows]
    updated = dict(
        WorkOrderEvent.objects.filter(order_id__in=ids)
        .order_by()
        .values("order_id")
        .annotate(last=Max("at"))
        .values_list("order_id", "last")
    )
    words = _Words(
        results=_results([r["pk"] for r in rows if r["status"] in _RESULT_STATUSES]),
        places=_region_names(row["estate__region_path"] for row in rows),
    )
    return [_request(row, updated.get(row["pk"]), words) for row in rows]


_RESULT_STATUSES = frozenset({OrderStatus.RESOLVED, OrderStatus.CONFIRMED})


class _Words:
    """What every request of one answer shares, looked up and translated once: the
    categories' notices, the parties' and states' names, the results of resolved orders, the
    regions' names."""

    def __init__(self, *, results: dict[int, str], places: dict[str, str]) -> None:
        self.results = results
        self.places = places
        self.notices: dict[str, str] = {}
        self.parties = {str(value): str(label) for value, label in Party.choices}
        self.statuses = {str(value): str(label) for value, label in OrderStatus.choices}
        self.building = _("%(number)s栋")
        self.rejected = _("不予受理：%(reason)s")
        self.merged = _("与工单 %(pk)s 是同一问题，合并处理。")
        self.escalated = _("%(status)s；逾期已升级，现由“%(party)s”督办。")

    def notice(self, row: dict[str, Any]) -> str:
        code = row["category__code"]
        if code not in self.notices:
            self.notices[code] = service_notice(row["category__hours"], row["category__clock"])
        return self.notices[code]


def _results(ids: list[int]) -> dict[int, str]:
    """The result the handlers wrote when they resolved each order (the latest)."""
    if not ids:
        return {}
    found: dict[int, str] = {}
    for order_id, note in (
        WorkOrderEvent.objects.filter(order_id__in=ids, kind="resolve")
        .order_by("at", "pk")
        .values_list("order_id", "note")
    ):
        found[order_id] = note
    return found


def _region_names(paths: Iterable[str]) -> dict[str, str]:
    """The district, street and community of each region path, as one string."""
    paths = set(paths)
    ids = {int(p) for path in paths for p in path.strip("/").split("/") if p}
    names = dict(
        Region.objects.filter(pk__in=ids, level__in=ADDRESS_LEVELS).values_list("pk", "name")
    )
    return {
        path: "".join(names.get(int(p), "") for p in path.strip("/").split("/") if p)
        for path in paths
    }


def _request(row: dict[str, Any], updated: dt.datetime | None, words: _Words) -> dict[str, Any]:
    is_open = row["status"] in OPEN_STATUSES
    posted = row["channel"] == OrderChannel.OPEN311
    building = row["building__number"]
    lat, lon = (
        (row["latitude"], row["longitude"])
        if posted and row["latitude"] is not None
        else (row["estate__latitude"], row["estate__longitude"])
    )
    created = row["created_at"]
    return {
        "service_request_id": row["pk"],
        "status": "open" if is_open else "closed",
        "status_notes": _notes(row, words),
        "service_name": row["category__name"],
        "service_code": row["category__code"],
        "description": open311.mask_numbers(row["text"]),
        "agency_responsible": words.parties.get(row["party"]),
        "service_notice": words.notice(row),
        "requested_datetime": created,
        "updated_datetime": max(updated, created) if updated else created,
        "expected_datetime": row["due_at"] if is_open else None,
        "address": words.places.get(row["estate__region_path"], "")
        + row["estate__name"]
        + (words.building % {"number": building} if building else ""),
        "address_id": row["estate_id"],
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": (row["media_url"] or None) if posted else None,
    }


def _notes(row: dict[str, Any], words: _Words) -> str:
    """What residents read of the order's state: the state in words; with the reason of a
    refusal, the order a duplicate joined, the result of the work, an escalation."""
    status = row["status"]
    label = words.statuses.get(status, status)
    if status == OrderStatus.REJECTED:
        return words.rejected % {"reason": row["reject_reason"]}
    if status == OrderStatus.MERGED:
        return words.merged % {"pk": row["merged_into_id"]}
    if status in _RESULT_STATUSES:
        result = words.results.get(row["pk"], "")
        return f"{label}：{result}" if result else label
    if row["escalations"] and row["party"] in words.parties:
        return words.escalated % {"status": label, "party": words.parties[row["party"]]}
    return label


def order_extra(order: WorkOrder) -> dict[str, Any]:
    """For the staff's order page: which outside system posted the order, its answers to the
    category's attributes (as question and answer in words) and the picture it linked."""
    if order.channel != OrderChannel.OPEN311:
        return {}
    stored = order.attributes if isinstance(order.attributes, dict) else {}
    answers = stored.get("answers") or {}
    definitions = {d["code"]: d for d in service_attributes(order.category)}
    shown = []
    for code, value in answers.items():
        definition = definitions.get(code, {})
        names = {v["key"]: v["name"] for v in definition.get("values", [])}
        values = value if isinstance(value, list) else [value]
        shown.append(
            (
                definition.get("description") or code,
                "、".join(str(names.get(v, v)) for v in values),
            )
        )
    return {
        "system": key.name if (key := order.open311_key) is not None else "",
        "answers": shown,
        "media_url": stored.get("media_url", ""),
    }
