"""Writes of work orders (工单): reports from residents' phones and from staff, routing, the
moves of an order's life, rating, and the escalation sweep (docs/stewardship.md).

* A resident reports a problem of their own estate: at one of their dwellings, at a building
  of the estate, or at a place described in words (with the phone's position if given).
  Submitting twice with the same ``client_key`` (a phone retrying) makes one order.
* Staff (grid workers, community and street staff, the property manager) enter hotline calls
  and visits with the caller's name and phone.
* Outside systems (a city's 12345 hotline, an app) post through Open311 with their key
  (``order_post_open311``; the HTTP side is ``stewardship.views.open311``).
* A new order goes to the party of the most specific routing rule (estate + category, estate,
  region + category, region, category), else to the managing body; its deadline is the
  category's hours of working time (China's calendar with 调休, ``stewardship.sla``) or, for
  emergencies, of plain hours.
* The moves and who may make them are the table of ``stewardship.order_flow``; each move is
  a ``WorkOrderEvent`` row, an audit row and notices to whom it concerns, in one transaction,
  made on the order locked for update so two people cannot both move it.
* ``escalation_sweep(now)`` moves every open order past its deadline one party up the ladder
  (managing body → community → street → housing bureau), in a few statements per level, and
  is idempotent: the unique constraint on (order, party) of "escalated" events makes a second
  run, or one running at the same time, add nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoqu.accounts.models import Actor, Role, RoleAssignment, User
from xiaoqu.accounts.roles import is_global_admin
from xiaoqu.core import figures
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import normalize_phone, phone_is_valid
from xiaoqu.core.policy import scope_path_of
from xiaoqu.core.uploads import check_photo
from xiaoqu.registry.models import Building, Dwelling, Estate
from xiaoqu.registry.scope import home_dwelling_ids, home_estate_ids, roles_q
from xiaoqu.stewardship import order_flow as flow
from xiaoqu.stewardship.models import (
    OPEN_STATUSES,
    Notice,
    Open311Key,
    OrderChannel,
    OrderStatus,
    Party,
    PartySeat,
    RoutingRule,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from xiaoqu.stewardship.rules import HANDLE_ORDERS, RECORD_ORDERS, REPORT_ORDERS
from xiaoqu.stewardship.selectors import working_calendar

TEXT_MAX = 2000
OPEN311_TEXT_MAX = 4000  # the GeoReport v2 limit of a description
PHOTOS_MAX = 6
REASON_MAX = 500

# Who acts for each party, by role (when no one is seated for it: stewardship.PartySeat).
PARTY_ROLES: dict[str, frozenset[str]] = {
    Party.MANAGER: frozenset({Role.PROPERTY_MANAGER, Role.OWNERS_COMMITTEE}),
    Party.OWNERS: frozenset({Role.OWNERS_COMMITTEE}),
    Party.COMMUNITY: frozenset({Role.COMMUNITY_STAFF}),
    Party.STREET: frozenset({Role.STREET_STAFF}),
    Party.HOUSING: frozenset({Role.HOUSING_BUREAU}),
}

# The usual categories: code, name, hours, around the clock (emergencies).
USUAL_CATEGORIES: tuple[tuple[str, str, str, bool], ...] = (
    ("stair-light", "楼道灯不亮", "8", False),
    ("drain", "下水道堵塞", "8", False),
    ("street-light", "路灯损坏", "16", False),
    ("door-access", "门禁故障", "8", False),
    ("garbage", "垃圾清运", "16", False),
    ("greenery", "绿化", "40", False),
    ("elevator-trapped", "电梯困人", "1", True),
    ("gas-leak", "燃气泄漏", "1", True),
    ("flooding", "水管爆裂/水淹", "2", True),
    ("other", "其他", "24", False),
)


# What the usual categories ask outside systems for (Open311 attributes, stewardship.open311).
USUAL_ATTRIBUTES: dict[str, list[dict[str, Any]]] = {
    "elevator-trapped": [
        {
            "code": "entrance",
            "datatype": "string",
            "required": True,
            "order": 1,
            "description": "被困电梯在哪栋哪个单元？",
            "datatype_description": "如：3栋2单元",
        },
        {
            "code": "people",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 2,
            "description": "轿厢里有人被困吗？",
            "values": [
                {"key": "yes", "name": "有人被困"},
                {"key": "no", "name": "无人被困"},
                {"key": "unknown", "name": "不清楚"},
            ],
        },
    ],
}


def categories_ensure() -> int:
    """Create the usual categories that are missing (by code); how many were created."""
    have = set(WorkOrderCategory.objects.values_list("code", flat=True))
    missing = [
        WorkOrderCategory(
            code=code,
            name=name,
            hours=Decimal(hours),
            clock=clock,
            attributes=USUAL_ATTRIBUTES.get(code, []),
        )
        for code, name, hours, clock in USUAL_CATEGORIES
        if code not in have
    ]
    WorkOrderCategory.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


# --- routing, deadlines, recipients -----------------------------------------------------------


def route(estate: Estate, category: WorkOrderCategory) -> str:
    """The party of the most specific rule: estate + category, estate, region + category,
    region (the deepest region holding the estate first), category; else the managing body."""
    rules = list(
        RoutingRule.objects.filter(
            Q(category=category) | Q(category__isnull=True),
            Q(estate=estate)
            | Q(estate__isnull=True, region__isnull=True)
            | Q(estate__isnull=True, region__isnull=False),
        ).select_related("region")
    )

    def rank(rule: RoutingRule) -> tuple[int, int, int] | None:
        has_category = rule.category_id is not None
        if rule.estate_id is not None:
            return (3, 0, int(has_category))
        if rule.region is not None:
            if not estate.region_path.startswith(rule.region.path):
                return None
            return (2, len(rule.region.path), int(has_category))
        return (1, 0, 1) if has_category else None

    ranked = [(r, rule) for rule in rules if (r := rank(rule)) is not None]
    if not ranked:
        return Party.MANAGER
    return max(ranked, key=lambda pair: (pair[0], -pair[1].pk))[1].party


def deadline(category: WorkOrderCategory, start: dt.datetime) -> dt.datetime:
    """The category's hours after ``start``: working time, or plain time for emergencies."""
    return working_calendar().due(start, category.hours, clock=category.clock).at


