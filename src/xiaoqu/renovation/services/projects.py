"""Writes for batches and projects: creation from published plans, parties, votes, stages.

A project's stage moves one step at a time, forward only (储备 → 计划 → 立项 → 招标 → 施工 →
验收 → 完成), through :func:`project_advance`, which checks what the next stage needs:

* 施工: a builder and a supervisor named, and at least one item cleared for works. An item
  that needs an owners' vote (an added elevator: its entrance's owners; an item paid from the
  maintenance fund: the estate's owners) is cleared only when that vote's result has been
  published as passed and its objection period is over; until then no progress is taken on it.
* 验收: every cleared item finished (100 %).
* 完成: a joint acceptance passed (every item passed or passed on re-inspection).

From 施工 on the register's stage of the project's estates follows the project (施工 and 验收:
施工中; 完成: 已验收). Every move, vote link and party change is a ``ProjectEvent`` row and an
audit row, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core import figures
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.money import yuan
from xiaoqu.decisions.models import Plan, PlanStatus, Vote, VoteScope
from xiaoqu.decisions.selectors import vote_passed
from xiaoqu.registry.models import Estate, Region, RenovationStage
from xiaoqu.renovation.models import (
    PLAN_SOURCE_MAP,
    STAGE_ORDER,
    Acceptance,
    AcceptanceStatus,
    Batch,
    BatchEstate,
    Company,
    CompanyKind,
    FundSource,
    ItemFunding,
    Project,
    ProjectEstate,
    ProjectEvent,
    ProjectItem,
    ProjectMember,
    ProjectStage,
    VoteNeed,
)
from xiaoqu.renovation.rules import MANAGE_BATCHES, MANAGE_PROJECTS

# Matters of Civil Code Art. 278 an item's vote must be about.
VOTE_MATTERS: dict[str, frozenset[int]] = {
    VoteNeed.ELEVATOR: frozenset({7, 8}),
    VoteNeed.FUND: frozenset({5}),
}
# Stages of the register an estate takes when its project reaches a stage.
REGISTER_STAGE: dict[str, str] = {
    ProjectStage.WORKS: RenovationStage.WORKS,
    ProjectStage.ACCEPTANCE: RenovationStage.WORKS,
    ProjectStage.COMPLETED: RenovationStage.ACCEPTED,
}
ELEVATOR_WORDS = ("电梯",)


def record_event(
    project: Project,
    kind: str,
    actor: Actor | None,
    *,
    item: ProjectItem | None = None,
    note: str = "",
    from_stage: str = "",
    to_stage: str = "",
) -> ProjectEvent:
    return ProjectEvent.objects.create(
        project=project,
        item=item,
        kind=kind,
        note=note[:500],
        from_stage=from_stage,
        to_stage=to_stage,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=timezone.now(),
    )


# --- batches --------------------------------------------------------------------------------


def batch_create(
    *,
    region: Region,
    year: int,
    name: str,
    estates: Iterable[Estate],
    actor: Actor,
    budget_fen: int = 0,
    costs_fen: Mapping[int, int] | None = None,
) -> Batch:
    """A year's batch with its estates, their buildings and households counted now."""
    MANAGE_BATCHES.require(actor, region)
    name = name.strip()
    if not name:
        raise DomainError(_("请填写计划名称。"), code="name")
    if not 2000 <= year <= 2100:
        raise DomainError(_("年度应在 2000 到 2100 之间。"), code="year")
    if budget_fen < 0:
        raise DomainError(_("补助资金不能为负数。"), code="budget")
    chosen = list(estates)
    if not chosen:
        raise DomainError(_("计划里至少要有一个小区。"), code="empty")
    outside = [e for e in chosen if not e.region_path.startswith(region.path)]
    if outside:
        raise DomainError(
            _("“%(name)s”不在%(region)s范围内。") % {"name": outside[0].name, "region": region},
            code="outside",
        )
    if Batch.objects.filter(region=region, name=name).exists():
        raise DomainError(_("已有同名的年度计划。"), code="duplicate")
    costs = costs_fen or {}
    with transaction.atomic():
        batch = Batch.objects.create(
            region=region, year=year, name=name, budget_fen=budget_fen, created_by=actor
        )
        BatchEstate.objects.bulk_create(
            BatchEstate(
                batch=batch,
                estate=e,
                buildings=e.buildings.count(),
                households=e.households,
                cost_fen=int(costs.get(e.pk, 0)),
            )
            for e in chosen
        )
        figures.changed([e.pk for e in chosen], "plan")
        audit_record(
            actor=actor,
            action="renovation.batch_create",
            obj=batch,
            after={"year": year, "estates": len(chosen), "budget_fen": budget_fen},
        )
    return batch


