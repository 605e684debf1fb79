"""Writes for the needs app; each validates, writes in one transaction and audits.

Opinions are classified when they are recorded and placed into the estate's demands at once
(``_place``): the new opinions are merged together with the estate's placed ones, using the
stored categories, and join the demand their group already has, or a new one. Placements made
by staff (split, join) are never revisited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import (
    home_dwellings,
    home_estates,
    require_estate,
    visible_dwellings,
    visible_estates,
)
from xiaoqu.core.uploads import check_photo
from xiaoqu.needs import classifier as clf
from xiaoqu.needs import merging
from xiaoqu.needs.models import (
    OPINION_MAX_CHARS,
    Campaign,
    CampaignStatus,
    Channel,
    Correction,
    Demand,
    DemandList,
    DemandListItem,
    DemandSource,
    DemandStatus,
    Opinion,
    Visit,
    VisitOutcome,
)
from xiaoqu.needs.rules import DEMAND_ROLES, OPINION_ROLES, VISIT_ROLES
from xiaoqu.registry.models import Building, Dwelling, Estate

TITLE_CHARS = 60
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


# --- validation helpers -------------------------------------------------------------------


def clean_opinion_text(text: str | None) -> str:
    """The text as stored (stripped), or a DomainError a resident can read."""
    text = (text or "").strip()
    if len(text) > OPINION_MAX_CHARS:
        raise DomainError(
            _("意见最长 %(max)d 字，这条有 %(n)d 字，请分成几条提交。")
            % {"max": OPINION_MAX_CHARS, "n": len(text)},
            code="text_too_long",
        )
    if not clf.normalise(text):
        raise DomainError(
            _("意见内容为空：请用文字写下您的意见（只有表情符号无法处理）。"), code="text_empty"
        )
    return text


def _check_place(
    estate: Estate, building: Building | None, dwelling: Dwelling | None
) -> Building | None:
    if dwelling is not None:
        if dwelling.estate_id != estate.pk:
            raise DomainError(
                _("房屋不在%(estate)s内。") % {"estate": estate.name}, code="dwelling_outside"
            )
        if building is not None and dwelling.building_id != building.pk:
            raise DomainError(_("房屋不在所选楼栋内。"), code="dwelling_outside_building")
        return dwelling.building
    if building is not None and building.estate_id != estate.pk:
        raise DomainError(
            _("楼栋不在%(estate)s内。") % {"estate": estate.name}, code="building_outside"
        )
    return building


def _check_coordinates(latitude: Decimal | None, longitude: Decimal | None) -> None:
    if (latitude is None) != (longitude is None):
        raise DomainError(_("位置需要同时有纬度和经度。"), code="coordinates_partial")
    if (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise DomainError(_("位置坐标超出范围。"), code="coordinates_range")


def _check_heard_on(heard_on: dt.date) -> None:
    if heard_on > timezone.localdate() + dt.timedelta(days=1):
        raise DomainError(_("收集日期不能晚于今天。"), code="date_future")


def _in_scope(actor: Any, estate: Estate, roles: frozenset[str]) -> None:
    require_estate(actor, estate, roles)


# --- opinions -------------------------------------------------------------------------------


@dataclass
class OpinionInput:
    """One opinion before it is stored (the fields every channel shares)."""

    text: str
    heard_on: dt.date | None = None
    building: Building | None = None
    dwelling: Dwelling | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    urgent: bool = False
    photo: UploadedFile | None = None
    client_key: uuid.UUID | None = None
    occasion: str = ""


def _build_opinions(
    *,
    estate: Estate,
    items: Sequence[OpinionInput],
    channel: str,
    recorded_by: Any = None,
    submitted_by: Any = None,
    visit: Visit | None = None,
) -> list[Opinion]:
    if not items:
        return []
    texts = [clean_opinion_text(item.text) for item in items]
    for item in items:
        item.building = _check_place(estate, item.building, item.dwelling)
        _check_coordinates(item.latitude, item.longitude)
        check_photo(item.photo)
    today = timezone.localdate()
    predictions = clf.classify(texts)
    opinions = []
    for item, text, prediction in zip(items, texts, predictions, strict=True):
        heard_on = item.heard_on or today
        _check_heard_on(heard_on)
        opinions.append(
            Opinion(
                client_key=item.client_key or uuid.uuid4(),
                estate=estate,
                building=item.building,
                dwelling=item.dwelling,
                latitude=item.latitude,
                longitude=item.longitude,
                channel=channel,
                occasion=item.occasion[:150],
                visit=visit,
                submitted_by=submitted_by,
                recorded_by=recorded_by,
                text=text,
                heard_on=heard_on,
                category=prediction.code,
                score=prediction.score,
                urgent=item.urgent,
            )
        )
    return opinions


def _save_opinions(opinions: list[Opinion], items: Sequence[OpinionInput]) -> list[Opinion]:
    for opinion, item in zip(opinions, items, strict=True):
        if item.photo is not None:
            opinion.photo.save(item.photo.name or "photo.jpg", item.photo, save=False)
        opinion.save()
    return opinions


def opinions_record(
    *,
    estate: Estate,
    items: Sequence[OpinionInput],
    channel: str,
    actor: Any,
) -> list[Opinion]:
    """Staff record opinions heard through ``channel`` (meeting, hotline, import) in one go.

    All or nothing: one bad opinion (empty, too long, a dwelling outside the estate) refuses
    the whole batch with a message naming it. Opinions heard at a meeting are linked to it by
    the meetings app, which calls this.
    """
    if channel not in (Channel.MEETING, Channel.HOTLINE, Channel.IMPORT):
        raise DomainError(_("渠道不正确。"), code="channel")
    _in_scope(actor, estate, OPINION_ROLES)
    if not items:
        raise DomainError(_("没有可录入的意见。"), code="nothing")
    for n, item in enumerate(items, start=1):
        try:
            clean_opinion_text(item.text)
        except DomainError as error:
            raise DomainError(
                _("第 %(n)d 条：%(msg)s") % {"n": n, "msg": error.message}, code=error.code
            ) from None
    with transaction.atomic():
        opinions = _build_opinions(
            estate=estate, items=items, channel=channel, recorded_by=actor
        )
        _save_opinions(opinions, items)
        _place(estate, opinions)
        audit_record(
            actor=actor,
            action="needs.opinions_record",
            obj=estate,
            after={"channel": channel, "opinions": [o.pk for o in opinions]},
        )
    return opinions


def opinion_submit(
    *,
    user: Any,
    estate: Estate,
    item: OpinionInput,
) -> tuple[Opinion, bool]:
    """A resident's own submission from their phone; (opinion, created).

    Only for an estate where the user owns or lives in a dwelling; a dwelling given must be
    the user's own. Sending again with the same ``client_key`` returns the stored opinion.
    """
    if not home_estates(user).filter(pk=estate.pk).exists():
        raise DomainError(_("您只能为自己居住的小区提意见。"), code="not_resident")
    if (
        item.dwelling is not None
        and not home_dwellings(user).filter(pk=item.dwelling.pk, estate=estate).exists()
    ):
        raise DomainError(_("只能选择您自己的房屋。"), code="dwelling_not_own")
    if item.client_key is not None:
        existing = Opinion.objects.filter(client_key=item.client_key).first()
        if existing is not None:
            if existing.submitted_by_id != user.pk:
                raise DomainError(_("提交编号已被使用。"), code="key_taken")
            return existing, False
    try:
        with transaction.atomic():
            (opinion,) = _build_opinions(
                estate=estate, items=[item], channel=Channel.RESIDENT, submitted_by=user
            )
            _save_opinions([opinion], [item])
            _place(estate, [opinion])
            audit_record(actor=user, action="needs.opinion_submit", obj=opinion)
    except IntegrityError:
        if item.client_key is None:
            raise
        existing = Opinion.objects.filter(client_key=item.client_key).first()
        if existing is None or existing.submitted_by_id != user.pk:
            raise
        return existing, False
    return opinion, True


def opinion_recategorise(*, opinion: Opinion, category: str, actor: Any) -> Opinion:
    """Staff correct an opinion's category; the correction is kept for the next retraining.

    The opinion leaves its demand (unless staff placed it there) and is placed again under
    its new category.
    """
    if category not in clf.category_classes():
        raise DomainError(_("没有这个类别。"), code="category")
    _in_scope(actor, opinion.estate, OPINION_ROLES)
    if category == opinion.category:
        return opinion
    with transaction.atomic():
        old = opinion.category
        Correction.objects.create(
            opinion=opinion, old_category=old, new_category=category, corrected_by=actor
        )
        opinion.category = category
        opinion.category_by_staff = True
        old_demand = opinion.demand
        if not opinion.placed_by_staff:
            opinion.demand = None
        opinion.save(update_fields=["category", "category_by_staff", "demand"])
        if opinion.demand_id is None:
            _place(opinion.estate, [opinion])
        if old_demand is not None:
            _drop_if_empty(old_demand)
        audit_record(
            actor=actor,
            action="needs.opinion_recategorise",
            obj=opinion,
            before={"category": old},
            after={"category": category, "demand": opinion.demand_id},
        )
    return opinion


def corrections_for_training() -> list[tuple[str, str]]:
    """(text, category) of every corrected opinion, its latest correction winning."""
    latest: dict[int, tuple[str, str]] = {}
    rows = Correction.objects.select_related("opinion").order_by("corrected_at", "pk")
    for c in rows.iterator():
        latest[c.opinion_id] = (c.opinion.text, c.new_category)
    return list(latest.values())


# --- placing opinions into demands ----------------------------------------------------------


def _title(text: str) -> str:
    clean = clf.normalise(text)
    return clean if len(clean) <= TITLE_CHARS else clean[: TITLE_CHARS - 1] + "…"


def _place(estate: Estate, new: list[Opinion]) -> None:
    """Put each new opinion into the demand its merge group has, or a new demand."""
    new = [o for o in new if o.demand_id is None]
    if not new:
        return
    # Groups never cross categories, so only placed opinions of the new ones' categories matter.
    placed = list(
        Opinion.objects.filter(
            estate=estate,
            category__in={o.category for o in new},
            demand__isnull=False,
            demand__merged_into__isnull=True,
        ).values_list("text", "category", "demand_id")
    )
    texts = [t for t, _c, _d in placed] + [o.text for o in new]
    codes = [c for _t, c, _d in placed] + [o.category for o in new]
    groups = merging.merge_coded(texts, codes)
    demand_of_group: dict[int, Counter[int]] = {}
    for (_t, _c, demand_id), group in zip(placed, groups, strict=False):
        demand_of_group.setdefault(group, Counter())[demand_id] += 1
    created: dict[int, Demand] = {}
    for opinion, group in zip(new, groups[len(placed) :], strict=True):
        votes = demand_of_group.get(group)
        if votes:
            opinion.demand_id = votes.most_common(1)[0][0]
        else:
            if group not in created:
                created[group] = Demand.objects.create(
                    estate=estate, category=opinion.category, title=_title(opinion.text)
                )
            opinion.demand = created[group]
    Opinion.objects.bulk_update(new, ["demand"])


def _drop_if_empty(demand: Demand) -> None:
    """A demand made from opinions that has none left and was never published goes away."""
    if (
        demand.source == DemandSource.OPINIONS
        and not demand.opinions.exists()
        and not demand.list_items.exists()
    ):
        demand.delete()


# --- demands ----------------------------------------------------------------------------------


def _demand_snapshot(demand: Demand) -> dict[str, Any]:
    return {
        "title": demand.title,
        "category": demand.category,
        "status": demand.status,
        "declined_reason": demand.declined_reason,
        "urgent": demand.urgent,
    }


def demand_update(
    *, demand: Demand, actor: Any, title: str | None = None, urgent: bool | None = None
) -> Demand:
    """Rename a demand (the words residents will read) or mark it urgent."""
    _in_scope(actor, demand.estate, DEMAND_ROLES)
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


def demand_set_status(*, demand: Demand, status: str, actor: Any, reason: str = "") -> Demand:
    """Move a demand along collected → assessed → planned → done, or decline it with a reason."""
    _in_scope(actor, demand.estate, DEMAND_ROLES)
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
        audit_record(
            actor=actor,
            action="needs.demand_set_status",
            obj=locked,
            before=before,
            after=_demand_snapshot(locked),
        )
    return locked


def demand_split(*, demand: Demand, opinion_ids: Iterable[int], actor: Any) -> Demand:
    """Move the given opinions of a demand into a new demand (staff say they ask another thing)."""
    _in_scope(actor, demand.estate, DEMAND_ROLES)
    ids = sorted(set(opinion_ids))
    if not ids:
        raise DomainError(_("请选择要拆出的意见。"), code="nothing")
    with transaction.atomic():
        opinions = list(Opinion.objects.select_for_update().filter(demand=demand, pk__in=ids))
        if len(opinions) != len(ids):
            raise DomainError(_("所选意见不属于这条需求。"), code="not_in_demand")
        if len(opinions) == demand.opinions.count():
            raise DomainError(_("不能拆出全部意见：至少留下一条。"), code="split_all")
        first = min(opinions, key=lambda o: (o.heard_on, o.pk))
        categories = Counter(o.category for o in opinions)
        new = Demand.objects.create(
            estate=demand.estate,
            category=categories.most_common(1)[0][0],
            title=_title(first.text),
        )
        Opinion.objects.filter(pk__in=ids).update(demand=new, placed_by_staff=True)
        audit_record(
            actor=actor,
            action="needs.demand_split",
            obj=demand,
            after={"new_demand": new.pk, "opinions": ids},
        )
    return new


def demand_join(*, target: Demand, others: Iterable[Demand], actor: Any) -> Demand:
    """Join demands into ``target`` (staff say they ask the same thing)."""
    _in_scope(actor, target.estate, DEMAND_ROLES)
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
        audit_record(actor=actor, action="needs.demand_join", obj=target, after={"joined": ids})
    return target


def demand_create(
    *,
    estate: Estate,
    category: str,
    title: str,
    actor: Any,
    source: str = DemandSource.STAFF,
) -> Demand:
    """A demand not raised by opinions: a safety duty staff add, or a life-circle gap."""
    _in_scope(actor, estate, DEMAND_ROLES)
    if category not in clf.category_classes():
        raise DomainError(_("没有这个类别。"), code="category")
    title = title.strip()
    if not title or len(title) > 200:
        raise DomainError(_("需求名称不能为空，最长 200 字。"), code="title")
    with transaction.atomic():
        demand = Demand.objects.create(estate=estate, category=category, title=title, source=source)
        audit_record(actor=actor, action="needs.demand_create", obj=demand)
    return demand


def demand_list_publish(*, estate: Estate, actor: Any, note: str = "") -> DemandList:
    """Freeze the estate's current demands as the next version of its demand list."""
    from xiaoqu.needs.selectors import demand_rows

    _in_scope(actor, estate, DEMAND_ROLES)
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


