"""Writes for renovation plans: versions, items and their funding, demands left out with a
reason, the meetings that discussed a plan, the residents' consultation, publication.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoqu.accounts.models import User
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.rates import RateLimited, rate_setting, wait_needed, wait_text
from xiaoqu.decisions import selectors
from xiaoqu.decisions.models import (
    FUNDING_SOURCES,
    Plan,
    PlanComment,
    PlanExclusion,
    PlanItem,
    PlanStatus,
)
from xiaoqu.decisions.rules import COMMENT_ON_PLANS, MANAGE_PLANS
from xiaoqu.decisions.services.notices import plan_consultation_notify
from xiaoqu.meetings.models import Meeting
from xiaoqu.needs import classifier
from xiaoqu.needs import services as needs_services
from xiaoqu.needs.models import Demand, DemandClass, DemandStatus
from xiaoqu.registry.importing import values
from xiaoqu.registry.models import Estate

# An item's numbers as its columns hold them: a quantity of max_digits=12, decimal_places=2,
# and amounts in yuan bounded alike (at most 9,999,999,999.99 yuan, stored in fen).
PLACES, DIGITS = 2, 12


def _check_editable(plan: Plan) -> None:
    if plan.status == PlanStatus.PUBLISHED:
        raise DomainError(_("已公布的方案不能修改，请新建一版。"), code="published")


def plan_create(*, estate: Estate, title: str, actor: User) -> Plan:
    """The next version of the estate's plan: a copy of the last version's items, exclusions."""
    MANAGE_PLANS.require(actor, estate)
    title = title.strip()
    if not title or len(title) > 200:
        raise DomainError(_("方案名称不能为空，最长 200 字。"), code="title")
    with transaction.atomic():
        Estate.objects.select_for_update().filter(pk=estate.pk).first()
        last = Plan.objects.filter(estate=estate).order_by("-version").first()
        plan = Plan.objects.create(
            estate=estate,
            version=(last.version + 1) if last else 1,
            title=title,
            created_by=actor,
        )
        if last is not None:
            for item in last.items.all():
                item.pk = None
                item.plan = plan
                item.save()
            PlanExclusion.objects.bulk_create(
                PlanExclusion(plan=plan, demand_id=e.demand_id, reason=e.reason)
                for e in last.exclusions.all()
            )
        audit_record(
            actor=actor, action="decisions.plan_create", obj=plan, after={"version": plan.version}
        )
    return plan


# --- items -----------------------------------------------------------------------------------


def _bounded(value: object, label: str, *, positive: bool, code: str) -> Decimal:
    """A finite number of at most ``DIGITS`` digits and ``PLACES`` places, or a message."""
    try:
        return values.decimal(str(value).strip(), PLACES, DIGITS, positive=positive)
    except values.Bad as bad:
        raise DomainError(
            _("%(f)s：%(why)s。") % {"f": label, "why": str(bad)}, code=code
        ) from None


def _fen(value: object, label: str) -> int:
    """An amount in yuan (at most two decimals, not negative) as integer fen."""
    yuan = _bounded(value, label, positive=False, code="money")
    if yuan < 0:
        raise DomainError(_("%(f)s应为不小于 0、最多两位小数的金额。") % {"f": label}, code="money")
    return int(yuan * 100)


def _item_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > 200:
        raise DomainError(_("改造内容不能为空，最长 200 字。"), code="title")
    return title


def _item_class(plan: Plan, demand: Demand | None, reason: str, klass: str) -> str:
    """An item answers a live demand of the estate, once, and takes its class; any other item
    states why it is done (a safety duty) and its class."""
    if demand is not None:
        if demand.estate_id != plan.estate_id or demand.merged_into_id is not None:
            raise DomainError(_("需求不属于这个小区。"), code="demand_estate")
        if plan.items.filter(demand=demand).exists():
            raise DomainError(_("这条需求已在方案中。"), code="demand_twice")
        return classifier.category_classes().get(demand.category, DemandClass.MANAGE)
    if not reason:
        raise DomainError(
            _("不是来自需求清单的条目须写明列入理由（如安全隐患整治）。"), code="reason_required"
        )
    if klass not in DemandClass.values:
        raise DomainError(_("请选择改造分类。"), code="klass")
    return klass


def _item_measure(quantity: Decimal, unit: str) -> tuple[Decimal, str]:
    """A positive quantity the column holds, and its unit."""
    unit = unit.strip()
    if not unit or len(unit) > 16:
        raise DomainError(_("请填写单位（如 m²、处、台）。"), code="unit")
    if quantity is None:
        raise DomainError(_("数量应大于 0。"), code="quantity")
    return _bounded(quantity, _("数量"), positive=True, code="quantity"), unit


def _funding_fen(funding_yuan: dict[str, Decimal], cost: int) -> dict[str, int]:
    """The funding split in fen by source; it must add up to the cost."""
    names = {
        "central": _("中央补助"),
        "local": _("地方财政"),
        "owners": _("居民出资"),
        "utilities": _("管线单位"),
        "other": _("其他"),
    }
    if set(funding_yuan) - set(names):
        raise DomainError(_("资金来源不正确。"), code="funding")
    funds = {k: _fen(funding_yuan.get(k, 0), names[k]) for k in FUNDING_SOURCES}
    if sum(funds.values()) != cost:
        raise DomainError(
            _("资金来源合计 %(sum)s 元，与估算造价 %(cost)s 元不符。")
            % {"sum": Decimal(sum(funds.values())) / 100, "cost": Decimal(cost) / 100},
            code="funding_sum",
        )
    return funds


def _checked_item(
    plan: Plan,
    demand: Demand | None,
    *,
    title: str,
    quantity: Decimal,
    unit: str,
    reason: str,
    klass: str,
) -> PlanItem:
    """An unsaved item of the plan from checked fields (its cost and funding come apart)."""
    title, reason = _item_title(title), reason.strip()
    klass = _item_class(plan, demand, reason, klass)
    if len(reason) > 500:
        raise DomainError(_("理由最长 500 字。"), code="reason_long")
    quantity, unit = _item_measure(quantity, unit)
    return PlanItem(
        plan=plan,
        demand=demand,
        reason=reason,
        title=title,
        klass=klass,
        quantity=quantity,
        unit=unit,
    )


def plan_item_add(
    *,
    plan: Plan,
    actor: User,
    title: str,
    quantity: Decimal,
    unit: str,
    cost_yuan: Decimal,
    funding_yuan: dict[str, Decimal],
    demand: Demand | None = None,
    reason: str = "",
    klass: str = "",
) -> PlanItem:
    """Add an item: answering a demand of the estate, or with a stated reason (a safety duty).

    ``funding_yuan`` maps central, local, owners, utilities, other to yuan; it must add up to
    the estimated cost.
    """
    MANAGE_PLANS.require(actor, plan)
    _check_editable(plan)
    item = _checked_item(
        plan, demand, title=title, quantity=quantity, unit=unit, reason=reason, klass=klass
    )
    item.cost_fen = _fen(cost_yuan, _("估算造价"))
    for source, fen in _funding_fen(funding_yuan, item.cost_fen).items():
        setattr(item, f"fund_{source}_fen", fen)
    after = {"plan": plan.pk, "demand": demand.pk if demand else None, "cost_fen": item.cost_fen}
    with transaction.atomic():
        item.save()
        if demand is not None:
            PlanExclusion.objects.filter(plan=plan, demand=demand).delete()
        audit_record(actor=actor, action="decisions.plan_item_add", obj=item, after=after)
    return item


@dataclass
class NewItem:
    """One item of a batch: a demand of the list and what is done for it."""

    demand: Demand
    title: str
    quantity: Decimal
    unit: str
    cost_yuan: Decimal


class PlanItemsRefused(DomainError):
    """Some items of a batch are wrong: none is added. ``errors`` maps an item's position in
    the batch to its error (with the code of the field at fault)."""

    code = "items_refused"

    def __init__(self, errors: dict[int, DomainError]) -> None:
        self.errors = errors
        super().__init__(
            ngettext(
                "没有添加任何条目：有 %(n)d 项需要改正。",
                "没有添加任何条目：有 %(n)d 项需要改正。",
                len(errors),
            )
            % {"n": len(errors)}
        )


def split_percent_checked(split: dict[str, Decimal]) -> dict[str, Decimal]:
    """A funding split in percent by source (central, local, owners, utilities, other): each
    from 0 to 100 with at most two decimals, adding up to 100."""
    if set(split) - set(FUNDING_SOURCES):
        raise DomainError(_("资金来源不正确。"), code="funding")
    checked = {}
    for source in FUNDING_SOURCES:
        share = _bounded(split.get(source, 0), _("资金比例"), positive=False, code="split")
        if not 0 <= share <= 100:
            raise DomainError(_("资金比例应在 0 到 100 之间。"), code="split")
        checked[source] = share
    if sum(checked.values()) != 100:
        raise DomainError(
            _("资金比例合计 %(sum)s%%，应为 100%%。") % {"sum": sum(checked.values())},
            code="split_sum",
        )
    return checked


def split_fen(cost_fen: int, split: dict[str, Decimal]) -> dict[str, int]:
    """An amount in fen shared by a split in percent (adding up to 100): each source its share
    rounded down, and the fen left over one each to the largest remainders (ties in the order
    of FUNDING_SOURCES), so the parts add up to the amount exactly."""
    exact = {k: Decimal(cost_fen) * split.get(k, Decimal(0)) / 100 for k in FUNDING_SOURCES}
    fen = {k: int(v) for k, v in exact.items()}
    left = cost_fen - sum(fen.values())
    order = sorted(FUNDING_SOURCES, key=lambda k: (fen[k] - exact[k], FUNDING_SOURCES.index(k)))
    for source in order[:left]:
        fen[source] += 1
    return fen


def plan_items_add(
    *, plan: Plan, items: Sequence[NewItem], split: dict[str, Decimal], actor: User
) -> list[PlanItem]:
    """Add items for several demands of the list at once, each funded by one split in percent
    (``split_fen``). All or nothing: any wrong item refuses the batch with ``PlanItemsRefused``
    (every wrong item's message), a wrong split with a ``DomainError``."""
    MANAGE_PLANS.require(actor, plan)
    _check_editable(plan)
    if not items:
        raise DomainError(_("请至少选择一条需求。"), code="nothing")
    split = split_percent_checked(split)
    built: list[PlanItem] = []
    errors: dict[int, DomainError] = {}
    seen: set[int] = set()
    for n, new in enumerate(items):
        try:
            if new.demand.pk in seen:
                raise DomainError(_("这条需求已在方案中。"), code="demand_twice")
            seen.add(new.demand.pk)
            item = _checked_item(
                plan,
                new.demand,
                title=new.title,
                quantity=new.quantity,
                unit=new.unit,
                reason="",
                klass="",
            )
            item.cost_fen = _fen(new.cost_yuan, _("估算造价"))
        except DomainError as error:
            errors[n] = error
            continue
        for source, fen in split_fen(item.cost_fen, split).items():
            setattr(item, f"fund_{source}_fen", fen)
        built.append(item)
    if errors:
        raise PlanItemsRefused(errors)
    try:
        with transaction.atomic():
            for item in built:
                item.save()
                audit_record(
                    actor=actor,
                    action="decisions.plan_item_add",
                    obj=item,
                    after={
                        "plan": plan.pk,
                        "demand": item.demand_id,
                        "cost_fen": item.cost_fen,
                        "split": {k: str(v) for k, v in split.items() if v},
                    },
                )
            PlanExclusion.objects.filter(
                plan=plan, demand__in=[i.demand_id for i in built]
            ).delete()
    except IntegrityError:
        # Someone added one of these demands to the plan meanwhile: the database kept theirs.
        raise DomainError(
            _("其中有需求刚被别人加入方案，本次没有添加任何条目，请刷新后再试。"),
            code="demand_twice",
        ) from None
    return built


def plan_item_remove(*, item: PlanItem, actor: User) -> None:
    MANAGE_PLANS.require(actor, item.plan)
    _check_editable(item.plan)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="decisions.plan_item_remove",
            obj=item,
            before={"title": item.title, "cost_fen": item.cost_fen},
        )
        item.delete()