# --- projects -------------------------------------------------------------------------------


def latest_published_plan(estate: Estate) -> Plan | None:
    return (
        Plan.objects.filter(estate=estate, status=PlanStatus.PUBLISHED).order_by("-version").first()
    )


def _vote_need(title: str, funding: Mapping[str, int]) -> str:
    if any(word in title for word in ELEVATOR_WORDS):
        return VoteNeed.ELEVATOR
    if funding.get(FundSource.FUND, 0) > 0:
        return VoteNeed.FUND
    return VoteNeed.NONE


def _open_project_of(estate: Estate) -> Project | None:
    return (
        Project.objects.filter(project_estates__estate=estate)
        .exclude(stage=ProjectStage.COMPLETED)
        .first()
    )


def _plans_for(chosen: list[Estate], batch: Batch | None) -> list[tuple[Estate, Plan]]:
    """Each estate's latest published plan; refused for an estate already in an unfinished
    project, or outside the batch."""
    plans: list[tuple[Estate, Plan]] = []
    for estate in chosen:
        plan = latest_published_plan(estate)
        if plan is None:
            raise DomainError(
                _("“%(name)s”还没有公布的改造方案，不能立项。") % {"name": estate.name},
                code="no_plan",
            )
        busy = _open_project_of(estate)
        if busy is not None:
            raise DomainError(
                _("“%(name)s”已在未完成的项目“%(project)s”中。")
                % {"name": estate.name, "project": busy.name},
                code="busy",
            )
        if batch is not None and not batch.entries.filter(estate=estate).exists():
            raise DomainError(
                _("“%(name)s”不在“%(batch)s”中。") % {"name": estate.name, "batch": batch},
                code="not_in_batch",
            )
        plans.append((estate, plan))
    return plans


def project_create(
    *,
    estates: Iterable[Estate],
    name: str,
    code: str,
    actor: Actor,
    batch: Batch | None = None,
) -> Project:
    """A project over ``estates`` with every item of each one's latest published plan.

    The plan versions stay as they are (published plans never change): the items, quantities,
    costs and funding are copied. An estate can be in one unfinished project at a time.
    """
    chosen = list(estates)
    if not chosen:
        raise DomainError(_("请选择项目包含的小区。"), code="empty")
    for estate in chosen:
        MANAGE_PROJECTS.require(actor, estate)
    name, code = name.strip(), code.strip()
    if not name or not code:
        raise DomainError(_("请填写项目名称和编号。"), code="name")
    if Project.objects.filter(code=code).exists():
        raise DomainError(_("项目编号 %(code)s 已被使用。") % {"code": code}, code="duplicate")
    plans = _plans_for(chosen, batch)
    with transaction.atomic():
        project = Project.objects.create(
            code=code,
            name=name,
            batch=batch,
            created_by=actor,
            stage=ProjectStage.PLANNED if batch is not None else ProjectStage.RESERVE,
        )
        for estate, plan in plans:
            ProjectEstate.objects.create(project=project, estate=estate, plan=plan)
            _copy_items(project, estate, plan)
        record_event(project, "created", actor, to_stage=project.stage)
        audit_record(
            actor=actor,
            action="renovation.project_create",
            obj=project,
            after={"estates": [e.pk for e in chosen], "plans": [p.pk for _e, p in plans]},
        )
    return project


