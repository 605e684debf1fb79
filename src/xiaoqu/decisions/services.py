"""Writes for owner votes: create, open (freeze the electorate), cast ballots, close.

Ballots cannot be changed: an owner votes once per vote, whatever the channel. A paper
ballot cannot be taken back out of the box either, and equal rules for every channel keep the
count simple to check; an owner who made a mistake may raise an objection during the notice
period, which is recorded with the result (issue 4, point 6).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import require_estate
from xiaoqu.core.uploads import check_photo
from xiaoqu.decisions import chain
from xiaoqu.decisions.models import (
    Ballot,
    BallotChannel,
    Choice,
    Elector,
    ElectorUnit,
    Objection,
    Plan,
    PlanComment,
    PlanExclusion,
    PlanItem,
    PlanStatus,
    Vote,
    VoteScope,
    VoteStatus,
)
from xiaoqu.decisions.rules import VOTE_ROLES
from xiaoqu.decisions.rules_engine import DEVELOPER, MATTERS
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    RegisterStatus,
)


def _in_scope(actor: Any, estate: Estate) -> None:
    """Votes are run by community and street staff and the owners' committee."""
    require_estate(actor, estate, VOTE_ROLES)


def vote_create(
    *,
    estate: Estate,
    matter: int,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    actor: Any,
    scope: str = VoteScope.ESTATE,
    building: Building | None = None,
    entrance: Entrance | None = None,
    description: str = "",
) -> Vote:
    """A vote in draft; its electorate is frozen when it opens."""
    _in_scope(actor, estate)
    if matter not in MATTERS:
        raise DomainError(_("表决事项应为民法典第二百七十八条第 1 至 9 项之一。"), code="matter")
    title = title.strip()
    if not title or len(title) > 200:
        raise DomainError(_("标题不能为空，最长 200 字。"), code="title")
    if closes_at <= opens_at:
        raise DomainError(_("截止时间必须晚于开始时间。"), code="dates")
    if scope == VoteScope.ESTATE:
        building = entrance = None
    elif scope == VoteScope.BUILDING:
        entrance = None
        if building is None or building.estate_id != estate.pk:
            raise DomainError(_("请选择本小区的楼栋。"), code="building")
    elif scope == VoteScope.ENTRANCE:
        if entrance is None or entrance.building.estate_id != estate.pk:
            raise DomainError(_("请选择本小区的单元。"), code="entrance")
        building = entrance.building
    else:
        raise DomainError(_("表决范围不正确。"), code="scope")
    with transaction.atomic():
        vote = Vote.objects.create(
            estate=estate,
            matter=matter,
            title=title,
            description=description.strip(),
            scope=scope,
            building=building,
            entrance=entrance,
            opens_at=opens_at,
            closes_at=closes_at,
            salt=secrets.token_hex(32),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="decisions.vote_create",
            obj=vote,
            after={"matter": matter, "scope": scope, "title": title},
        )
    return vote


def _units_in_scope(vote: Vote) -> Any:
    qs = Dwelling.objects.filter(estate_id=vote.estate_id)
    if vote.scope == VoteScope.BUILDING:
        qs = qs.filter(building=vote.building)
    elif vote.scope == VoteScope.ENTRANCE:
        qs = qs.filter(entrance=vote.entrance)
    return qs


