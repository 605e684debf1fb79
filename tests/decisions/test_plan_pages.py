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


# Each staff action on a plan has its own URL.
ACTIONS = {
    "add_item": "decisions:plan_item_add",
    "remove_item": "decisions:plan_item_remove",
    "exclude": "decisions:plan_exclude",
    "consult": "decisions:plan_consult",
    "publish": "decisions:plan_publish",
    "meetings": "decisions:plan_meetings",
}


def act(client, plan, action, **data):
    return client.post(reverse(ACTIONS[action], kwargs={"plan_id": plan.pk}), data)


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
        # The page comes back with the input and the message (nothing is added).
        assert response.status_code == 400
    assert not PlanItem.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "NaN"),
        ("quantity", "Infinity"),
        ("quantity", "1e20"),
        ("cost", "1e30"),
        ("cost", "sNaN"),
    ],
)
def test_numbers_the_item_cannot_hold_change_nothing(client, estate, staff, field, value):
    client.force_login(staff)
    client.post(reverse("decisions:plan_new", kwargs={"estate_id": estate.pk}), {"title": "方案"})
    plan = Plan.objects.get()
    data = {"title": "燃气立管", "quantity": "8", "unit": "户", "cost": "100"}
    data |= {"reason": "安全", "klass": "basic", field: value}
    data["fund_other"] = data["cost"]
    response = act(client, plan, action="add_item", **data)
    assert response.status_code == 400
    assert not PlanItem.objects.exists()
    page = client.get(reverse("decisions:plan_detail", kwargs={"plan_id": plan.pk}))
    assert page.status_code == 200


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


def test_each_staff_action_has_its_own_form_and_url(client, estate, staff):
    """Add an item, remove it, leave a demand out with a reason, consult the residents."""
    (roof,) = needs.opinions_record(
        estate=estate,
        items=[needs.OpinionInput(text="一下雨屋顶就漏水")],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    client.force_login(staff)
    client.post(reverse("decisions:plan_new", kwargs={"estate_id": estate.pk}), {"title": "方案"})
    plan = Plan.objects.get()
    safety = {"title": "燃气立管", "quantity": "8", "unit": "户", "cost": "100"}
    act(client, plan, "add_item", fund_other="100", reason="安全隐患", klass="basic", **safety)
    item = PlanItem.objects.get()
    page = client.get(reverse("decisions:plan_detail", kwargs={"plan_id": plan.pk})).content
    for url in (
        "plan_item_add",
        "plan_item_remove",
        "plan_exclude",
        "plan_consult",
        "plan_publish",
    ):
        assert reverse(f"decisions:{url}", kwargs={"plan_id": plan.pk}) in page.decode()
    act(client, plan, "remove_item", item=item.pk)
    assert not PlanItem.objects.exists()
    act(client, plan, "exclude", demand=roof.demand_id, reason="列入明年计划")
    assert plan.exclusions.get().demand_id == roof.demand_id
    act(client, plan, "add_item", fund_other="100", reason="安全隐患", klass="basic", **safety)
    today = dt.date.today()
    act(client, plan, "consult", starts=today.isoformat(), ends=str(today + dt.timedelta(days=7)))
    plan.refresh_from_db()
    assert plan.status == "consultation" and plan.consultation_ends == today + dt.timedelta(days=7)


def test_bad_ids_in_plan_forms_change_nothing(client, estate, staff):
    """An item or demand of another estate, or no number at all, gets a message, not a change."""
    plan = make_plan_in_consultation(estate, staff)
    other = make_plan_in_consultation(make_estate(name="别处"), make_user("admin"))
    client.force_login(staff)
    for action, data in (
        ("remove_item", {"item": other.items.get().pk}),
        ("remove_item", {"item": "x"}),
        ("exclude", {"demand": "9" * 30, "reason": "无"}),
        ("meetings", {"meetings": ["1x"]}),
    ):
        response = act(client, plan, action, **data)
        assert response.status_code == 302
    assert plan.items.count() == 1 and other.items.count() == 1
    assert not plan.exclusions.exists() and not plan.meetings.exists()


def test_staff_record_the_meetings_that_discussed_the_plan(client, estate, staff):
    from xiaoqu.meetings.services import meeting_create

    plan = make_plan_in_consultation(estate, staff)
    meeting = meeting_create(
        estate=estate,
        kind="courtyard",
        held_on=dt.date(2026, 3, 5),
        place="院坝",
        attendance=20,
        actor=staff,
    )
    client.force_login(staff)
    act(client, plan, "meetings", meetings=[meeting.pk])
    assert list(plan.meetings.all()) == [meeting]


def test_only_residents_get_the_comment_form(client, estate, staff):
    """Staff in scope read the public page but do not comment as residents."""
    plan = make_plan_in_consultation(estate, staff)
    client.force_login(staff)
    url = reverse("decisions:plan_public", kwargs={"plan_id": plan.pk})
    assert 'id="comment-form"' not in client.get(url).content.decode()
    comment = reverse("decisions:plan_comment", kwargs={"plan_id": plan.pk})
    assert client.post(comment, {"text": "x"}).status_code == 404
    assert not PlanComment.objects.exists()


def test_a_comment_on_an_item_of_another_plan_changes_nothing(client, estate, staff):
    plan = make_plan_in_consultation(estate, staff)
    other = make_plan_in_consultation(make_estate(name="别处"), make_user("admin"))
    client.force_login(make_user(person=make_owner(estate.dwellings.first())))
    comment = reverse("decisions:plan_comment", kwargs={"plan_id": plan.pk})
    client.post(comment, {"text": "立管更换请提前通知", "item": other.items.get().pk})
    assert not PlanComment.objects.exists()


def test_amounts_are_read_as_people_type_them(client, estate, staff):
    """`216,000` was refused as not a number."""
    from xiaoqu.decisions import services

    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    client.force_login(staff)
    for cost in ("216,000", "２１６，０００", "216000元", " 216000.00 "):
        act(
            client,
            plan,
            "add_item",
            title=f"外墙保温{cost.strip()}",
            quantity="1",
            unit="项",
            cost=cost,
            fund_central=cost,
            reason="节能改造",
            klass="improve",
        )
    costs = list(plan.items.values_list("cost_fen", "fund_central_fen"))
    assert costs == [(21_600_000, 21_600_000)] * 4
    for bad in ("21,60,00", "NaN", "Infinity", "二十万"):
        response = act(
            client,
            plan,
            "add_item",
            title="坏数",
            quantity="1",
            unit="项",
            cost=bad,
            reason="节能改造",
            klass="improve",
        )
        assert "估算造价不是数字" in response.content.decode(), bad
    assert plan.items.count() == 4


def test_a_consultation_shorter_than_a_week_is_refused_when_opened(client, estate, staff):
    from xiaoqu.decisions import services

    plan = services.plan_create(estate=estate, title="方案", actor=staff)
    client.force_login(staff)
    act(
        client,
        plan,
        "add_item",
        title="燃气立管",
        quantity="8",
        unit="户",
        cost="100",
        fund_other="100",
        reason="安全隐患",
        klass="basic",
    )
    today = dt.date.today()
    response = act(client, plan, "consult", starts=today.isoformat(), ends=today.isoformat())
    page = response.content.decode()
    assert response.status_code == 400 and "征求意见期太短" in page
    plan.refresh_from_db()
    assert plan.status == "draft"
    act(client, plan, "consult", starts=today.isoformat(), ends=str(today + dt.timedelta(days=7)))
    plan.refresh_from_db()
    assert plan.status == "consultation"
