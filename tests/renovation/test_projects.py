"""Batches and projects: creation from published plans, parties, votes behind items, stages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    make_company,
    make_estate,
    make_open_vote,
    make_project,
    make_published_plan,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.decisions.models import Plan, PlanStatus, VoteStatus
from xiaoqu.registry.models import RenovationStage
from xiaoqu.renovation.models import (
    Acceptance,
    AcceptanceCheck,
    AcceptanceStatus,
    CompanyKind,
    ProjectEvent,
    ProjectStage,
    VoteNeed,
)
from xiaoqu.renovation.services import projects

pytestmark = pytest.mark.django_db


def _to_tendering(project, actor):
    while project.stage != ProjectStage.TENDERING:
        project = projects.project_advance(project=project, actor=actor)
    return project


def _passed_vote(item, actor, *, objection_over=True):
    """An entrance vote on the item's estate, closed and published as passed."""
    entrance = item.estate.buildings.first().entrances.first()
    vote = make_open_vote(item.estate, actor, matter=7)
    vote.scope, vote.entrance, vote.building = "entrance", entrance, None
    vote.status = VoteStatus.CLOSED
    now = timezone.now()
    vote.result = {"passed": True, "matter": 7}
    vote.result_published_at = now - dt.timedelta(days=20)
    vote.objection_until = (
        now - dt.timedelta(days=5) if objection_over else now + dt.timedelta(days=5)
    )
    vote.save()
    return vote


def test_a_project_copies_the_published_plan_and_leaves_it_frozen(estate, staff):
    plan = make_published_plan(estate, staff)
    before = list(plan.items.values())
    project = projects.project_create(estates=[estate], name="改造", code="P-1", actor=staff)
    items = list(project.items.order_by("pk"))
    assert [i.title for i in items] == [i["title"] for i in before]
    assert [i.budget_fen for i in items] == [i["cost_fen"] for i in before]
    sewer, sidewalk, elevator = items
    assert {f.source: f.planned_fen for f in sewer.funding.all()} == {
        "central": 20000000,
        "local": 10000000,
    }
    assert elevator.vote_need == VoteNeed.ELEVATOR and sewer.vote_need == VoteNeed.NONE
    assert list(plan.items.values()) == before
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.PUBLISHED
    assert project.stage == ProjectStage.RESERVE
    assert ProjectEvent.objects.filter(project=project, kind="created").count() == 1


def test_no_project_without_a_published_plan_nor_twice_for_one_estate(estate, staff):
    with pytest.raises(DomainError) as no_plan:
        projects.project_create(estates=[estate], name="改造", code="P-1", actor=staff)
    assert no_plan.value.code == "no_plan"
    make_published_plan(estate, staff)
    projects.project_create(estates=[estate], name="改造", code="P-1", actor=staff)
    with pytest.raises(DomainError) as busy:
        projects.project_create(estates=[estate], name="再改造", code="P-2", actor=staff)
    assert busy.value.code == "busy"


def test_out_of_scope_staff_cannot_create_a_project(estate):
    make_published_plan(estate)
    outsider = make_user(
        Role.COMMUNITY_STAFF,
        region=region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1],
        password=None,
    )
    with pytest.raises(DomainError):
        projects.project_create(estates=[estate], name="改造", code="P-1", actor=outsider)
    assert not AuditLog.objects.filter(action="renovation.project_create").exists()


def test_no_works_without_builder_and_supervisor(estate, staff):
    make_published_plan(estate, staff)
    project = projects.project_create(estates=[estate], name="改造", code="P-1", actor=staff)
    project = _to_tendering(project, staff)
    with pytest.raises(DomainError) as blocked:
        projects.project_advance(project=project, actor=staff)
    assert "施工单位" in str(blocked.value)
    project.refresh_from_db()
    assert project.stage == ProjectStage.TENDERING


def test_no_works_on_an_item_whose_vote_has_not_passed(estate, staff):
    """Only the elevator: refused until its entrance's vote passed and the notice is over."""
    project = make_project(
        estate, staff, items=[("加装电梯", "enhance", 600000, {"owners": 600000})]
    )
    project = _to_tendering(project, staff)
    (elevator,) = project.items.all()
    assert projects.item_clearance(elevator) == (False, projects.item_clearance(elevator)[1])
    with pytest.raises(DomainError):
        projects.project_advance(project=project, actor=staff)
    vote = _passed_vote(elevator, staff, objection_over=False)
    projects.item_link_vote(item=elevator, vote=vote, actor=staff)
    assert not projects.item_clearance(elevator)[0]
    with pytest.raises(DomainError):
        projects.project_advance(project=project, actor=staff)
    vote.objection_until = timezone.now() - dt.timedelta(minutes=1)
    vote.save()
    elevator.refresh_from_db()
    assert projects.item_clearance(elevator)[0]
    project = projects.project_advance(project=project, actor=staff)
    assert project.stage == ProjectStage.WORKS
    estate.refresh_from_db()
    assert estate.stage == RenovationStage.WORKS


def test_a_vote_on_the_wrong_matter_or_scope_is_refused(estate, staff):
    project = make_project(estate, staff)
    elevator = project.items.get(vote_need=VoteNeed.ELEVATOR)
    estate_wide = make_open_vote(estate, staff, matter=7)
    with pytest.raises(DomainError) as scope:
        projects.item_link_vote(item=elevator, vote=estate_wide, actor=staff)
    assert scope.value.code == "vote_scope"
    fund_vote = make_open_vote(estate, staff, matter=5)
    with pytest.raises(DomainError) as matter:
        projects.item_link_vote(item=elevator, vote=fund_vote, actor=staff)
    assert matter.value.code == "vote_matter"
    sewer = project.items.get(title="雨污分流管网改造")
    with pytest.raises(DomainError):
        projects.item_link_vote(item=sewer, vote=fund_vote, actor=staff)