def electorate(dwellings: list[tuple[int, Decimal, str]], owners: list[tuple[int, int]]) -> dict:
    """Effective owners of units (SPC interpretation Art. 9), as ``{owner_key: [dwelling ids]}``
    plus ``{owner_key: person ids}``.

    Unsold and undelivered units are the developer's. Owned units sharing any owner are one
    owner (co-owners of a unit, and a buyer of several units, count once): the connected
    groups of the person–unit graph. An owned unit with no owner in the register counts as an
    owner of its own (``d:<id>``), so the register's gaps never shrink the electorate.
    """
    status = {pk: s for pk, _a, s in dwellings}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for person_id, dwelling_id in owners:
        if status.get(dwelling_id) == RegisterStatus.OWNED:
            a, b = find(f"p:{person_id}"), find(f"d:{dwelling_id}")
            if a != b:
                parent[max(a, b)] = min(a, b)
    units: dict[str, list[int]] = defaultdict(list)
    for pk, _area, s in dwellings:
        if s != RegisterStatus.OWNED:
            units[DEVELOPER].append(pk)
        else:
            units[find(f"d:{pk}")].append(pk)
    persons: dict[str, list[int]] = defaultdict(list)
    for person_id, dwelling_id in owners:
        if status.get(dwelling_id) == RegisterStatus.OWNED:
            persons[find(f"d:{dwelling_id}")].append(person_id)
    # The key of a group: its lowest person, so it reads the same in every run.
    keyed_units: dict[str, list[int]] = {}
    keyed_persons: dict[str, list[int]] = {}
    for root, pks in units.items():
        people = sorted(set(persons.get(root, [])))
        key = DEVELOPER if root == DEVELOPER else (f"p:{people[0]}" if people else root)
        keyed_units[key] = pks
        keyed_persons[key] = people
    return {"units": keyed_units, "persons": keyed_persons}


def vote_open(*, vote: Vote, actor: Any, now: dt.datetime | None = None) -> Vote:
    """Open the vote and freeze its electorate (units, areas, effective owners)."""
    _in_scope(actor, vote.estate)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        if locked.status != VoteStatus.DRAFT:
            raise DomainError(_("表决已经开始或已结束。"), code="not_draft")
        if now >= locked.closes_at:
            raise DomainError(_("截止时间已过，不能开始表决。"), code="too_late")
        dwellings = list(_units_in_scope(locked).values_list("pk", "area", "status"))
        if not dwellings:
            raise DomainError(_("表决范围内没有房屋。"), code="no_units")
        owners = list(
            Ownership.objects.filter(dwelling_id__in=[d[0] for d in dwellings]).values_list(
                "person_id", "dwelling_id"
            )
        )
        groups = electorate(dwellings, owners)
        area = {pk: a for pk, a, _s in dwellings}
        status = {pk: s for pk, _a, s in dwellings}
        electors = []
        for key, pks in groups["units"].items():
            owned = sum((area[pk] for pk in pks), Decimal(0))
            electors.append(
                Elector(
                    vote=locked,
                    owner_key=key,
                    pseudonym=chain.pseudonym(locked.salt, key),
                    area=owned,
                    area_hundredths=int(owned * 100),
                    units=len(pks),
                )
            )
        electors = Elector.objects.bulk_create(electors)
        by_key = {e.owner_key: e for e in electors}
        if any(e.pk is None for e in electors):  # backends without RETURNING
            by_key = {e.owner_key: e for e in Elector.objects.filter(vote=locked)}
        Elector.persons.through.objects.bulk_create(
            Elector.persons.through(elector_id=by_key[key].pk, person_id=person_id)
            for key, people in groups["persons"].items()
            for person_id in people
        )
        ElectorUnit.objects.bulk_create(
            ElectorUnit(
                vote=locked, elector=by_key[key], dwelling_id=pk, area=area[pk], status=status[pk]
            )
            for key, pks in groups["units"].items()
            for pk in pks
        )
        locked.status = VoteStatus.OPEN
        locked.opened_at = now
        locked.chain_head = chain.genesis(locked.pk, locked.salt)
        locked.save(update_fields=["status", "opened_at", "chain_head", "updated_at"])
        audit_record(
            actor=actor,
            action="decisions.vote_open",
            obj=locked,
            after={"units": len(dwellings), "owners": len(electors)},
        )
    return locked


def elector_for(*, vote: Vote, person_id: int | None) -> Elector | None:
    if not person_id:
        return None
    return Elector.objects.filter(vote=vote, persons=person_id).first()