def recipients_by_estate(estate_ids: Any, party: str) -> dict[int, list[int]]:
    """The users to notify for ``party`` in each estate: those seated for it, else the users
    holding its roles with an estate or region assignment covering the estate."""
    estates = list(Estate.objects.filter(pk__in=estate_ids).values_list("pk", "region_path"))
    seated: dict[int, set[int]] = defaultdict(set)
    for estate_id, user_id in PartySeat.objects.filter(
        estate__in=[pk for pk, _path in estates], party=party, user__is_active=True
    ).values_list("estate_id", "user_id"):
        seated[estate_id].add(user_id)
    holders = list(
        RoleAssignment.objects.filter(
            role__in=PARTY_ROLES.get(party, ()), user__is_active=True
        ).values_list("user_id", "estate_id", "region__path")
    )
    found: dict[int, list[int]] = {}
    for pk, path in estates:
        users = seated.get(pk) or {
            user_id
            for user_id, estate_id, region_path in holders
            if estate_id == pk or (region_path and path.startswith(region_path))
        }
        found[pk] = sorted(users)
    return found


def _party_users(estate: Estate, party: str) -> list[int]:
    return recipients_by_estate([estate.pk], party).get(estate.pk, [])


def acting_parties(user: Any, order: WorkOrder) -> set[str]:
    """The parties the user acts for on this order (by role, in the order's scope)."""
    if is_global_admin(user):
        return set(PARTY_ROLES)
    path = scope_path_of(WorkOrder)
    acting = set()
    for party, roles in PARTY_ROLES.items():
        q = roles_q(user, roles, path)
        if q is None or WorkOrder.objects.filter(pk=order.pk).filter(q).exists():
            acting.add(party)
    return acting


def assignee_candidates(order: WorkOrder) -> QuerySet[User]:
    """Who an order may be dispatched to: the users of any of its estate's parties."""
    ids: set[int] = set()
    for party in PARTY_ROLES:
        ids |= set(_party_users(order.estate, party))
    return User.objects.filter(pk__in=ids, is_active=True).order_by("name")