def test_maintenance_fund_money_makes_an_item_need_the_owners_vote(estate, staff):
    project = make_project(estate, staff)
    sewer = project.items.get(title="雨污分流管网改造")
    with pytest.raises(DomainError) as wrong_sum:
        projects.item_set_funding(item=sewer, funding={"central": 1}, actor=staff)
    assert wrong_sum.value.code == "sum"
    projects.item_set_funding(
        item=sewer, funding={"central": 20000000, "fund": 10000000}, actor=staff
    )
    sewer.refresh_from_db()
    assert sewer.vote_need == VoteNeed.FUND
    assert not projects.item_clearance(sewer)[0]


def test_the_stages_run_in_order_and_completion_needs_a_passed_acceptance(estate, staff):
    project = make_project(
        estate, staff, items=[("雨污分流管网改造", "basic", 300000, {"central": 300000})]
    )
    seen = [project.stage]
    project = _to_tendering(project, staff)
    project = projects.project_advance(project=project, actor=staff)
    seen.append(project.stage)
    item = project.items.get()
    with pytest.raises(DomainError):  # not finished
        projects.project_advance(project=project, actor=staff)
    item.percent = 100
    item.save()
    project = projects.project_advance(project=project, actor=staff)
    assert project.stage == ProjectStage.ACCEPTANCE
    with pytest.raises(DomainError) as blocked:
        projects.project_advance(project=project, actor=staff)
    assert "联合验收" in str(blocked.value)
    acceptance = Acceptance.objects.create(
        project=project,
        held_on=dt.date.today(),
        created_by=staff,
        status=AcceptanceStatus.RECTIFYING,
    )
    AcceptanceCheck.objects.create(
        acceptance=acceptance, item=item, passed=False, defects="井盖不平"
    )
    with pytest.raises(DomainError):
        projects.project_advance(project=project, actor=staff)
    acceptance.status = AcceptanceStatus.PASSED
    acceptance.save()
    project = projects.project_advance(project=project, actor=staff)
    assert project.stage == ProjectStage.COMPLETED
    estate.refresh_from_db()
    assert estate.stage == RenovationStage.ACCEPTED
    stages = list(
        ProjectEvent.objects.filter(project=project, kind="stage").values_list(
            "from_stage", "to_stage"
        )
    )
    assert stages == list(
        zip(list(ProjectStage.values)[:-1], list(ProjectStage.values)[1:], strict=True)
    )
    with pytest.raises(DomainError):
        projects.project_advance(project=project, actor=staff)


def test_parties_must_be_of_the_right_kind(estate, staff):
    project = make_project(estate, staff)
    designer = make_company(CompanyKind.DESIGNER)
    with pytest.raises(DomainError) as kind:
        projects.project_set_parties(project=project, actor=staff, builder=designer)
    assert kind.value.code == "company_kind"


def test_a_batch_counts_its_estates_buildings_and_households(staff):
    province = region_chain()[0]
    a = make_estate(buildings=2, floors=2, per_floor=2)
    b = make_estate(buildings=1, floors=3, per_floor=2)
    bureau = make_user(Role.HOUSING_BUREAU, region=province, password=None)
    batch = projects.batch_create(
        region=province, year=2025, name="2025年度中央补助支持计划", estates=[a, b], actor=bureau
    )
    entries = {e.estate_id: (e.buildings, e.households) for e in batch.entries.all()}
    assert entries == {a.pk: (2, 8), b.pk: (1, 6)}
    with pytest.raises(DomainError):
        projects.batch_create(
            region=province, year=2025, name="2025年度中央补助支持计划", estates=[a], actor=bureau
        )
    with pytest.raises(DomainError):
        projects.batch_create(region=province, year=2025, name="另一个", estates=[a], actor=staff)


def test_every_kind_of_event_the_services_record_has_a_label():
    """The project page names each event; a new kind without a label would show its code."""
    import re
    from pathlib import Path

    from xiaoqu.renovation.models import EVENT_LABELS

    services = Path(projects.__file__).parent
    kinds = set()
    for source in services.glob("*.py"):
        text = source.read_text()
        kinds |= set(re.findall(r'record_event\(\s*[\w.]+,\s*"([a-z_]+)"', text))
        if 'f"money_{entry.kind}"' in text:
            kinds |= {"money_receipt", "money_payment"}
    assert kinds and kinds <= set(EVENT_LABELS)


def test_funding_cannot_change_once_the_item_has_payments(estate, staff):
    """Payments are recorded against a source; changing the plan under them would leave
    money paid from a source the item no longer has."""
    import datetime as dt

    from xiaoqu.renovation.services import money

    project = make_project(estate, staff)
    sewer = project.items.get(title="雨污分流管网改造")
    money.payment_record(
        item=sewer,
        source="central",
        amount="1000",
        on=dt.date.today(),
        payee="施工单位",
        actor=staff,
    )
    with pytest.raises(DomainError) as paid:
        projects.item_set_funding(
            item=sewer, funding={"central": 20000000, "fund": 10000000}, actor=staff
        )
    assert paid.value.code == "paid"
    assert {f.source for f in sewer.funding.all()} == {"central", "local"}