def _copy_items(project: Project, estate: Estate, plan: Plan) -> None:
    for plan_item in plan.items.order_by("pk"):
        funding = {
            PLAN_SOURCE_MAP[source]: getattr(plan_item, f"fund_{source}_fen")
            for source in PLAN_SOURCE_MAP
        }
        item = ProjectItem.objects.create(
            project=project,
            estate=estate,
            plan_item=plan_item,
            demand_id=plan_item.demand_id,
            reason=plan_item.reason,
            title=plan_item.title,
            klass=plan_item.klass,
            quantity=plan_item.quantity,
            unit=plan_item.unit,
            budget_fen=plan_item.cost_fen,
            vote_need=_vote_need(plan_item.title, funding),
        )
        ItemFunding.objects.bulk_create(
            ItemFunding(item=item, source=source, planned_fen=fen)
            for source, fen in funding.items()
            if fen
        )
        figures.changed([item.estate_id], "items")


def project_set_parties(
    *,
    project: Project,
    actor: Actor,
    builder: Company | None = None,
    supervisor: Company | None = None,
    designer: Company | None = None,
    site_manager_name: str | None = None,
    site_manager_phone: str | None = None,
) -> Project:
    """Name the builder, supervisor, designer and the builder's site manager."""
    MANAGE_PROJECTS.require(actor, project)
    for company, kind in (
        (builder, CompanyKind.BUILDER),
        (supervisor, CompanyKind.SUPERVISOR),
        (designer, CompanyKind.DESIGNER),
    ):
        if company is not None and company.kind != kind:
            raise DomainError(
                _("“%(name)s”不是%(kind)s。") % {"name": company.name, "kind": kind.label},
                code="company_kind",
            )
    before = {
        "builder": project.builder_id,
        "supervisor": project.supervisor_id,
        "designer": project.designer_id,
    }
    with transaction.atomic():
        if builder is not None:
            project.builder = builder
        if supervisor is not None:
            project.supervisor = supervisor
        if designer is not None:
            project.designer = designer
        if site_manager_name is not None:
            project.site_manager_name = site_manager_name.strip()[:64]
        if site_manager_phone is not None:
            project.site_manager_phone = site_manager_phone.strip()[:20]
        project.save()
        after = {
            "builder": project.builder_id,
            "supervisor": project.supervisor_id,
            "designer": project.designer_id,
        }
        record_event(project, "parties", actor, note=_parties_note(project))
        audit_record(
            actor=actor,
            action="renovation.project_set_parties",
            obj=project,
            before=before,
            after=after,
        )
    return project


def _parties_note(project: Project) -> str:
    names = [
        f"{label}：{company.name}"
        for label, company in (
            (CompanyKind.BUILDER.label, project.builder),
            (CompanyKind.SUPERVISOR.label, project.supervisor),
            (CompanyKind.DESIGNER.label, project.designer),
        )
        if company is not None
    ]
    return "；".join(names)


def project_member_add(*, project: Project, user: Any, actor: Actor) -> ProjectMember:
    """Put a contractor's or supervisor's staff member on the project (their company is the
    project's builder or supervisor, by the user's role)."""
    from xiaoqu.accounts.models import Role
    from xiaoqu.accounts.roles import holds_role

    MANAGE_PROJECTS.require(actor, project)
    if holds_role(user, {Role.CONTRACTOR}) and project.builder is not None:
        company = project.builder
    elif holds_role(user, {Role.SUPERVISOR}) and project.supervisor is not None:
        company = project.supervisor
    else:
        raise DomainError(
            _("只能添加本项目施工单位或监理单位的人员（先确定参建单位并授予相应角色）。"),
            code="member_role",
        )
    with transaction.atomic():
        member, created = ProjectMember.objects.get_or_create(
            project=project, user=user, defaults={"company": company}
        )
        if created:
            record_event(project, "member", actor, note=f"{company.name}：{user}")
            audit_record(
                actor=actor,
                action="renovation.project_member_add",
                obj=project,
                after={"user": user.pk, "company": company.pk},
            )
    return member