def plan_exclusion_set(*, plan: Plan, demand: Demand, reason: str, actor: User) -> PlanExclusion:
    """Say why a demand of the list is not in this plan (residents read it)."""
    MANAGE_PLANS.require(actor, plan)
    _check_editable(plan)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise DomainError(_("请写明未列入的原因（最长 500 字）。"), code="reason_required")
    if demand.estate_id != plan.estate_id:
        raise DomainError(_("需求不属于这个小区。"), code="demand_estate")
    if plan.items.filter(demand=demand).exists():
        raise DomainError(_("这条需求已在方案中。"), code="demand_in_plan")
    with transaction.atomic():
        exclusion, _created = PlanExclusion.objects.update_or_create(
            plan=plan, demand=demand, defaults={"reason": reason}
        )
        audit_record(
            actor=actor,
            action="decisions.plan_exclusion_set",
            obj=exclusion,
            after={"demand": demand.pk, "reason": reason},
        )
    return exclusion


def plan_meetings_set(*, plan: Plan, meeting_ids: list[int], actor: User) -> Plan:
    """Record which of the estate's meetings discussed the plan. Published plans too: where a
    plan was discussed is a record that grows (an owners' assembly after publication)."""
    MANAGE_PLANS.require(actor, plan)
    meetings = list(Meeting.objects.filter(estate=plan.estate, pk__in=meeting_ids))
    if len(meetings) != len(set(meeting_ids)):
        raise DomainError(_("会议不属于这个小区。"), code="meeting_estate")
    with transaction.atomic():
        plan.meetings.set(meetings)
        audit_record(
            actor=actor,
            action="decisions.plan_meetings_set",
            obj=plan,
            after={"meetings": sorted(m.pk for m in meetings)},
        )
    return plan


