"""Plan pages: staff build a plan from the demand list; residents read it and comment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import make_estate, make_owner, make_plan_in_consultation, make_user
from xiaoqu.decisions.models import Plan, PlanComment, PlanItem
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(name="方案小区", floors=2, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


def act(client, plan, **data):
    return client.post(reverse("decisions:plan_action", kwargs={"plan_id": plan.pk}), data)


def test_staff_build_and_publish_a_plan_through_the_pages(client, estate, staff):
    (roof,) = needs.opinions_record(
        estate=estate,
        items=[needs.OpinionInput(text="一下雨屋顶就漏水")],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    client.force_login(staff)
    client.post(
        reverse("decisions:plan_new", kwargs={"estate_id": estate.pk}), {"title": "2026年改造方案"}
    )
    plan = Plan.objects.get()
    page = client.get(
        reverse("decisions:plan_detail", kwargs={"plan_id": plan.pk})
    ).content.decode()
    assert "尚未说明" in page and "一下雨屋顶就漏水" in page
    act(
        client,
        plan,
        action="add_item",
        demand=roof.demand_id,
        title="屋面防水翻新",
        quantity="1200",
        unit="m²",
        cost="100000",
        fund_central="60000",
        fund_local="40000",
    )
    item = PlanItem.objects.get()
    assert item.cost_fen == 10_000_000 and item.demand_id == roof.demand_id
    act(client, plan, action="publish")
    plan.refresh_from_db()
    assert plan.status == "published"
    page = client.get(
        reverse("decisions:plan_public", kwargs={"plan_id": plan.pk})
    ).content.decode()
    assert "100,000.00" in page and "已列入方案" in page


def test_bad_item_input_changes_nothing(client, estate, staff):
    client.force_login(staff)
    client.post(reverse("decisions:plan_new", kwargs={"estate_id": estate.pk}), {"title": "方案"})
    plan = Plan.objects.get()
    for data in (
        {"title": "燃气立管", "quantity": "8", "unit": "户", "cost": "abc"},
        {
            "title": "燃气立管",
            "quantity": "8",
            "unit": "户",
            "cost": "100",
            "fund_other": "90",
            "reason": "安全",
            "klass": "basic",
        },
        {"title": "燃气立管", "quantity": "8", "unit": "户", "cost": "100", "fund_other": "100"},
        {
            "title": "燃气立管",
            "quantity": "8",
            "unit": "户",
            "cost": "100",
            "demand": "x'--",
            "reason": "安全",
            "klass": "basic",
        },
    ):
        response = act(client, plan, action="add_item", **data)
        assert response.status_code == 302
    assert not PlanItem.objects.exists()


def test_residents_comment_during_consultation_and_drafts_stay_hidden(client, estate, staff):
    plan = make_plan_in_consultation(estate, staff)
    resident = make_user(person=make_owner(estate.dwellings.first()))
    client.force_login(resident)
    url = reverse("decisions:plan_public", kwargs={"plan_id": plan.pk})
    assert 'id="comment-form"' in client.get(url).content.decode()
    client.post(
        reverse("decisions:plan_comment", kwargs={"plan_id": plan.pk}),
        {"text": "立管更换请提前通知停气时间"},
    )
    assert PlanComment.objects.get().author == resident
    client.force_login(staff)
    client.post(
        reverse("decisions:plan_new", kwargs={"estate_id": estate.pk}), {"title": "方案（修订）"}
    )
    draft = Plan.objects.get(version=2)
    client.force_login(resident)
    assert (
        client.get(reverse("decisions:plan_public", kwargs={"plan_id": draft.pk})).status_code
        == 404
    )
    assert (
        client.get(reverse("decisions:plan_detail", kwargs={"plan_id": plan.pk})).status_code == 404
    )


def test_outsiders_and_grid_workers(client, estate, staff):
    plan = make_plan_in_consultation(estate, staff)
    outsider = make_user(person=make_owner(make_estate(name="别处").dwellings.first()))
    client.force_login(outsider)
    assert (
        client.get(reverse("decisions:plan_public", kwargs={"plan_id": plan.pk})).status_code == 404
    )
    response = client.post(
        reverse("decisions:plan_comment", kwargs={"plan_id": plan.pk}), {"text": "x"}
    )
    assert response.status_code == 404
    client.force_login(make_user("grid_worker", estate=estate))
    assert act(client, plan, action="publish").status_code == 404
    plan.refresh_from_db()
    assert plan.status == "consultation" and plan.consultation_ends > dt.date.today()