def ballot_cast(
    *,
    vote: Vote,
    elector: Elector,
    choice: str,
    channel: str,
    actor: Any,
    scan: UploadedFile | None = None,
    proxy_name: str = "",
    authorisation: UploadedFile | None = None,
    now: dt.datetime | None = None,
) -> Ballot:
    """Append one owner's ballot to the vote's chain; one per owner, never changed.

    ``online``: the actor must be one of the elector's own persons. ``paper``: staff enter it
    with the scanned ballot. ``proxy``: staff enter it with the proxy's name and the written
    authorisation. The vote row is locked while the chain moves, so concurrent ballots line up.
    """
    if choice not in Choice.values:
        raise DomainError(_("选择不正确。"), code="choice")
    if channel not in BallotChannel.values:
        raise DomainError(_("投票方式不正确。"), code="channel")
    if elector.vote_id != vote.pk:
        raise DomainError(_("该业主不在本次表决名册中。"), code="not_elector")
    if channel == BallotChannel.ONLINE:
        if not elector.persons.filter(pk=getattr(actor, "person_id", None) or 0).exists():
            raise DomainError(_("只能为自己投票。"), code="not_own")
    else:
        _in_scope(actor, vote.estate)
        if channel == BallotChannel.PAPER and scan is None:
            raise DomainError(_("纸质选票须上传扫描件或照片。"), code="scan_required")
        if channel == BallotChannel.PROXY:
            proxy_name = proxy_name.strip()
            if not proxy_name or len(proxy_name) > 64 or authorisation is None:
                raise DomainError(
                    _("委托投票须填写代理人姓名并上传书面授权委托书。"), code="proxy_required"
                )
        check_photo(scan)
        check_photo(authorisation)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Vote.objects.select_for_update().get(pk=vote.pk)
            if locked.status != VoteStatus.OPEN or not (locked.opens_at <= now < locked.closes_at):
                raise DomainError(_("表决不在投票时间内。"), code="not_open")
            if Ballot.objects.filter(vote=locked, elector=elector).exists():
                raise DomainError(_("该业主已经投过票，每位业主只能投一票。"), code="already")
            seq = locked.ballots_cast + 1
            nonce = secrets.token_hex(16)
            digest = chain.link(
                prev_hash=locked.chain_head,
                pseudonym=elector.pseudonym,
                choice=choice,
                channel=channel,
                cast_at=now,
                seq=seq,
                nonce=nonce,
            )
            ballot = Ballot(
                vote=locked,
                elector=elector,
                seq=seq,
                choice=choice,
                channel=channel,
                cast_at=now,
                cast_by=actor,
                proxy_name=proxy_name,
                nonce=nonce,
                prev_hash=locked.chain_head,
                hash=digest,
                receipt=chain.receipt(digest),
            )
            if scan is not None:
                ballot.scan.save(scan.name or "ballot.jpg", scan, save=False)
            if authorisation is not None:
                ballot.authorisation.save(
                    authorisation.name or "authorisation.jpg", authorisation, save=False
                )
            ballot.save()
            locked.ballots_cast = seq
            locked.chain_head = digest
            locked.save(update_fields=["ballots_cast", "chain_head"])
            # The audit row names the ballot and its hash, never the choice.
            audit_record(
                actor=actor,
                action="decisions.ballot_cast",
                obj=ballot,
                after={"vote": locked.pk, "seq": seq, "channel": channel, "hash": digest},
            )
    except IntegrityError:
        raise DomainError(_("该业主已经投过票，每位业主只能投一票。"), code="already") from None
    return ballot


def vote_close(*, vote: Vote, actor: Any, now: dt.datetime | None = None) -> Vote:
    """Close the vote (at or after its closing time, or early by staff decision)."""
    _in_scope(actor, vote.estate)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        if locked.status != VoteStatus.OPEN:
            raise DomainError(_("只有投票中的表决可以结束。"), code="not_open")
        locked.status = VoteStatus.CLOSED
        locked.closed_at = now
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="decisions.vote_close",
            obj=locked,
            after={"ballots": locked.ballots_cast, "head": locked.chain_head},
        )
    return locked


# --- public notice of the result and objections ------------------------------------------

OBJECTION_DAYS_DEFAULT = 7
OBJECTION_DAYS_ALTERATION_DEFAULT = 15  # item 7 (alterations such as adding an elevator)