def _notify(user_ids: Iterable[int | None], order: WorkOrder, text: str, at: dt.datetime) -> None:
    Notice.objects.bulk_create(
        Notice(user_id=uid, order=order, text=text[:300], at=at)
        for uid in sorted({u for u in user_ids if u})
    )


def _event(
    order: WorkOrder,
    kind: str,
    actor: Actor | None,
    at: dt.datetime,
    *,
    from_status: str = "",
    note: str = "",
) -> WorkOrderEvent:
    return WorkOrderEvent.objects.create(
        order=order,
        kind=kind,
        from_status=from_status,
        to_status=order.status,
        party=order.party,
        note=note[:REASON_MAX],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at,
    )


# --- reporting --------------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请说明是什么问题。"), code="text")
    if len(text) > TEXT_MAX:
        raise DomainError(_("内容太长了，最多 2000 字。"), code="text_long")
    return text


def _check_category(category: WorkOrderCategory | None) -> WorkOrderCategory:
    if category is None or not category.active:
        raise DomainError(_("请选择问题类别。"), code="category")
    return category


def _check_photos(photos: Sequence[UploadedFile]) -> None:
    if len(photos) > PHOTOS_MAX:
        raise DomainError(_("照片最多 6 张。"), code="photos")
    for photo in photos:
        check_photo(photo)


def _check_place(
    estate: Estate, building: Building | None, dwelling: Dwelling | None, place: str
) -> None:
    if building is not None and building.estate_id != estate.pk:
        raise DomainError(_("所选楼栋不在这个小区。"), code="building")
    if dwelling is not None and dwelling.estate_id != estate.pk:
        raise DomainError(_("所选房屋不在这个小区。"), code="dwelling")
    if len(place) > 200:
        raise DomainError(_("位置描述太长了，最多 200 字。"), code="place")


def _existing(client_key: uuid.UUID | None, reporter: Actor | None) -> WorkOrder | None:
    if client_key is None:
        return None
    found = WorkOrder.objects.filter(client_key=client_key).first()
    if found is not None and (reporter is None or found.reporter_id != reporter.pk):
        raise DomainError(_("提交编号重复，请刷新页面后重新提交。"), code="client_key")
    return found