# --- campaigns and visits -----------------------------------------------------------------


def campaign_create(
    *,
    name: str,
    estates: Sequence[Estate],
    starts_on: dt.date,
    ends_on: dt.date,
    actor: Any,
) -> Campaign:
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError(_("活动名称不能为空，最长 100 字。"), code="name")
    if not estates:
        raise DomainError(_("请至少选择一个小区。"), code="no_estates")
    if ends_on < starts_on:
        raise DomainError(_("结束日期不能早于开始日期。"), code="dates")
    allowed = set(
        visible_estates(actor, DEMAND_ROLES)
        .filter(pk__in=[e.pk for e in estates])
        .values_list("pk", flat=True)
    )
    if len(allowed) != len({e.pk for e in estates}):
        raise DomainError(_("所选小区有的不在您的工作范围内。"), code="out_of_scope")
    status = CampaignStatus.ACTIVE if starts_on <= timezone.localdate() else CampaignStatus.PLANNED
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name, starts_on=starts_on, ends_on=ends_on, status=status, created_by=actor
        )
        campaign.estates.set(estates)
        audit_record(
            actor=actor,
            action="needs.campaign_create",
            obj=campaign,
            after={"name": name, "estates": sorted(allowed)},
        )
    return campaign


def campaign_set_status(*, campaign: Campaign, status: str, actor: Any) -> Campaign:
    if status not in CampaignStatus.values:
        raise DomainError(_("状态不正确。"), code="status")
    estate_ids = list(campaign.estates.values_list("pk", flat=True))
    if visible_estates(actor, DEMAND_ROLES).filter(pk__in=estate_ids).count() != len(estate_ids):
        raise DomainError(_("这个活动有小区不在您的工作范围内。"), code="out_of_scope")
    with transaction.atomic():
        before = campaign.status
        campaign.status = status
        campaign.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="needs.campaign_set_status",
            obj=campaign,
            before={"status": before},
            after={"status": status},
        )
    return campaign


