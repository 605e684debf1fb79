"""Renovation plans: items from the demand list or with a reason, funding, consultation,
publication that answers every demand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions import selectors, services
from xiaoqu.decisions.models import PlanComment, PlanItem
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Channel, Demand, DemandSource

pytestmark = pytest.mark.django_db

FUNDS = {"central": Decimal("60000"), "local": Decimal("30000"), "owners": Decimal("10000")}


@pytest.fixture
def estate():
    return make_estate(name="方案小区", floors=2, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def demands(estate, staff):
    roof, parking = needs.opinions_record(
        estate=estate,
        items=[needs.OpinionInput(text="一下雨屋顶就漏水"), needs.OpinionInput(text="停车位太少")],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    return roof.demand, parking.demand


def add_roof(plan, staff, demand, **kwargs):
    return services.plan_item_add(
        plan=plan,
        actor=staff,
        title="屋面防水翻新",
        quantity=Decimal("1200"),
        unit="m²",
        cost_yuan=Decimal("100000"),
        funding_yuan=FUNDS,
        demand=demand,
        **kwargs,
    )


def test_an_item_answers_a_demand_and_takes_its_class(estate, staff, demands):
    plan = services.plan_create(estate=estate, title="2026年改造方案", actor=staff)
    item = add_roof(plan, staff, demands[0])
    assert item.klass == "basic" and item.cost_fen == 10_000_000


def test_funding_must_add_up_to_the_cost(estate, staff, demands):
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    with pytest.raises(DomainError) as error:
        services.plan_item_add(
            plan=plan,
            actor=staff,
            title="屋面防水",
            quantity=Decimal(1),
            unit="项",
            cost_yuan=Decimal("100000"),
            funding_yuan={"central": Decimal("50000")},
            demand=demands[0],
        )
    assert error.value.code == "funding_sum"
    assert not PlanItem.objects.exists()


def test_the_database_refuses_funding_that_does_not_add_up(estate, staff, demands):
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    item = add_roof(plan, staff, demands[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanItem.objects.filter(pk=item.pk).update(fund_owners_fen=1)


def test_an_item_not_from_the_list_needs_a_reason(estate, staff):
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    with pytest.raises(DomainError) as error:
        services.plan_item_add(
            plan=plan,
            actor=staff,
            title="更换燃气立管",
            quantity=Decimal(24),
            unit="户",
            cost_yuan=Decimal("48000"),
            funding_yuan={"utilities": Decimal("48000")},
            klass="basic",
        )
    assert error.value.code == "reason_required"
    item = services.plan_item_add(
        plan=plan,
        actor=staff,
        title="更换燃气立管",
        quantity=Decimal(24),
        unit="户",
        cost_yuan=Decimal("48000"),
        funding_yuan={"utilities": Decimal("48000")},
        klass="basic",
        reason="燃气公司安全检查发现立管锈蚀，属安全隐患",
    )
    assert item.demand is None


def test_a_demand_of_another_estate_is_refused(estate, staff, demands):
    other = make_estate(name="别处")
    (o,) = needs.opinions_record(
        estate=other,
        items=[needs.OpinionInput(text="屋顶漏水")],
        channel=Channel.HOTLINE,
        actor=make_user("community_staff", estate=other),
    )
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    with pytest.raises(DomainError) as error:
        add_roof(plan, staff, o.demand)
    assert error.value.code == "demand_estate"


def test_publishing_needs_every_demand_answered_or_explained(estate, staff, demands):
    roof, parking = demands
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    add_roof(plan, staff, roof)
    with pytest.raises(DomainError) as error:
        services.plan_publish(plan=plan, actor=staff)
    assert error.value.code == "unanswered" and "停车" in error.value.message
    services.plan_exclusion_set(
        plan=plan, demand=parking, reason="院内无空地，由社区协调周边道路夜间停车", actor=staff
    )
    services.plan_publish(plan=plan, actor=staff)
    roof.refresh_from_db()
    assert roof.status == "planned"
    with pytest.raises(DomainError):
        add_roof(plan, staff, parking)


def test_consultation_takes_residents_comments_in_its_period(estate, staff, demands):
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    item = add_roof(plan, staff, demands[0])
    today = dt.date.today()
    services.plan_open_consultation(
        plan=plan, starts=today, ends=today + dt.timedelta(days=7), actor=staff
    )
    resident = make_user(person=make_owner(estate.dwellings.first()))
    services.plan_comment(plan=plan, user=resident, text="防水层希望用质保十年的", item=item)
    outsider = make_user(person=make_owner(make_estate(name="别处").dwellings.first()))
    with pytest.raises(DomainError) as error:
        services.plan_comment(plan=plan, user=outsider, text="我也说两句")
    assert error.value.code == "not_resident"
    with pytest.raises(DomainError) as error:
        services.plan_publish(plan=plan, actor=staff)
    assert error.value.code == "consulting"
    assert PlanComment.objects.count() == 1


def test_a_new_version_starts_from_the_last(estate, staff, demands):
    first = services.plan_create(estate=estate, title="方案", actor=staff)
    add_roof(first, staff, demands[0])
    services.plan_exclusion_set(plan=first, demand=demands[1], reason="暂无场地", actor=staff)
    second = services.plan_create(estate=estate, title="方案（修订）", actor=staff)
    assert second.version == 2
    assert second.items.get().demand == demands[0]
    assert second.exclusions.get().demand == demands[1]


def test_grid_workers_and_owners_committees_cannot_draw_up_plans(estate, demands):
    for role in ("grid_worker", "owners_committee"):
        with pytest.raises(DomainError):
            services.plan_create(estate=estate, title="方案", actor=make_user(role, estate=estate))
    assert Demand.objects.count() == 2


@pytest.mark.parametrize(
    ("quantity", "cost", "code"),
    [
        (Decimal("NaN"), Decimal(100), "quantity"),
        (Decimal("Infinity"), Decimal(100), "quantity"),
        (Decimal("1e20"), Decimal(100), "quantity"),
        (Decimal("1.005"), Decimal(100), "quantity"),
        (Decimal("-1"), Decimal(100), "quantity"),
        (Decimal(1), Decimal("1e30"), "money"),
        (Decimal(1), Decimal("NaN"), "money"),
        (Decimal(1), Decimal("-Infinity"), "money"),
        (Decimal(1), Decimal("1e9999999999"), "money"),
    ],
)
def test_item_numbers_must_fit_the_fields(estate, staff, quantity, cost, code):
    """The service is the gate for every caller: a number the column cannot hold (NaN, infinite,
    more digits or places than max_digits=12, decimal_places=2) is refused with a message."""
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    with pytest.raises(DomainError) as error:
        services.plan_item_add(
            plan=plan,
            actor=staff,
            title="燃气立管",
            quantity=quantity,
            unit="户",
            cost_yuan=cost,
            funding_yuan={"other": cost},
            reason="安全隐患",
            klass="basic",
        )
    assert error.value.code == code and error.value.message
    assert not PlanItem.objects.exists()


def test_the_largest_item_numbers_the_fields_hold_are_taken(estate, staff):
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    item = services.plan_item_add(
        plan=plan,
        actor=staff,
        title="燃气立管",
        quantity=Decimal("9999999999.99"),
        unit="户",
        cost_yuan=Decimal("9999999999.99"),
        funding_yuan={"other": Decimal("9999999999.99")},
        reason="安全隐患",
        klass="basic",
    )
    item.refresh_from_db()
    assert item.quantity == Decimal("9999999999.99") and item.cost_fen == 999_999_999_999


@pytest.mark.parametrize("source", [DemandSource.STAFF, DemandSource.ANALYSIS])
def test_publishing_waits_for_a_demand_no_opinion_raised(estate, staff, demands, source):
    """A demand staff added or the life-circle analysis raised has no opinions; the plan page
    lists it as not dealt with, so publishing refuses until it is answered or explained."""
    roof, parking = demands
    lift = needs.demand_create(
        estate=estate, category=roof.category, title="加装电梯", actor=staff, source=source
    )
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    add_roof(plan, staff, roof)
    services.plan_exclusion_set(plan=plan, demand=parking, reason="院内无空地", actor=staff)
    assert [d.pk for d in selectors.plan_view(plan=plan).unanswered] == [lift.pk]
    with pytest.raises(DomainError) as error:
        services.plan_publish(plan=plan, actor=staff)
    assert error.value.code == "unanswered" and "加装电梯" in error.value.message
    services.plan_exclusion_set(plan=plan, demand=lift, reason="楼间距不足", actor=staff)
    assert selectors.plan_view(plan=plan).unanswered == []
    services.plan_publish(plan=plan, actor=staff)


def test_finding_unanswered_demands_takes_one_query_however_many(estate, staff, demands):
    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    with CaptureQueriesContext(connection) as few:
        assert len(selectors.unanswered_demands(plan=plan)) == 2
    for n in range(5):
        needs.demand_create(estate=estate, category="parking", title=f"需求{n}", actor=staff)
    with CaptureQueriesContext(connection) as many:
        assert len(selectors.unanswered_demands(plan=plan)) == 7
    assert len(many) == len(few) == 1