def objection_days_for(matter: int) -> int:
    """The default objection period in days; settings may change both."""
    if matter == 7:
        return int(
            getattr(settings, "XIAOQU_OBJECTION_DAYS_ALTERATION", OBJECTION_DAYS_ALTERATION_DEFAULT)
        )
    return int(getattr(settings, "XIAOQU_OBJECTION_DAYS", OBJECTION_DAYS_DEFAULT))


def vote_publish_result(
    *, vote: Vote, actor: Any, objection_days: int | None = None, now: dt.datetime | None = None
) -> Vote:
    """Publish the closed vote's result (公示): the tally is frozen and the objection period
    starts. Names never appear in it: counts and areas only.
    """
    from xiaoqu.decisions.selectors import tally

    _in_scope(actor, vote.estate)
    days = objection_days if objection_days is not None else objection_days_for(vote.matter)
    if not 1 <= days <= 60:
        raise DomainError(_("异议期应为 1 到 60 天。"), code="objection_days")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        if locked.status != VoteStatus.CLOSED:
            raise DomainError(_("表决结束后才能公示结果。"), code="not_closed")
        if locked.result_published_at is not None:
            raise DomainError(_("结果已经公示。"), code="published")
        result = tally(vote=locked)
        locked.result = {**result.as_dict(), "matter": locked.matter}
        locked.result_published_at = now
        locked.objection_until = now + dt.timedelta(days=days)
        locked.save(update_fields=["result", "result_published_at", "objection_until"])
        audit_record(
            actor=actor,
            action="decisions.vote_publish_result",
            obj=locked,
            after={"passed": result.passed, "objection_days": days},
        )
    return locked


def objection_raise(
    *, vote: Vote, user: Any, text: str, now: dt.datetime | None = None
) -> Objection:
    """An owner of the vote's electorate objects to the published result within the period."""
    elector = elector_for(vote=vote, person_id=getattr(user, "person_id", None))
    if elector is None:
        raise DomainError(_("只有本次表决名册中的业主可以提出异议。"), code="not_elector")
    now = now or timezone.now()
    if vote.result_published_at is None or vote.objection_until is None:
        raise DomainError(_("结果尚未公示。"), code="not_published")
    if now >= vote.objection_until:
        raise DomainError(_("异议期已过。"), code="too_late")
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请写明异议的内容和理由。"), code="text_empty")
    if len(text) > 2000:
        raise DomainError(_("异议最长 2000 字。"), code="text_too_long")
    with transaction.atomic():
        objection = Objection.objects.create(vote=vote, elector=elector, raised_by=user, text=text)
        audit_record(actor=user, action="decisions.objection_raise", obj=objection)
    return objection


# --- renovation plans ------------------------------------------------------------------------


def _plan_scope(actor: Any, estate: Estate) -> None:
    """Plans are drawn up by those who manage the demand list (community and street staff)."""
    from xiaoqu.needs.rules import DEMAND_ROLES

    require_estate(actor, estate, DEMAND_ROLES)


def _plan_editable(plan: Plan) -> None:
    if plan.status == PlanStatus.PUBLISHED:
        raise DomainError(_("已公布的方案不能修改，请新建一版。"), code="published")


def plan_create(*, estate: Estate, title: str, actor: Any) -> Plan:
    """The next version of the estate's plan: a copy of the last version's items, exclusions."""
    _plan_scope(actor, estate)
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


def _fen(value: Any, label: str) -> int:
    try:
        fen = int(Decimal(str(value)) * 100)
    except (ArithmeticError, ValueError):
        raise DomainError(_("%(f)s不是金额。") % {"f": label}, code="money") from None
    if fen < 0 or Decimal(str(value)) * 100 != fen:
        raise DomainError(_("%(f)s应为不小于 0、最多两位小数的金额。") % {"f": label}, code="money")
    return fen