@dataclass
class VisitResult:
    visit: Visit
    created: bool


def visit_record(
    *,
    client_key: uuid.UUID,
    dwelling: Dwelling,
    visitor: Any,
    visited_at: dt.datetime,
    outcome: str,
    opinions: Sequence[OpinionInput] = (),
    people_met: int = 0,
    note: str = "",
    photo: UploadedFile | None = None,
    campaign: Campaign | None = None,
) -> VisitResult:
    """Store one door-knock with the opinions heard; idempotent by ``client_key``.

    A phone that lost the answer sends the same visit again with the same key: the stored
    visit is returned and nothing is written twice (also when two resends race: the unique
    key decides).
    """
    existing = Visit.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.visitor_id != visitor.pk:
            raise DomainError(_("提交编号已被使用。"), code="key_taken")
        return VisitResult(existing, False)
    if not visible_dwellings(visitor, VISIT_ROLES).filter(pk=dwelling.pk).exists():
        raise DomainError(_("这户不在您的走访范围内。"), code="out_of_scope")
    if outcome not in VisitOutcome.values:
        raise DomainError(_("走访结果不正确。"), code="outcome")
    if outcome != VisitOutcome.MET and opinions:
        raise DomainError(_("没见到住户时不能记录意见。"), code="opinions_without_meeting")
    if outcome == VisitOutcome.MET and people_met < 1:
        people_met = 1
    if not 0 <= people_met <= 50:
        raise DomainError(_("见到人数应在 0 到 50 之间。"), code="people_met")
    if len(note) > 500:
        raise DomainError(_("备注最长 500 字。"), code="note_long")
    if visited_at > timezone.now() + dt.timedelta(minutes=10):
        raise DomainError(_("走访时间不能晚于现在。"), code="time_future")
    if campaign is not None:
        if not campaign.estates.filter(pk=dwelling.estate_id).exists():
            raise DomainError(_("这户所在小区不在本次走访活动内。"), code="campaign_estate")
        if campaign.status == CampaignStatus.CLOSED:
            raise DomainError(_("走访活动已结束。"), code="campaign_closed")
    check_photo(photo)
    estate = dwelling.estate
    visit_day = timezone.localtime(visited_at).date()
    items = []
    for i, item in enumerate(opinions):
        item.dwelling = dwelling
        item.heard_on = visit_day
        # Derived keys, so the opinions of a resent visit are the same opinions.
        item.client_key = uuid.uuid5(client_key, str(i))
        items.append(item)
    try:
        with transaction.atomic():
            visit = Visit(
                client_key=client_key,
                campaign=campaign,
                estate=estate,
                dwelling=dwelling,
                visitor=visitor,
                visited_at=visited_at,
                outcome=outcome,
                people_met=people_met if outcome == VisitOutcome.MET else 0,
                note=note.strip(),
            )
            if photo is not None:
                visit.photo.save(photo.name or "visit.jpg", photo, save=False)
            visit.save()
            built = _build_opinions(
                estate=estate, items=items, channel=Channel.VISIT, recorded_by=visitor, visit=visit
            )
            _save_opinions(built, items)
            _place(estate, built)
            audit_record(
                actor=visitor,
                action="needs.visit_record",
                obj=visit,
                after={"outcome": outcome, "opinions": len(built)},
            )
    except IntegrityError:
        existing = Visit.objects.filter(client_key=client_key).first()
        if existing is None or existing.visitor_id != visitor.pk:
            raise
        return VisitResult(existing, False)
    return VisitResult(visit, True)


# --- spreadsheet import (opinions part) ---


def opinions_import(
    *, estate: Estate, upload: UploadedFile, actor: Any, buildings: Iterable[Building] | None = None
) -> list[Opinion]:
    """Store every opinion of an uploaded spreadsheet, or none (see ``needs.importing``).

    Raises ``OpinionFileRefused`` or ``OpinionRowsRefused`` (both DomainErrors) and stores
    nothing when the file or any row is wrong.
    """
    from xiaoqu.needs.importing import read_opinion_file

    _in_scope(actor, estate, OPINION_ROLES)
    items = read_opinion_file(upload, estate=estate, buildings=buildings)
    return opinions_record(estate=estate, items=items, channel=Channel.IMPORT, actor=actor)
