"""Writes for demands: rename, move along the statuses, split, join (also when merging
suggested it), add, publish the list.

Every service checks that the actor holds ``needs.manage_demands`` for the demand (or the
estate), a split also ``needs.read_opinions`` for the opinions it moves, and writes an audit
row in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core import figures
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.needs import classifier as clf
from xiaoqu.needs.models import (
    Demand,
    DemandList,
    DemandListItem,
    DemandSource,
    DemandStatus,
    JoinDismissal,
    Opinion,
)
from xiaoqu.needs.notices import demand_status_notify
from xiaoqu.needs.rules import MANAGE_DEMANDS, READ_OPINIONS
from xiaoqu.needs.selectors import demand_rows
from xiaoqu.needs.services.placing import demand_title
from xiaoqu.registry.models import Estate

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User

# Statuses a demand may move to from each status (declined needs a reason; any status may be
# reopened to "collected" when residents ask again or a decision is reversed).
TRANSITIONS: dict[str, frozenset[str]] = {
    DemandStatus.COLLECTED: frozenset({DemandStatus.ASSESSED, DemandStatus.DECLINED}),
    DemandStatus.ASSESSED: frozenset(
        {DemandStatus.PLANNED, DemandStatus.DECLINED, DemandStatus.COLLECTED}
    ),
    DemandStatus.PLANNED: frozenset(
        {DemandStatus.DONE, DemandStatus.DECLINED, DemandStatus.ASSESSED}
    ),
    DemandStatus.DONE: frozenset({DemandStatus.PLANNED}),
    DemandStatus.DECLINED: frozenset({DemandStatus.COLLECTED}),
}


def _demand_snapshot(demand: Demand) -> dict[str, Any]:
    return {
        "title": demand.title,
        "category": demand.category,
        "status": demand.status,
        "declined_reason": demand.declined_reason,
        "urgent": demand.urgent,
    }


def demand_update(
    *, demand: Demand, actor: User, title: str | None = None, urgent: bool | None = None
) -> Demand:
    """Rename a demand (the words residents will read) or mark it urgent."""
    MANAGE_DEMANDS.require(actor, demand)
    before = _demand_snapshot(demand)
    if title is not None:
        title = title.strip()
        if not title:
            raise DomainError(_("需求名称不能为空。"), code="title_empty")
        if len(title) > 200:
            raise DomainError(_("需求名称最长 200 字。"), code="title_long")
        demand.title = title
    if urgent is not None:
        demand.urgent = urgent
    with transaction.atomic():
        demand.save()
        audit_record(
            actor=actor,
            action="needs.demand_update",
            obj=demand,
            before=before,
            after=_demand_snapshot(demand),
        )
    return demand


def demand_set_status(*, demand: Demand, status: str, actor: User, reason: str = "") -> Demand:
    """Move a demand along collected → assessed → planned → done, or decline it with a reason."""
    MANAGE_DEMANDS.require(actor, demand)
    if status not in DemandStatus.values:
        raise DomainError(_("状态不正确。"), code="status")
    if demand.merged_into_id is not None:
        raise DomainError(_("这条需求已并入其他需求。"), code="merged")
    with transaction.atomic():
        locked = Demand.objects.select_for_update().get(pk=demand.pk)
        if status not in TRANSITIONS[locked.status]:
            raise DomainError(
                _("需求不能从“%(a)s”改为“%(b)s”。")
                % {"a": locked.get_status_display(), "b": DemandStatus(status).label},
                code="transition",
            )
        reason = reason.strip()
        if status == DemandStatus.DECLINED and not reason:
            raise DomainError(
                _("暂不实施需要写明原因，居民会在公示中看到。"), code="reason_required"
            )
        if len(reason) > 500:
            raise DomainError(_("原因最长 500 字。"), code="reason_long")
        before = _demand_snapshot(locked)
        locked.status = status
        locked.declined_reason = reason if status == DemandStatus.DECLINED else ""
        locked.save(update_fields=["status", "declined_reason", "updated_at"])
        event = audit_record(
            actor=actor,
            action="needs.demand_set_status",
            obj=locked,
            before=before,
            after=_demand_snapshot(locked),
        )
        demand_status_notify(demand=locked, event_id=event.pk, now=event.at)
    return locked


def demand_split(*, demand: Demand, opinion_ids: Iterable[int], actor: User) -> Demand:
    """Move the given opinions of a demand into a new demand (staff say they ask another thing).

    Only opinions the actor reads may be moved (a manager whose reading scope is a grid's
    buildings manages the estate's demands); any other is refused like an opinion of another
    demand.
    """
    MANAGE_DEMANDS.require(actor, demand)
    ids = sorted(set(opinion_ids))
    if not ids:
        raise DomainError(_("请选择要拆出的意见。"), code="nothing")
    with transaction.atomic():
        opinions = list(Opinion.objects.select_for_update().filter(demand=demand, pk__in=ids))
        readable = READ_OPINIONS.scoped(actor, Opinion.objects.filter(pk__in=ids)).count()
        if len(opinions) != len(ids) or readable != len(ids):
            raise DomainError(_("所选意见不属于这条需求。"), code="not_in_demand")
        if len(opinions) == demand.opinions.count():
            raise DomainError(_("不能拆出全部意见：至少留下一条。"), code="split_all")
        first = min(opinions, key=lambda o: (o.heard_on, o.pk))
        categories = Counter(o.category for o in opinions)
        new = Demand.objects.create(
            estate=demand.estate,
            category=categories.most_common(1)[0][0],
            title=demand_title(first.text),
        )
        Opinion.objects.filter(pk__in=ids).update(demand=new, placed_by_staff=True)
        audit_record(
            actor=actor,
            action="needs.demand_split",
            obj=demand,
            after={"new_demand": new.pk, "opinions": ids},
        )
    return new


def demand_join(*, target: Demand, others: Iterable[Demand], actor: User) -> Demand:
    """Join demands into ``target`` (staff say they ask the same thing)."""
    MANAGE_DEMANDS.require(actor, target)
    others = [d for d in others if d.pk != target.pk]
    if not others:
        raise DomainError(_("请至少选择两条需求合并。"), code="nothing")
    if any(d.estate_id != target.estate_id for d in others):
        raise DomainError(_("只能合并同一小区的需求。"), code="estate")
    if target.merged_into_id is not None or any(d.merged_into_id for d in others):
        raise DomainError(_("所选需求已并入其他需求。"), code="merged")
    with transaction.atomic():
        ids = [d.pk for d in others]
        Opinion.objects.filter(demand_id__in=ids).update(demand=target, placed_by_staff=True)
        for d in others:
            if d.list_items.exists() or d.source != DemandSource.OPINIONS:
                Demand.objects.filter(pk=d.pk).update(merged_into=target)
            else:
                d.delete()
        figures.changed([target.estate_id], "needs")
        audit_record(actor=actor, action="needs.demand_join", obj=target, after={"joined": ids})
    return target


def _suggested_pair(demand: Demand, other: Demand) -> tuple[Demand, Demand]:
    """The two demands of a suggestion, lower id first; a DomainError unless both are live
    demands of one estate."""
    if demand.pk == other.pk:
        raise DomainError(_("请选择两条不同的需求。"), code="same")
    if demand.estate_id != other.estate_id:
        raise DomainError(_("只能合并同一小区的需求。"), code="estate")
    if demand.merged_into_id is not None or other.merged_into_id is not None:
        raise DomainError(_("所选需求已并入其他需求。"), code="merged")
    return (demand, other) if demand.pk < other.pk else (other, demand)


def demand_suggestion_accept(*, demand: Demand, other: Demand, actor: User) -> Demand:
    """Staff agree that two suggested demands ask for the same thing: they are joined (by
    ``demand_join``, with its checks and audit) into the one with more opinions, the older on
    a tie."""
    first, second = _suggested_pair(demand, other)
    MANAGE_DEMANDS.require(actor, first)
    counts = Counter(
        Opinion.objects.filter(demand__in=[first, second]).values_list("demand_id", flat=True)
    )
    target, joined = (second, first) if counts[second.pk] > counts[first.pk] else (first, second)
    return demand_join(target=target, others=[joined], actor=actor)


def demand_suggestion_dismiss(*, demand: Demand, other: Demand, actor: User) -> JoinDismissal:
    """Staff say two suggested demands ask for different things: the pair is not suggested
    again."""
    first, second = _suggested_pair(demand, other)
    MANAGE_DEMANDS.require(actor, first)
    with transaction.atomic():
        dismissal, created = JoinDismissal.objects.get_or_create(
            first=first,
            second=second,
            defaults={"estate_id": first.estate_id, "dismissed_by": actor},
        )
        if created:
            audit_record(
                actor=actor,
                action="needs.demand_suggestion_dismiss",
                obj=first,
                after={"other": second.pk},
            )
    return dismissal


def demand_create(
    *,
    estate: Estate,
    category: str,
    title: str,
    actor: User,
    source: str = DemandSource.STAFF,
) -> Demand:
    """A demand not raised by opinions: a safety duty staff add, or a life-circle gap."""
    MANAGE_DEMANDS.require(actor, estate)
    if category not in clf.category_classes():
        raise DomainError(_("没有这个类别。"), code="category")
    title = title.strip()
    if not title or len(title) > 200:
        raise DomainError(_("需求名称不能为空，最长 200 字。"), code="title")
    with transaction.atomic():
        demand = Demand.objects.create(estate=estate, category=category, title=title, source=source)
        audit_record(actor=actor, action="needs.demand_create", obj=demand)
    return demand


def demand_list_publish(*, estate: Estate, actor: User, note: str = "") -> DemandList:
    """Freeze the estate's current demands as the next version of its demand list."""
    MANAGE_DEMANDS.require(actor, estate)
    if len(note) > 500:
        raise DomainError(_("说明最长 500 字。"), code="note_long")
    with transaction.atomic():
        Estate.objects.select_for_update().filter(pk=estate.pk).first()
        rows = demand_rows(estate=estate)
        if not rows.items:
            raise DomainError(_("还没有任何需求，不能发布清单。"), code="empty_list")
        last = DemandList.objects.filter(estate=estate).aggregate(v=Max("version"))["v"] or 0
        demand_list = DemandList.objects.create(
            estate=estate,
            version=last + 1,
            households=rows.households,
            opinions=sum(r.opinions for r in rows.items),
            note=note.strip(),
            published_at=timezone.now(),
            published_by=actor,
        )
        DemandListItem.objects.bulk_create(
            DemandListItem(
                demand_list=demand_list,
                demand_id=r.demand_id,
                rank=rank,
                title=r.title,
                category=r.category,
                klass=r.klass,
                households=r.households,
                share=r.share,
                opinions=r.opinions,
                first_heard=r.first_heard,
                last_heard=r.last_heard,
                priority=r.priority,
                status=r.status,
                declined_reason=r.declined_reason,
            )
            for rank, r in enumerate(rows.items, start=1)
        )
        audit_record(
            actor=actor,
            action="needs.demand_list_publish",
            obj=demand_list,
            after={"version": demand_list.version, "items": len(rows.items)},
        )
    return demand_list