def plan_item_add(
    *,
    plan: Plan,
    actor: Any,
    title: str,
    quantity: Decimal,
    unit: str,
    cost_yuan: Decimal,
    funding_yuan: dict[str, Decimal],
    demand: Any = None,
    reason: str = "",
    klass: str = "",
) -> PlanItem:
    """Add an item: answering a demand of the estate, or with a stated reason (a safety duty).

    ``funding_yuan`` maps central, local, owners, utilities, other to yuan; it must add up to
    the estimated cost.
    """
    from xiaoqu.needs import classifier as clf

    _plan_scope(actor, plan.estate)
    _plan_editable(plan)
    title = title.strip()
    reason = reason.strip()
    if not title or len(title) > 200:
        raise DomainError(_("改造内容不能为空，最长 200 字。"), code="title")
    if demand is not None:
        if demand.estate_id != plan.estate_id or demand.merged_into_id is not None:
            raise DomainError(_("需求不属于这个小区。"), code="demand_estate")
        if plan.items.filter(demand=demand).exists():
            raise DomainError(_("这条需求已在方案中。"), code="demand_twice")
        klass = clf.category_classes().get(demand.category, "manage")
    else:
        if not reason:
            raise DomainError(
                _("不是来自需求清单的条目须写明列入理由（如安全隐患整治）。"),
                code="reason_required",
            )
        if klass not in ("basic", "improve", "enhance", "manage"):
            raise DomainError(_("请选择改造分类。"), code="klass")
    if len(reason) > 500:
        raise DomainError(_("理由最长 500 字。"), code="reason_long")
    unit = unit.strip()
    if not unit or len(unit) > 16:
        raise DomainError(_("请填写单位（如 m²、处、台）。"), code="unit")
    if quantity is None or quantity <= 0:
        raise DomainError(_("数量应大于 0。"), code="quantity")
    cost = _fen(cost_yuan, _("估算造价"))
    names = {
        "central": _("中央补助"),
        "local": _("地方财政"),
        "owners": _("居民出资"),
        "utilities": _("管线单位"),
        "other": _("其他"),
    }
    unknown = set(funding_yuan) - set(names)
    if unknown:
        raise DomainError(_("资金来源不正确。"), code="funding")
    funds = {k: _fen(funding_yuan.get(k, 0), names[k]) for k in names}
    if sum(funds.values()) != cost:
        raise DomainError(
            _("资金来源合计 %(sum)s 元，与估算造价 %(cost)s 元不符。")
            % {"sum": Decimal(sum(funds.values())) / 100, "cost": Decimal(cost) / 100},
            code="funding_sum",
        )
    with transaction.atomic():
        item = PlanItem.objects.create(
            plan=plan,
            demand=demand,
            reason=reason,
            title=title,
            klass=klass,
            quantity=quantity,
            unit=unit,
            cost_fen=cost,
            fund_central_fen=funds["central"],
            fund_local_fen=funds["local"],
            fund_owners_fen=funds["owners"],
            fund_utilities_fen=funds["utilities"],
            fund_other_fen=funds["other"],
        )
        if demand is not None:
            PlanExclusion.objects.filter(plan=plan, demand=demand).delete()
        audit_record(
            actor=actor,
            action="decisions.plan_item_add",
            obj=item,
            after={"plan": plan.pk, "demand": getattr(demand, "pk", None), "cost_fen": cost},
        )
    return item


def plan_item_remove(*, item: PlanItem, actor: Any) -> None:
    _plan_scope(actor, item.plan.estate)
    _plan_editable(item.plan)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="decisions.plan_item_remove",
            obj=item,
            before={"title": item.title, "cost_fen": item.cost_fen},
        )
        item.delete()


def plan_exclusion_set(*, plan: Plan, demand: Any, reason: str, actor: Any) -> PlanExclusion:
    """Say why a demand of the list is not in this plan (residents read it)."""
    _plan_scope(actor, plan.estate)
    _plan_editable(plan)
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


def plan_meetings_set(*, plan: Plan, meeting_ids: list[int], actor: Any) -> Plan:
    """Record which of the estate's meetings discussed the plan. Published plans too: where a
    plan was discussed is a record that grows (an owners' assembly after publication)."""
    from xiaoqu.meetings.models import Meeting

    _plan_scope(actor, plan.estate)
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