def order_report(
    *,
    reporter: Actor,
    estate: Estate,
    category: WorkOrderCategory | None,
    text: str,
    dwelling: Dwelling | None = None,
    building: Building | None = None,
    place: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    photos: Sequence[UploadedFile] = (),
    contact_ok: bool = False,
    client_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> tuple[WorkOrder, bool]:
    """A resident's report from the phone; (the order, whether it was created now)."""
    existing = _existing(client_key, reporter)
    if existing is not None:
        return existing, False
    if not REPORT_ORDERS.has(reporter, estate) or estate.pk not in home_estate_ids(reporter):
        raise DomainError(_("只能反映自己所住小区的问题。"), code="not_home")
    if dwelling is not None and dwelling.pk not in home_dwelling_ids(reporter):
        raise DomainError(_("只能选择自己的房屋。"), code="dwelling")
    return _create(
        estate=estate,
        category=_check_category(category),
        text=_clean_text(text),
        dwelling=dwelling,
        building=building,
        place=(place or "").strip(),
        latitude=latitude,
        longitude=longitude,
        photos=photos,
        channel=OrderChannel.RESIDENT,
        reporter=reporter,
        reporter_name=reporter.name,
        reporter_phone=reporter.phone if contact_ok else "",
        contact_ok=contact_ok,
        client_key=client_key,
        actor=reporter,
        now=now,
    ), True


def order_record(
    *,
    actor: Actor,
    estate: Estate,
    category: WorkOrderCategory | None,
    channel: str,
    text: str,
    reporter_name: str = "",
    reporter_phone: str = "",
    contact_ok: bool = False,
    building: Building | None = None,
    dwelling: Dwelling | None = None,
    place: str = "",
    photos: Sequence[UploadedFile] = (),
    client_key: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """A hotline call or a visit entered by staff."""
    RECORD_ORDERS.require(actor, estate)
    if channel not in (OrderChannel.HOTLINE, OrderChannel.VISIT):
        raise DomainError(_("请选择来源：热线或走访。"), code="channel")
    existing = WorkOrder.objects.filter(client_key=client_key).first() if client_key else None
    if existing is not None:
        return existing
    phone = normalize_phone(reporter_phone or "")
    if phone and not phone_is_valid(phone):
        raise DomainError(_("联系电话应为 11 位手机号。"), code="phone")
    if contact_ok and not phone:
        raise DomainError(_("同意回访时请填写联系电话。"), code="phone")
    return _create(
        estate=estate,
        category=_check_category(category),
        text=_clean_text(text),
        dwelling=dwelling,
        building=building,
        place=(place or "").strip(),
        photos=photos,
        channel=channel,
        reporter=None,
        reporter_name=(reporter_name or "").strip()[:64],
        reporter_phone=phone,
        contact_ok=contact_ok,
        client_key=client_key,
        actor=actor,
        now=now,
    )


def order_post_open311(
    *,
    key: Open311Key,
    estate: Estate,
    category: WorkOrderCategory | None,
    text: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    place: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    attributes: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """A report an outside system posts through Open311 with its key (a city's 12345 hotline,
    an app), for an estate inside the key's region: routed, given its deadline, an event,
    notices and an audit row like any other order.

    Without a description the order's text is the category's name (the specification makes
    the description optional). A phone number sent with the report was given so that the
    handlers can call back: it is stored with permission to contact. ``attributes`` holds the
    answers to the category's attributes and the posted ``media_url``.
    """
    if key.revoked_at is not None:
        raise DomainError(_("这个 Open311 密钥已吊销。"), code="key_revoked")
    if key.region is not None and not estate.region_path.startswith(key.region.path):
        raise DomainError(
            _("这个小区不在密钥所属区域（%(region)s）内。") % {"region": key.region.name},
            code="key_region",
        )
    category = _check_category(category)
    text = (text or "").strip() or category.name
    if len(text) > OPEN311_TEXT_MAX:
        raise DomainError(_("内容太长了，最多 4000 字。"), code="text_long")
    phone = normalize_phone(reporter_phone or "")
    return _create(
        estate=estate,
        category=category,
        text=text,
        dwelling=None,
        building=None,
        place=(place or "").strip(),
        latitude=latitude,
        longitude=longitude,
        photos=(),
        channel=OrderChannel.OPEN311,
        reporter=None,
        reporter_name=(reporter_name or "").strip()[:64],
        reporter_phone=phone,
        contact_ok=bool(phone),
        open311_key=key,
        attributes=attributes or {},
        client_key=None,
        actor=None,
        now=now,
    )


def _create(
    *,
    estate: Estate,
    category: WorkOrderCategory,
    photos: Sequence[UploadedFile],
    actor: Actor | None,
    now: dt.datetime | None,
    client_key: uuid.UUID | None,
    **fields: Any,
) -> WorkOrder:
    _check_place(estate, fields["building"], fields["dwelling"], fields["place"])
    _check_photos(photos)
    if fields["dwelling"] is not None and fields["building"] is None:
        fields["building"] = fields["dwelling"].building
    now = now or timezone.now()
    party = route(estate, category)
    with transaction.atomic():
        order = WorkOrder.objects.create(
            estate=estate,
            category=category,
            party=party,
            due_at=deadline(category, now),
            created_at=now,
            client_key=client_key or uuid.uuid4(),
            **fields,
        )
        for photo in photos:
            WorkOrderPhoto.objects.create(order=order, image=photo, uploaded_by=actor)
        _event(order, "submitted", actor, now, note=order.get_channel_display())
        _notify(
            _party_users(estate, party),
            order,
            _("新工单：%(category)s（%(estate)s）") % {"category": category, "estate": estate},
            now,
        )
        audit_record(
            actor=actor,
            action="stewardship.order_report",
            obj=order,
            after={
                "category": category.code,
                "party": party,
                "channel": order.channel,
                **({"open311_key": order.open311_key_id} if order.open311_key_id else {}),
            },
        )
    return order


# --- moves ------------------------------------------------------------------------------------


def _may_make(actor: Actor, order: WorkOrder, move: flow.Move) -> bool:
    if move.who == flow.REPORTER:
        if order.reporter_id is not None:
            return order.reporter_id == actor.pk
        return HANDLE_ORDERS.has(actor, order) and flow.may_handle(
            acting_parties(actor, order), order.party
        )
    if not HANDLE_ORDERS.has(actor, order):
        return bool(move.who == flow.WORKER and order.assignee_id == actor.pk)
    if flow.may_handle(acting_parties(actor, order), order.party):
        return True
    return move.who == flow.WORKER and order.assignee_id == actor.pk


def _locked(order: WorkOrder, move: flow.Move, actor: Actor) -> WorkOrder:
    locked = WorkOrder.objects.select_for_update().select_related("category", "estate")
    current = locked.get(pk=order.pk)
    if not _may_make(actor, current, move):
        raise DomainError(_("这张工单现在不由您处理。"), code="not_yours")
    if not flow.allowed(move.name, current.status):
        raise DomainError(
            _("工单“%(status)s”时不能这样操作，请刷新后再试。")
            % {"status": current.get_status_display()},
            code="status",
        )
    return current


def _reason(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(message, code="reason")
    if len(text) > REASON_MAX:
        raise DomainError(_("说明太长了，最多 500 字。"), code="reason_long")
    return text


def _move(
    order: WorkOrder,
    name: str,
    actor: Actor,
    *,
    note: str = "",
    changes: dict[str, Any] | None = None,
    tell: Iterable[int | None] = (),
    notice: str = "",
    now: dt.datetime | None = None,
) -> WorkOrder:
    move = flow.MOVES[name]
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked(order, move, actor)
        before = current.status
        current.status = move.target
        for field, value in (changes or {}).items():
            setattr(current, field, value(current, now) if callable(value) else value)
        current.save()
        _event(current, name, actor, now, from_status=before, note=note)
        if notice:
            _notify(tell, current, notice, now)
        audit_record(
            actor=actor,
            action=f"stewardship.order_{name}",
            obj=current,
            before={"status": before},
            after={"status": current.status, "note": note[:100]},
        )
    return current


def _words(order: WorkOrder, what: str) -> str:
    return _("您反映的“%(category)s”%(what)s") % {"category": order.category, "what": what}


def order_accept(*, order: WorkOrder, actor: Actor, note: str = "") -> WorkOrder:
    return _move(
        order,
        "accept",
        actor,
        note=note,
        tell=[order.reporter_id],
        notice=_words(order, _("已受理。")),
    )


def order_dispatch(
    *, order: WorkOrder, actor: Actor, assignee: User | None, note: str = ""
) -> WorkOrder:
    """Send the order to the person who will do the work (a user of the estate's parties)."""
    if assignee is None or not assignee_candidates(order).filter(pk=assignee.pk).exists():
        raise DomainError(_("请选择本小区的处理人员。"), code="assignee")
    notice = _("派给您的工单：%(category)s（%(estate)s）") % {
        "category": order.category,
        "estate": order.estate,
    }
    done = _move(
        order,
        "dispatch",
        actor,
        note=note or assignee.name,
        changes={"assignee": assignee},
        tell=[assignee.pk],
        notice=notice,
    )
    _notify([order.reporter_id], done, _words(done, _("已派人处理。")), timezone.now())
    return done


def order_start(*, order: WorkOrder, actor: Actor, note: str = "") -> WorkOrder:
    return _move(
        order,
        "start",
        actor,
        note=note,
        tell=[order.reporter_id],
        notice=_words(order, _("正在处理。")),
    )


def order_resolve(*, order: WorkOrder, actor: Actor, note: str = "") -> WorkOrder:
    """Done: the reporter is asked to confirm (or reopen)."""
    return _move(
        order,
        "resolve",
        actor,
        note=_reason(note, _("请写明处理结果。")),
        changes={"resolved_at": lambda o, now: now},
        tell=[order.reporter_id],
        notice=_words(order, _("已处理，请确认是否解决。")),
    )


def order_confirm(*, order: WorkOrder, actor: Actor, note: str = "") -> WorkOrder:
    return _move(
        order,
        "confirm",
        actor,
        note=note.strip(),
        changes={"closed_at": lambda o, now: now},
        tell=[*_party_users(order.estate, order.party), order.assignee_id],
        notice=_("工单 #%(pk)s 已确认解决。") % {"pk": order.pk},
    )


def order_reopen(*, order: WorkOrder, actor: Actor, reason: str) -> WorkOrder:
    """Not solved: back to work with a new deadline from now; the history stays, and the
    order stays with the party it had reached."""
    return _move(
        order,
        "reopen",
        actor,
        note=_reason(reason, _("请说明哪里还没解决。")),
        changes={
            "due_at": lambda o, now: deadline(o.category, now),
            "resolved_at": None,
            "closed_at": None,
        },
        tell=[*_party_users(order.estate, order.party), order.assignee_id],
        notice=_("工单 #%(pk)s 被反映人重开：问题没有解决。") % {"pk": order.pk},
    )


def order_reject(*, order: WorkOrder, actor: Actor, reason: str) -> WorkOrder:
    """Not for this platform or not a problem: the reason is what the resident reads."""
    reason = _reason(reason, _("请写明不予受理的原因（反映人会看到）。"))
    return _move(
        order,
        "reject",
        actor,
        note=reason,
        changes={"reject_reason": reason, "closed_at": lambda o, now: now},
        tell=[order.reporter_id],
        notice=_words(order, _("不予受理：%(reason)s") % {"reason": reason}),
    )


def order_merge(*, order: WorkOrder, target: WorkOrder, actor: Actor) -> WorkOrder:
    """A duplicate: closed into an open order of the same estate and category."""
    if (
        target.pk == order.pk
        or target.estate_id != order.estate_id
        or target.category_id != order.category_id
        or target.status not in OPEN_STATUSES
    ):
        raise DomainError(_("只能合并到同一小区、同一类别、尚未办结的工单。"), code="merge_target")
    with transaction.atomic():
        done = _move(
            order,
            "merge",
            actor,
            note=_("并入工单 #%(pk)s") % {"pk": target.pk},
            changes={"merged_into": target, "closed_at": lambda o, now: now},
            tell=[order.reporter_id],
            notice=_words(order, _("与工单 #%(pk)s 是同一问题，合并处理。") % {"pk": target.pk}),
        )
        target = WorkOrder.objects.select_for_update().get(pk=target.pk)
        if target.status not in OPEN_STATUSES:
            raise DomainError(_("只能合并到尚未办结的工单。"), code="merge_target")
        _event(
            target,
            "merged_in",
            actor,
            timezone.now(),
            from_status=target.status,
            note=_("工单 #%(pk)s 并入") % {"pk": order.pk},
        )
    return done


def order_rate(*, order: WorkOrder, actor: Actor, rating: int, comment: str = "") -> WorkOrder:
    """The reporter's rating of the result (1–5), once, after confirming."""
    comment = (comment or "").strip()
    if rating not in range(1, 6):
        raise DomainError(_("评价请选 1 到 5 星。"), code="rating")
    if len(comment) > REASON_MAX:
        raise DomainError(_("评价意见太长了，最多 500 字。"), code="comment")
    now = timezone.now()
    with transaction.atomic():
        current = WorkOrder.objects.select_for_update().get(pk=order.pk)
        if current.reporter_id is None or current.reporter_id != actor.pk:
            raise DomainError(_("只有反映人可以评价。"), code="not_reporter")
        if current.status != OrderStatus.CONFIRMED or current.rating is not None:
            raise DomainError(_("确认解决后可以评价一次。"), code="rating_state")
        current.rating, current.rating_comment = rating, comment
        current.save(update_fields=["rating", "rating_comment"])
        _event(
            current, "rated", actor, now, from_status=current.status, note=f"{rating}★ {comment}"
        )
        _notify(
            [*_party_users(current.estate, current.party), current.assignee_id],
            current,
            _("工单 #%(pk)s 获评 %(n)s 星。") % {"pk": current.pk, "n": rating},
            now,
        )
        audit_record(
            actor=actor, action="stewardship.order_rate", obj=current, after={"rating": rating}
        )
    return current


def notices_read(*, user: Actor, now: dt.datetime | None = None) -> int:
    """Mark the user's unread notices read; how many."""
    return Notice.objects.filter(user=user, read_at=None).update(read_at=now or timezone.now())


# --- the escalation sweep ---------------------------------------------------------------------

_OPEN_SQL = ", ".join(f"'{s}'" for s in sorted(OPEN_STATUSES))
_SWEEP_LOCK = 7_310_311  # the advisory lock that serialises sweeps on PostgreSQL


def escalation_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate every open order past due: one party up (at the housing bureau, marked
    overdue without moving), a new deadline of its category's hours from ``now``, an event
    row and notices for each. Returns how many orders were escalated and how many marked
    overdue at the top.

    Done in bulk — one INSERT of events, one of notices per notified user, one UPDATE — and
    idempotent: the new deadlines lie after ``now``, so a second sweep at the same time finds
    nothing, sweeps are serialised (an advisory lock on PostgreSQL, SQLite's single writer),
    and the unique constraint on (order, party) of "escalated" events holds besides.
    """
    now = now or timezone.now()
    calendar = working_calendar()
    dues = {
        c.pk: calendar.due(now, c.hours, clock=c.clock).at for c in WorkOrderCategory.objects.all()
    }
    sql = _Sql(now, dues)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SWEEP_LOCK])
        overdue = WorkOrder.objects.filter(
            party=flow.TOP, status__in=OPEN_STATUSES, due_at__lt=now
        ).count()
        # Estates whose count of escalated orders grows: an order escalated for the first time.
        first_time = set(
            WorkOrder.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now, escalations=0)
            .exclude(party=flow.TOP)
            .values_list("estate_id", flat=True)
            .distinct()
        )
        _sweep_events(sql)
        _sweep_notices(sql, now)
        moved = _sweep_update(sql)
        figures.changed(first_time, "orders")
    return {"escalated": moved - overdue, "overdue": overdue}


class _Sql:
    """The pieces of the sweep's statements (table names, CASE expressions, parameters)."""

    def __init__(self, now: dt.datetime, dues: dict[int, dt.datetime]) -> None:
        self.now = now
        self.at = connection.ops.adapt_datetimefield_value(now)
        self.orders = WorkOrder._meta.db_table
        self.events = WorkOrderEvent._meta.db_table
        self.notices = Notice._meta.db_table
        self.dues = [(pk, connection.ops.adapt_datetimefield_value(at)) for pk, at in dues.items()]

    @staticmethod
    def next_party() -> str:
        """The party one step up; the top stays where it is."""
        whens = " ".join(f"WHEN '{low}' THEN '{high}'" for low, high in flow.NEXT.items())
        return f"CASE party {whens} ELSE party END"

    def new_due(self) -> tuple[str, list[Any]]:
        if not self.dues:
            return "due_at", []
        whens = " ".join("WHEN %s THEN %s" for _pk in self.dues)
        return f"CASE category_id {whens} ELSE due_at END", [v for pair in self.dues for v in pair]

    @staticmethod
    def notes() -> tuple[str, list[str]]:
        texts = [
            _("逾期未办结，由“%(from)s”升级至“%(to)s”")
            % {"from": Party(low).label, "to": Party(high).label}
            for low, high in flow.NEXT.items()
        ]
        whens = " ".join(f"WHEN '{low}' THEN %s" for low in flow.NEXT)
        return f"CASE party {whens} ELSE %s END", [*texts, _("住建部门督办中，仍已逾期")]

    @staticmethod
    def where(alias: str = "", parties: str = "") -> str:
        """Open and past due (at the given parties, or any)."""
        a = f"{alias}." if alias else ""
        at = f"{a}party IN ({parties}) AND " if parties else ""
        return f"{at}{a}status IN ({_OPEN_SQL}) AND {a}due_at < %s"


def _sweep_events(sql: _Sql) -> None:
    """An "escalated" event (to the next party) for every order below the top, an "overdue"
    one for those at the top, in one INSERT … SELECT."""
    notes, note_params = sql.notes()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {sql.events} (order_id, kind, from_status, to_status, party, note, at)"
            f" SELECT id, CASE party WHEN '{flow.TOP}' THEN 'overdue' ELSE 'escalated' END,"
            f" status, status, {sql.next_party()}, {notes}, %s"
            f" FROM {sql.orders} WHERE {sql.where()} ON CONFLICT DO NOTHING",
            [*note_params, sql.at, sql.at],
        )


def _many_escalated(n: int, party: str) -> str:
    return ngettext(
        "%(n)d 件工单逾期未办结，已升级由您督办（%(party)s）。",
        "%(n)d 件工单逾期未办结，已升级由您督办（%(party)s）。",
        n,
    ) % {"n": n, "party": Party(party).label}


def _many_overdue(n: int, party: str) -> str:
    return ngettext(
        "%(n)d 件住建部门督办的工单仍已逾期。", "%(n)d 件住建部门督办的工单仍已逾期。", n
    ) % {"n": n}


def _sweep_notices(sql: _Sql, now: dt.datetime) -> None:
    """The users of each order's new party are told; at the top, that it is still overdue."""
    candidates = WorkOrder.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    tell = [
        _Tell(
            high,
            _("工单逾期未办结，已升级由您督办（%(party)s）。") % {"party": Party(high).label},
            _many_escalated,
            [low for low, up in flow.NEXT.items() if up == high],
        )
        for high in dict.fromkeys(flow.NEXT.values())
    ]
    tell.append(_Tell(flow.TOP, _("住建部门督办的工单仍已逾期。"), _many_overdue, [flow.TOP]))
    _bulk_notify(sql, candidates, tell)


def _sweep_update(sql: _Sql) -> int:
    """Every order past due one party up (the top stays), with its new deadline."""
    new_due, due_params = sql.new_due()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {sql.orders} SET party = {sql.next_party()},"
            f" escalations = escalations + CASE party WHEN '{flow.TOP}' THEN 0 ELSE 1 END,"
            f" due_at = {new_due} WHERE {sql.where()}",
            [*due_params, sql.at],
        )
        return cursor.rowcount


@dataclass(frozen=True)
class _Tell:
    """Whom the sweep tells (a party), what about one order and about many, and the parties
    the orders concerned stand with before the sweep."""

    party: str
    one: str
    many: Callable[[int, str], str]  # the digest's text, of the count and the party told
    sources: list[str]


# More orders than this reaching one user in one sweep make one digest notice, not one each.
DIGEST_OVER = 30


def _bulk_notify(sql: _Sql, candidates: QuerySet[WorkOrder], tell: list[_Tell]) -> None:
    """For each party told: every user of the party in an order's estate gets a notice per
    order — one INSERT … SELECT over the orders of the estates they are notified for (all of
    them, the usual case of a community, street or bureau user, needs no estate filter) — or,
    past ``DIGEST_OVER`` orders, one digest notice with the count (a street officer does not
    read a thousand notices of one sweep; the digest links to the party's open orders)."""
    estate_ids = list(candidates.order_by().values_list("estate_id", flat=True).distinct())
    recipients = {t.party: recipients_by_estate(estate_ids, t.party) for t in tell}
    with connection.cursor() as cursor:
        for t in tell:
            by_user: dict[int, list[int]] = defaultdict(list)
            for estate_id, users in recipients[t.party].items():
                for user_id in users:
                    by_user[user_id].append(estate_id)
            at = ", ".join(f"'{p}'" for p in t.sources)
            for user_id, estates in sorted(by_user.items()):
                wheres = _estate_filters(estates, len(estate_ids))
                count = 0
                for where in wheres:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {sql.orders} o WHERE {sql.where('o', at)}{where}",
                        [sql.at],
                    )
                    count += cursor.fetchone()[0]
                if count > DIGEST_OVER:
                    Notice.objects.create(
                        user_id=user_id,
                        order=None,
                        orders=count,
                        party=t.party,
                        text=t.many(count, t.party)[:300],
                        at=sql.now,
                    )
                    continue
                for where in wheres if count else []:
                    cursor.execute(
                        f"INSERT INTO {sql.notices} (user_id, order_id, orders, party, text, at)"
                        f" SELECT %s, o.id, 1, '', %s, %s FROM {sql.orders} o"
                        f" WHERE {sql.where('o', at)}{where}",
                        [user_id, t.one, sql.at, sql.at],
                    )


def _estate_filters(estates: list[int], everywhere: int) -> list[str]:
    """SQL conditions covering ``estates`` (ids, inlined as integers), a few thousand at a
    time; none when they are all the estates concerned."""
    if len(estates) == everywhere:
        return [""]
    ordered = sorted(estates)
    return [
        f" AND o.estate_id IN ({', '.join(str(int(e)) for e in ordered[i : i + 5_000])})"
        for i in range(0, len(ordered), 5_000)
    ]