# --- consultation and publication ------------------------------------------------------------


def _too_short(days: int) -> str:
    return ngettext(
        "征求意见期太短：截止日期至少要在开始日期 %(n)d 天之后，让居民有时间看方案、提意见。",
        "征求意见期太短：截止日期至少要在开始日期 %(n)d 天之后，让居民有时间看方案、提意见。",
        days,
    ) % {"n": days}


def plan_open_consultation(*, plan: Plan, starts: dt.date, ends: dt.date, actor: User) -> Plan:
    """Put the draft to the residents for comment between two dates."""
    MANAGE_PLANS.require(actor, plan)
    if plan.status != PlanStatus.DRAFT:
        raise DomainError(_("只有草拟中的方案可以征求意见。"), code="not_draft")
    if ends < starts:
        raise DomainError(_("截止日期不能早于开始日期。"), code="dates")
    shortest = settings.XIAOQU_PLAN_CONSULTATION_DAYS
    if (ends - starts).days < shortest:
        # A shorter one would be accepted here and then hold up the publication for nothing
        # the residents could use.
        raise DomainError(_too_short(shortest), code="too_short")
    if not plan.items.exists():
        raise DomainError(_("方案还没有任何条目。"), code="empty")
    with transaction.atomic():
        plan.status = PlanStatus.CONSULTATION
        plan.consultation_starts, plan.consultation_ends = starts, ends
        plan.save(
            update_fields=["status", "consultation_starts", "consultation_ends", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="decisions.plan_open_consultation",
            obj=plan,
            after={"starts": starts.isoformat(), "ends": ends.isoformat()},
        )
        plan_consultation_notify(plan=plan, now=timezone.now())
    return plan


def _check_new_period(plan: Plan, starts: dt.date, ends: dt.date) -> None:
    """New consultation dates: a start that has come stays, a start ahead does not move into
    the past, the end is not before today and the period is long enough."""
    today = timezone.localdate()
    before = plan.consultation_starts
    if starts != before:
        if before is not None and before <= today:
            raise DomainError(
                _("征求意见已于 %(d)s 开始，开始日期不能再改。") % {"d": before.isoformat()},
                code="started",
            )
        if starts < today:
            raise DomainError(_("开始日期不能早于今天。"), code="starts_past")
    if ends < today:
        raise DomainError(_("截止日期不能早于今天。"), code="ends_past")
    if ends < starts:
        raise DomainError(_("截止日期不能早于开始日期。"), code="dates")
    shortest = settings.XIAOQU_PLAN_CONSULTATION_DAYS
    if (ends - starts).days < shortest:
        raise DomainError(_too_short(shortest), code="too_short")
    if (starts, ends) == (before, plan.consultation_ends):
        raise DomainError(_("日期没有变化。"), code="unchanged")


def plan_consultation_change(
    *, plan: Plan, starts: dt.date, ends: dt.date, reason: str, actor: User
) -> Plan:
    """Move the dates of an opened consultation, giving the reason (kept in the audit log and
    shown with the plan).

    The end is not before today and the period keeps at least
    ``XIAOQU_PLAN_CONSULTATION_DAYS`` days; a start that has come stays as it was (residents
    have been commenting since), a start still ahead may move, but not into the past.
    """
    MANAGE_PLANS.require(actor, plan)
    if plan.status != PlanStatus.CONSULTATION:
        raise DomainError(_("只有征求意见中的方案可以调整征求意见期。"), code="not_consulting")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请写明调整征求意见期的原因。"), code="reason_required")
    if len(reason) > 500:
        raise DomainError(_("原因最长 500 字。"), code="reason_long")
    before_starts, before_ends = plan.consultation_starts, plan.consultation_ends
    _check_new_period(plan, starts, ends)
    with transaction.atomic():
        plan.consultation_starts, plan.consultation_ends = starts, ends
        plan.save(update_fields=["consultation_starts", "consultation_ends", "updated_at"])
        audit_record(
            actor=actor,
            action="decisions.plan_consultation_change",
            obj=plan,
            before={
                "starts": before_starts.isoformat() if before_starts else None,
                "ends": before_ends.isoformat() if before_ends else None,
            },
            after={"starts": starts.isoformat(), "ends": ends.isoformat(), "reason": reason},
        )
        plan_consultation_notify(plan=plan, now=timezone.now(), reason=reason)
    return plan


def is_consulting(plan: Plan, today: dt.date | None = None) -> bool:
    """Whether the plan takes residents' comments today."""
    today = today or timezone.localdate()
    return (
        plan.status == PlanStatus.CONSULTATION
        and plan.consultation_starts is not None
        and plan.consultation_ends is not None
        and plan.consultation_starts <= today <= plan.consultation_ends
    )


def plan_comment(*, plan: Plan, user: User, text: str, item: PlanItem | None = None) -> PlanComment:
    """A resident or owner of the estate comments on the plan during its consultation."""
    if not COMMENT_ON_PLANS.has(user, plan):
        raise DomainError(_("只有本小区居民可以对方案提意见。"), code="not_resident")
    if not is_consulting(plan):
        raise DomainError(_("方案不在征求意见期内。"), code="not_consulting")
    if item is not None and item.plan_id != plan.pk:
        raise DomainError(_("条目不属于这个方案。"), code="item")
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请写下您的意见。"), code="text_empty")
    if len(text) > 2000:
        raise DomainError(_("意见最长 2000 字。"), code="text_too_long")
    _check_comment_rate(user)
    with transaction.atomic():
        comment = PlanComment.objects.create(plan=plan, item=item, author=user, text=text)
        audit_record(actor=user, action="decisions.plan_comment", obj=comment)
    return comment


def _check_comment_rate(user: User) -> None:
    """At most ``XIAOQU_PLAN_COMMENT_RATE`` comments of a resident, on any plan, in its window."""
    rate = rate_setting("XIAOQU_PLAN_COMMENT_RATE")
    recent = PlanComment.objects.filter(author=user)
    wait = wait_needed(rate, recent, "created_at", timezone.now())
    if rate is not None and wait is not None:
        raise RateLimited(
            _("您在 %(window)s内已提交 %(n)d 条方案意见，达到上限，请 %(wait)s后再提交。")
            % {"window": rate.window_text(), "n": rate.count, "wait": wait_text(wait)},
            retry_after=int(wait.total_seconds()) + 1,
        )


def _move_to_planned(demand_ids: set[int], actor: User) -> None:
    """The demands a published plan answers move on to "in a plan" (已列入方案)."""
    for demand in Demand.objects.filter(pk__in=demand_ids):
        if demand.status == DemandStatus.COLLECTED:
            demand = needs_services.demand_set_status(
                demand=demand, status=DemandStatus.ASSESSED, actor=actor
            )
        if demand.status == DemandStatus.ASSESSED:
            needs_services.demand_set_status(
                demand=demand, status=DemandStatus.PLANNED, actor=actor
            )


def plan_publish(*, plan: Plan, actor: User) -> Plan:
    """Publish the plan. Every live demand of the estate must be answered by an item, declined
    with a reason, or excluded from this plan with a reason; the demands it answers move to
    "in a plan" (已列入方案).
    """
    MANAGE_PLANS.require(actor, plan)
    _check_editable(plan)
    if not plan.items.exists():
        raise DomainError(_("方案还没有任何条目。"), code="empty")
    if (
        plan.status == PlanStatus.CONSULTATION
        and plan.consultation_ends
        and (timezone.localdate() <= plan.consultation_ends)
    ):
        raise DomainError(_("征求意见期还没有结束。"), code="consulting")
    answered = set(plan.items.exclude(demand=None).values_list("demand_id", flat=True))
    missing = list(selectors.unanswered_demands(plan=plan))
    if missing:
        raise DomainError(
            ngettext(
                "还有 %(n)d 条需求既未列入方案也未说明原因，例如“%(t)s”。",
                "还有 %(n)d 条需求既未列入方案也未说明原因，例如“%(t)s”。",
                len(missing),
            )
            % {"n": len(missing), "t": missing[0].title},
            code="unanswered",
        )
    with transaction.atomic():
        plan.status = PlanStatus.PUBLISHED
        plan.published_at = timezone.now()
        plan.save(update_fields=["status", "published_at", "updated_at"])
        _move_to_planned(answered, actor)
        audit_record(
            actor=actor,
            action="decisions.plan_publish",
            obj=plan,
            after={"version": plan.version, "items": plan.items.count()},
        )
    return plan