def plan_open_consultation(*, plan: Plan, starts: dt.date, ends: dt.date, actor: Any) -> Plan:
    """Put the draft to the residents for comment between two dates."""
    _plan_scope(actor, plan.estate)
    if plan.status != PlanStatus.DRAFT:
        raise DomainError(_("只有草拟中的方案可以征求意见。"), code="not_draft")
    if ends < starts:
        raise DomainError(_("截止日期不能早于开始日期。"), code="dates")
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
    return plan


def plan_comment(*, plan: Plan, user: Any, text: str, item: PlanItem | None = None) -> PlanComment:
    """A resident or owner of the estate comments on the plan during its consultation."""
    from xiaoqu.core.policy import home_estates

    if not home_estates(user).filter(pk=plan.estate_id).exists():
        raise DomainError(_("只有本小区居民可以对方案提意见。"), code="not_resident")
    today = timezone.localdate()
    if plan.status != PlanStatus.CONSULTATION or not (
        plan.consultation_starts
        and plan.consultation_ends
        and plan.consultation_starts <= today <= plan.consultation_ends
    ):
        raise DomainError(_("方案不在征求意见期内。"), code="not_consulting")
    if item is not None and item.plan_id != plan.pk:
        raise DomainError(_("条目不属于这个方案。"), code="item")
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请写下您的意见。"), code="text_empty")
    if len(text) > 2000:
        raise DomainError(_("意见最长 2000 字。"), code="text_too_long")
    with transaction.atomic():
        comment = PlanComment.objects.create(plan=plan, item=item, author=user, text=text)
        audit_record(actor=user, action="decisions.plan_comment", obj=comment)
    return comment


def plan_publish(*, plan: Plan, actor: Any) -> Plan:
    """Publish the plan. Every live demand of the estate must be answered by an item, declined
    with a reason, or excluded from this plan with a reason; the demands it answers move to
    "in a plan" (已列入方案).
    """
    from xiaoqu.needs import services as needs_services
    from xiaoqu.needs.models import Demand, DemandStatus

    _plan_scope(actor, plan.estate)
    _plan_editable(plan)
    if not plan.items.exists():
        raise DomainError(_("方案还没有任何条目。"), code="empty")
    if (
        plan.status == PlanStatus.CONSULTATION
        and plan.consultation_ends
        and (timezone.localdate() <= plan.consultation_ends)
    ):
        raise DomainError(_("征求意见期还没有结束。"), code="consulting")
    answered = set(plan.items.exclude(demand=None).values_list("demand_id", flat=True))
    excluded = set(plan.exclusions.values_list("demand_id", flat=True))
    open_demands = Demand.objects.filter(estate=plan.estate, merged_into__isnull=True).exclude(
        status=DemandStatus.DECLINED
    )
    missing = [d for d in open_demands if d.pk not in answered | excluded and d.opinions.exists()]
    if missing:
        raise DomainError(
            _("还有 %(n)d 条需求既未列入方案也未说明原因，例如“%(t)s”。")
            % {"n": len(missing), "t": missing[0].title},
            code="unanswered",
        )
    with transaction.atomic():
        plan.status = PlanStatus.PUBLISHED
        plan.published_at = timezone.now()
        plan.save(update_fields=["status", "published_at", "updated_at"])
        for demand in Demand.objects.filter(pk__in=answered):
            if demand.status == DemandStatus.COLLECTED:
                demand = needs_services.demand_set_status(
                    demand=demand, status=DemandStatus.ASSESSED, actor=actor
                )
            if demand.status == DemandStatus.ASSESSED:
                needs_services.demand_set_status(
                    demand=demand, status=DemandStatus.PLANNED, actor=actor
                )
        audit_record(
            actor=actor,
            action="decisions.plan_publish",
            obj=plan,
            after={"version": plan.version, "items": plan.items.count()},
        )
    return plan