# --- owners' votes behind items --------------------------------------------------------------


def item_clearance(item: ProjectItem, now: dt.datetime | None = None) -> tuple[bool, str]:
    """Whether works may start on the item, and if not, why (residents read the reason)."""
    if not item.vote_need:
        return True, ""
    if item.vote is None:
        return False, _("需业主表决（%(need)s），尚未关联表决。") % {
            "need": item.get_vote_need_display()
        }
    if not vote_passed(item.vote, now):
        return False, _("业主表决“%(vote)s”尚未通过或公示期未满。") % {"vote": item.vote.title}
    return True, ""


def item_link_vote(
    *, item: ProjectItem, vote: Vote, actor: Actor, entrance: Any = None
) -> ProjectItem:
    """The owners' vote that decides an item: of the item's estate, on the matter the item
    needs, and for an elevator, of the item's entrance (or its building)."""
    MANAGE_PROJECTS.require(actor, item)
    if not item.vote_need:
        raise DomainError(_("这个条目不需要业主表决。"), code="no_vote_needed")
    if vote.estate_id != item.estate_id:
        raise DomainError(_("表决不是本小区的。"), code="vote_estate")
    if vote.matter not in VOTE_MATTERS[item.vote_need]:
        raise DomainError(
            _("表决事项不符：%(need)s需要第 %(matters)s 项事项的表决。")
            % {
                "need": item.get_vote_need_display(),
                "matters": "、".join(str(m) for m in sorted(VOTE_MATTERS[item.vote_need])),
            },
            code="vote_matter",
        )
    if item.vote_need == VoteNeed.ELEVATOR and vote.scope == VoteScope.ESTATE:
        raise DomainError(_("加装电梯应由所在单元（或楼栋）的业主表决。"), code="vote_scope")
    with transaction.atomic():
        item.vote = vote
        if vote.scope == VoteScope.ENTRANCE:
            item.entrance_id = vote.entrance_id
        item.save(update_fields=["vote", "entrance"])
        record_event(item.project, "vote_linked", actor, item=item, note=vote.title)
        audit_record(
            actor=actor, action="renovation.item_link_vote", obj=item, after={"vote": vote.pk}
        )
    return item


def item_set_funding(*, item: ProjectItem, funding: Mapping[str, int], actor: Actor) -> ProjectItem:
    """Replace an item's planned funding; the sources must add up to its budget. Money from
    the maintenance fund makes the item need the estate's owners' vote (Art. 278 item 5)."""
    MANAGE_PROJECTS.require(actor, item)
    unknown = set(funding) - set(FundSource.values)
    if unknown:
        raise DomainError(
            _("未知的资金来源：%(s)s。") % {"s": "、".join(sorted(unknown))}, code="source"
        )
    if any(int(v) < 0 for v in funding.values()):
        raise DomainError(_("资金不能为负数。"), code="negative")
    total = sum(int(v) for v in funding.values())
    if total != item.budget_fen:
        raise DomainError(
            _("各来源合计 %(total)s 元，与预算 %(budget)s 元不一致。")
            % {"total": yuan(total), "budget": yuan(item.budget_fen)},
            code="sum",
        )
    if item.project.stage not in (
        ProjectStage.RESERVE,
        ProjectStage.PLANNED,
        ProjectStage.APPROVED,
        ProjectStage.TENDERING,
    ):
        raise DomainError(_("开工后不能再改资金来源。"), code="stage")
    if item.payments.exists():
        raise DomainError(_("这个条目已有支付记录，不能再改资金来源。"), code="paid")
    with transaction.atomic():
        item.funding.all().delete()
        ItemFunding.objects.bulk_create(
            ItemFunding(item=item, source=s, planned_fen=int(v))
            for s, v in funding.items()
            if int(v)
        )
        figures.changed([item.estate_id], "items")
        if item.vote_need != VoteNeed.ELEVATOR:
            item.vote_need = (
                VoteNeed.FUND if int(funding.get(FundSource.FUND, 0)) else VoteNeed.NONE
            )
            if not item.vote_need:
                item.vote = None
            item.save(update_fields=["vote_need", "vote"])
        audit_record(
            actor=actor,
            action="renovation.item_set_funding",
            obj=item,
            after={k: int(v) for k, v in funding.items()},
        )
    return item


# --- stages ---------------------------------------------------------------------------------


def next_stage(stage: str) -> str | None:
    i = STAGE_ORDER.index(stage)
    return STAGE_ORDER[i + 1] if i + 1 < len(STAGE_ORDER) else None


def stage_blockers(project: Project, now: dt.datetime | None = None) -> list[str]:
    """What stops the project from moving to its next stage (empty: it may move)."""
    target = next_stage(project.stage)
    if target is None:
        return [_("项目已经完成。")]
    items = list(project.items.select_related("vote"))
    problems: list[str] = []
    if target == ProjectStage.WORKS:
        if project.builder_id is None or project.supervisor_id is None:
            problems.append(_("开工前要确定施工单位和监理单位。"))
        if not any(item_clearance(i, now)[0] for i in items):
            problems.append(_("没有一个条目可以开工：需业主表决的条目要等表决通过。"))
    elif target == ProjectStage.ACCEPTANCE:
        unfinished = [i for i in items if item_clearance(i, now)[0] and i.percent < 100]
        if unfinished:
            problems.append(
                _("还有 %(n)d 个条目未完工，例如“%(t)s”。")
                % {"n": len(unfinished), "t": unfinished[0].title}
            )
    elif (
        target == ProjectStage.COMPLETED
        and not project.acceptances.filter(status=AcceptanceStatus.PASSED).exists()
    ):
        problems.append(_("联合验收通过后项目才能完成。"))
    return problems


def project_advance(
    *, project: Project, actor: Actor, note: str = "", on: dt.date | None = None
) -> Project:
    """Move the project to its next stage if nothing stops it (see the module's rules)."""
    MANAGE_PROJECTS.require(actor, project)
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        problems = stage_blockers(locked)
        if problems:
            raise DomainError("；".join(problems), code="blocked")
        before = locked.stage
        target = next_stage(before)
        assert target is not None
        locked.stage = target
        today = on or timezone.localdate()
        if target == ProjectStage.WORKS and locked.started_on is None:
            locked.started_on = today
        if target == ProjectStage.COMPLETED:
            locked.completed_on = today
        locked.save()
        _follow_in_register(locked, actor)
        if target == ProjectStage.COMPLETED:
            _demands_done(locked, actor)
        record_event(locked, "stage", actor, from_stage=before, to_stage=target, note=note)
        audit_record(
            actor=actor,
            action="renovation.project_advance",
            obj=locked,
            before={"stage": before},
            after={"stage": target},
        )
    project.refresh_from_db()
    return project


def _follow_in_register(project: Project, actor: Actor) -> None:
    stage = REGISTER_STAGE.get(project.stage)
    if stage is None:
        return
    estates = Estate.objects.filter(project_entries__project=project).exclude(stage=stage)
    for estate in estates:
        audit_record(
            actor=actor,
            action="registry.estate_stage",
            obj=estate,
            before={"stage": estate.stage},
            after={"stage": stage, "project": project.pk},
        )
    estates.update(stage=stage)


def _demands_done(project: Project, actor: Actor) -> None:
    """The demands answered by items that passed the acceptance are done (已完成), through the
    needs services (the roles that manage projects manage the estate's demands too)."""
    from xiaoqu.needs import services as needs_services
    from xiaoqu.needs.models import Demand, DemandStatus

    accepted = Acceptance.objects.filter(project=project, status=AcceptanceStatus.PASSED)
    ids = set(
        project.items.filter(checks__acceptance__in=accepted)
        .exclude(demand=None)
        .values_list("demand_id", flat=True)
    )
    for demand in Demand.objects.filter(pk__in=ids, status=DemandStatus.PLANNED):
        needs_services.demand_set_status(demand=demand, status=DemandStatus.DONE, actor=actor)
