"""Plan forms keep what was typed after a mistake, the consultation's dates move only with a
reason, and several demands become items at once (issue 13)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import make_estate, make_owner, make_plan_in_consultation, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Plan, PlanItem
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Channel

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def estate():
    return make_estate(name="方案小区", floors=2, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def demands(estate, staff):
    opinions = needs.opinions_record(
        estate=estate,
        items=[
            needs.OpinionInput(text="一下雨屋顶就漏水"),
            needs.OpinionInput(text="停车位太少"),
            needs.OpinionInput(text="想加装电梯"),
        ],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    return [o.demand for o in opinions]


@pytest.fixture
def plan(estate, staff):
    return services.plan_create(estate=estate, title="2026年改造方案", actor=staff)


def has_value(page: str, name: str, value: str) -> bool:
    """Whether the page has an input ``name`` holding ``value``."""
    pattern = rf'<input[^>]*name="{re.escape(name)}"[^>]*value="{re.escape(value)}"'
    reverse_pattern = rf'<input[^>]*value="{re.escape(value)}"[^>]*name="{re.escape(name)}"'
    return bool(re.search(pattern, page) or re.search(reverse_pattern, page))


# --- the item form keeps what was typed --------------------------------------------------------


def test_a_wrong_item_comes_back_with_everything_typed_and_the_error_beside_it(
    client, plan, staff, demands
):
    client.force_login(staff)
    typed = {
        "demand": str(demands[0].pk),
        "title": "屋面防水翻新",
        "quantity": "1,200",
        "unit": "m²",
        "cost": "216,000",
        "fund_central": "100000",
        "fund_local": "60000",
        "fund_owners": "20000",
    }
    response = client.post(reverse("decisions:plan_item_add", kwargs={"plan_id": plan.pk}), typed)
    page = response.content.decode()
    assert response.status_code == 400
    assert "资金来源合计 180000 元，与估算造价 216000 元不符" in page
    for name, value in typed.items():
        if name != "demand":
            assert has_value(page, name, value), name
    assert f'<option value="{demands[0].pk}" selected>' in page
    assert not PlanItem.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"cost": "二十万"}, "cost", "估算造价不是数字"),
        ({"quantity": "0"}, "quantity", "数量：必须大于0"),
        ({"fund_central": "-5"}, "fund_central", "中央补助不能是负数"),
        ({"title": ""}, "title", "请填写改造内容"),
        ({"demand": "", "reason": ""}, "reason", "须写明列入理由"),
        ({"demand": "9" * 30}, "demand", "需求不属于这个小区"),
    ],
)
def test_each_mistake_is_shown_beside_its_field(
    client, plan, staff, demands, change, field, message
):
    client.force_login(staff)
    data = {
        "demand": str(demands[0].pk),
        "title": "屋面防水翻新",
        "quantity": "1",
        "unit": "项",
        "cost": "100",
        "fund_other": "100",
    } | change
    response = client.post(reverse("decisions:plan_item_add", kwargs={"plan_id": plan.pk}), data)
    page = response.content.decode()
    assert response.status_code == 400
    # The message stands in the field's own box, after its input.
    box = re.search(rf'name="{field}".*?</div>', page, re.S)
    assert box and message in box.group(0), (field, message)
    assert has_value(page, "unit", "项")
    assert not PlanItem.objects.exists()


def test_a_new_plan_whose_title_is_wrong_keeps_it(client, estate, staff):
    client.force_login(staff)
    title = "方" * 201
    response = client.post(
        reverse("decisions:plan_new", kwargs={"estate_id": estate.pk}), {"title": title}
    )
    assert response.status_code == 400 and has_value(response.content.decode(), "title", title)
    assert not Plan.objects.exists()


# --- the consultation's dates ------------------------------------------------------------------


def test_the_consultation_dates_move_with_a_reason_that_residents_read(client, estate, staff):
    plan = make_plan_in_consultation(estate, staff)
    owner = make_user(person=make_owner(estate.dwellings.first()))
    new_end = plan.consultation_ends + dt.timedelta(days=5)
    services.plan_consultation_change(
        plan=plan,
        starts=plan.consultation_starts,
        ends=new_end,
        reason="议事会请求延长",
        actor=staff,
    )
    plan.refresh_from_db()
    assert plan.consultation_ends == new_end
    row = AuditLog.objects.get(action="decisions.plan_consultation_change")
    assert row.after == {
        "starts": plan.consultation_starts.isoformat(),
        "ends": new_end.isoformat(),
        "reason": "议事会请求延长",
    }
    assert row.before["ends"] == (TODAY + dt.timedelta(days=10)).isoformat()
    client.force_login(owner)
    public = client.get(reverse("decisions:plan_public", kwargs={"plan_id": plan.pk}))
    assert "议事会请求延长" in public.content.decode()
    # Residents with a login are told of the new period and why (a second message, not the
    # opening one again).
    from xiaoqu.notify.models import Notification

    told = Notification.objects.filter(person=owner.person, key__startswith=f"plan:{plan.pk}:")
    assert told.filter(key__endswith=new_end.isoformat()).count() == 1
    assert "议事会请求延长" in told.get(key__endswith=new_end.isoformat()).body


@pytest.mark.parametrize(
    ("starts", "ends", "reason", "code"),
    [
        (0, 20, "", "reason_required"),
        (0, 20, "因" * 501, "reason_long"),
        (0, -1, "提前结束", "ends_past"),
        (0, 5, "缩短", "too_short"),
        (1, 20, "晚一天开始", "started"),
        (0, 10, "没有变", "unchanged"),
    ],
)
def test_a_consultation_change_is_checked(estate, staff, starts, ends, reason, code):
    """Reason required; the end not before today; at least XIAOQU_PLAN_CONSULTATION_DAYS; a
    start that has come does not move; and something must change."""
    plan = make_plan_in_consultation(estate, staff)
    with pytest.raises(DomainError) as error:
        services.plan_consultation_change(
            plan=plan,
            starts=TODAY + dt.timedelta(days=starts),
            ends=TODAY + dt.timedelta(days=ends),
            reason=reason,
            actor=staff,
        )
    assert error.value.code == code
    plan.refresh_from_db()
    assert plan.consultation_ends == TODAY + dt.timedelta(days=10)
    assert not AuditLog.objects.filter(action="decisions.plan_consultation_change").exists()


def test_a_start_still_ahead_may_move_but_not_into_the_past(estate, staff):
    plan = make_plan_in_consultation(estate, staff)
    Plan.objects.filter(pk=plan.pk).update(
        consultation_starts=TODAY + dt.timedelta(days=2),
        consultation_ends=TODAY + dt.timedelta(days=12),
    )
    plan.refresh_from_db()
    with pytest.raises(DomainError) as error:
        services.plan_consultation_change(
            plan=plan,
            starts=TODAY - dt.timedelta(days=1),
            ends=TODAY + dt.timedelta(days=12),
            reason="提前",
            actor=staff,
        )
    assert error.value.code == "starts_past"
    services.plan_consultation_change(
        plan=plan,
        starts=TODAY + dt.timedelta(days=4),
        ends=TODAY + dt.timedelta(days=14),
        reason="推后两天",
        actor=staff,
    )
    plan.refresh_from_db()
    assert plan.consultation_starts == TODAY + dt.timedelta(days=4)


def test_only_an_opened_consultation_changes_and_only_by_plan_staff(estate, staff, plan):
    with pytest.raises(DomainError) as error:
        services.plan_consultation_change(
            plan=plan, starts=TODAY, ends=TODAY + dt.timedelta(days=9), reason="x", actor=staff
        )
    assert error.value.code == "not_consulting"
    opened = make_plan_in_consultation(make_estate(name="另一小区"), make_user("admin"))
    grid = make_user("grid_worker", estate=opened.estate)
    with pytest.raises(Exception):  # noqa: B017 - the permission's own refusal
        services.plan_consultation_change(
            plan=opened,
            starts=opened.consultation_starts,
            ends=TODAY + dt.timedelta(days=20),
            reason="x",
            actor=grid,
        )


def test_the_staff_form_changes_the_dates_and_keeps_the_input_on_a_mistake(client, estate, staff):
    plan = make_plan_in_consultation(estate, staff)
    client.force_login(staff)
    page = client.get(reverse("decisions:plan_detail", kwargs={"plan_id": plan.pk}))
    assert 'id="change-form"' in page.content.decode()
    url = reverse("decisions:plan_consultation_change", kwargs={"plan_id": plan.pk})
    data = {
        "starts": plan.consultation_starts.isoformat(),
        "ends": (TODAY + dt.timedelta(days=3)).isoformat(),
        "reason": "议事会请求",
    }
    wrong = client.post(url, data)
    text = wrong.content.decode()
    assert wrong.status_code == 400 and "征求意见期太短" in text and "议事会请求</textarea>" in text
    data["ends"] = (TODAY + dt.timedelta(days=15)).isoformat()
    client.post(url, data)
    plan.refresh_from_db()
    assert plan.consultation_ends == TODAY + dt.timedelta(days=15)
    page = client.get(reverse("decisions:plan_detail", kwargs={"plan_id": plan.pk}))
    assert "原因：议事会请求" in page.content.decode()


def test_the_admin_shows_an_opened_consultations_dates_read_only(estate, staff, plan):
    request = RequestFactory().get("/")
    request.user = make_user("admin")
    model_admin = site._registry[Plan]
    assert "consultation_ends" not in model_admin.get_readonly_fields(request, plan)
    opened = make_plan_in_consultation(make_estate(name="另一小区"), staff)
    readonly = model_admin.get_readonly_fields(request, opened)
    assert {"consultation_starts", "consultation_ends"} <= set(readonly)


# --- several demands at once -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cost_fen", "split", "expected"),
    [
        (10_000, {"central": 60, "local": 30, "owners": 10}, (6_000, 3_000, 1_000, 0, 0)),
        (
            100,
            {"central": Decimal("33.34"), "local": Decimal("33.33"), "owners": Decimal("33.33")},
            (34, 33, 33, 0, 0),
        ),
        (1, {"central": 50, "local": 50}, (1, 0, 0, 0, 0)),
        (7, {"utilities": 100}, (0, 0, 0, 7, 0)),
    ],
)
def test_a_split_shares_an_amount_exactly(cost_fen, split, expected):
    split = {k: Decimal(v) for k, v in split.items()}
    fen = services.split_fen(cost_fen, split)
    assert tuple(fen[k] for k in ("central", "local", "owners", "utilities", "other")) == expected
    assert sum(fen.values()) == cost_fen


def test_several_demands_become_items_at_once_with_one_split(plan, staff, demands):
    roof, parking, lift = demands
    services.plan_exclusion_set(plan=plan, demand=parking, reason="明年再议", actor=staff)
    items = services.plan_items_add(
        plan=plan,
        items=[
            services.NewItem(roof, "屋面防水", Decimal(1200), "m²", Decimal("216000")),
            services.NewItem(parking, "划停车位", Decimal(30), "个", Decimal("45000.01")),
        ],
        split={"central": Decimal(60), "local": Decimal(30), "owners": Decimal(10)},
        actor=staff,
    )
    assert [i.demand for i in items] == [roof, parking]
    first = PlanItem.objects.get(demand=roof)
    assert (first.fund_central_fen, first.fund_local_fen, first.fund_owners_fen) == (
        12_960_000,
        6_480_000,
        2_160_000,
    )
    second = PlanItem.objects.get(demand=parking)
    assert second.cost_fen == 4_500_001
    assert (
        second.fund_central_fen + second.fund_local_fen + second.fund_owners_fen == second.cost_fen
    )
    # Adding the demand answers it: its earlier exclusion goes.
    assert not plan.exclusions.exists()
    assert AuditLog.objects.filter(action="decisions.plan_item_add").count() == 2


def test_a_batch_with_one_wrong_item_adds_nothing_and_names_each_mistake(plan, staff, demands):
    roof, parking, lift = demands
    services.plan_item_add(
        plan=plan,
        actor=staff,
        title="电梯",
        quantity=Decimal(1),
        unit="台",
        cost_yuan=Decimal(1),
        funding_yuan={"other": Decimal(1)},
        demand=lift,
    )
    with pytest.raises(services.PlanItemsRefused) as refused:
        services.plan_items_add(
            plan=plan,
            items=[
                services.NewItem(roof, "屋面防水", Decimal(1), "m²", Decimal("100")),
                services.NewItem(parking, "停车", Decimal(1), "", Decimal("100")),
                services.NewItem(lift, "电梯", Decimal(1), "台", Decimal("100")),
            ],
            split={"local": Decimal(100)},
            actor=staff,
        )
    assert set(refused.value.errors) == {1, 2}
    assert refused.value.errors[1].code == "unit"
    assert refused.value.errors[2].code == "demand_twice"
    assert plan.items.count() == 1


@pytest.mark.parametrize(
    ("split", "code"),
    [
        ({"central": Decimal(60), "local": Decimal(30)}, "split_sum"),
        ({"central": Decimal(120), "local": Decimal(-20)}, "split"),
        ({"central": Decimal("33.333"), "local": Decimal("66.667")}, "split"),
        ({"bank": Decimal(100)}, "funding"),
    ],
)
def test_a_wrong_split_adds_nothing(plan, staff, demands, split, code):
    with pytest.raises(DomainError) as error:
        services.plan_items_add(
            plan=plan,
            items=[services.NewItem(demands[0], "屋面防水", Decimal(1), "m²", Decimal(100))],
            split=split,
            actor=staff,
        )
    assert error.value.code == code
    assert not plan.items.exists()


def batch_url(plan) -> str:
    return reverse("decisions:plan_items_batch", kwargs={"plan_id": plan.pk})


def test_the_batch_page_ticks_demands_then_takes_their_costs(client, plan, staff, demands):
    roof, parking, lift = demands
    services.plan_item_add(
        plan=plan,
        actor=staff,
        title="电梯",
        quantity=Decimal(1),
        unit="台",
        cost_yuan=Decimal(100),
        funding_yuan={"central": Decimal(50), "local": Decimal(50)},
        demand=lift,
    )
    client.force_login(staff)
    step1 = client.get(batch_url(plan)).content.decode()
    # The estate's demands not yet in the plan, as boxes in the compact grid.
    assert 'class="choice-grid"' in step1
    assert f'name="d" value="{roof.pk}"' in step1 and f'name="d" value="{parking.pk}"' in step1
    assert f'name="d" value="{lift.pk}"' not in step1
    step2 = client.get(batch_url(plan), {"d": [roof.pk, parking.pk]}).content.decode()
    # Each ticked demand's row comes prefilled; the split starts from the plan's own so far.
    assert has_value(step2, f"title_{roof.pk}", roof.title)
    assert has_value(step2, f"unit_{parking.pk}", "项")
    assert has_value(step2, "split_central", "50") and has_value(step2, "split_local", "50")
    data = {
        "d": [roof.pk, parking.pk],
        f"title_{roof.pk}": "屋面防水",
        f"quantity_{roof.pk}": "1200",
        f"unit_{roof.pk}": "m²",
        f"cost_{roof.pk}": "216,000",
        f"title_{parking.pk}": "划停车位",
        f"quantity_{parking.pk}": "30",
        f"unit_{parking.pk}": "个",
        f"cost_{parking.pk}": "",
        "split_central": "60",
        "split_local": "40",
    }
    wrong = client.post(batch_url(plan), data)
    text = wrong.content.decode()
    assert wrong.status_code == 400 and "请填写估算造价" in text
    assert has_value(text, f"cost_{roof.pk}", "216,000") and has_value(text, "split_local", "40")
    assert plan.items.count() == 1
    data[f"cost_{parking.pk}"] = "45000"
    data["split_local"] = "30"
    short = client.post(batch_url(plan), data).content.decode()
    assert "资金比例合计 90" in short and plan.items.count() == 1
    data["split_local"] = "40"
    done = client.post(batch_url(plan), data)
    assert done.status_code == 302
    assert plan.items.count() == 3
    parking_item = plan.items.get(demand=parking)
    assert (parking_item.fund_central_fen, parking_item.fund_local_fen) == (2_700_000, 1_800_000)


def test_the_batch_page_refuses_demands_of_another_estate_and_published_plans(
    client, plan, staff, demands
):
    other = make_estate(name="别处")
    (far,) = needs.opinions_record(
        estate=other,
        items=[needs.OpinionInput(text="想加装电梯")],
        channel=Channel.HOTLINE,
        actor=make_user("community_staff", estate=other),
    )
    client.force_login(staff)
    page = client.get(batch_url(plan), {"d": [far.demand_id, "x"]}, follow=True)
    assert page.status_code == 200 and f'name="d" value="{far.demand_id}"' not in (
        page.content.decode()
    )
    response = client.post(
        batch_url(plan),
        {"d": [far.demand_id], f"cost_{far.demand_id}": "1", "split_local": "100"},
    )
    assert response.status_code == 400 and not plan.items.exists()
    outsider = make_user("community_staff", estate=other)
    client.force_login(outsider)
    assert client.get(batch_url(plan)).status_code == 404


def test_a_form_the_plan_no_longer_shows_answers_with_a_message_at_the_top(
    client, estate, staff, plan
):
    """An item for a published plan, or new dates for a consultation not open: the page has no
    such form to come back to, so the message stands at the top and nothing changes."""
    client.force_login(staff)
    url = reverse("decisions:plan_consultation_change", kwargs={"plan_id": plan.pk})
    page = client.post(
        url, {"starts": TODAY.isoformat(), "ends": TODAY.isoformat(), "reason": "x"}, follow=True
    )
    assert "只有征求意见中的方案可以调整征求意见期" in page.content.decode()
    services.plan_item_add(
        plan=plan,
        actor=staff,
        title="燃气立管",
        quantity=Decimal(8),
        unit="户",
        cost_yuan=Decimal(100),
        funding_yuan={"utilities": Decimal(100)},
        klass="basic",
        reason="安全隐患",
    )
    services.plan_publish(plan=plan, actor=staff)
    add = reverse("decisions:plan_item_add", kwargs={"plan_id": plan.pk})
    data = {"title": "x", "quantity": "1", "unit": "项", "cost": "1", "fund_other": "1"}
    page = client.post(add, data | {"reason": "安全", "klass": "basic"}, follow=True)
    assert "已公布的方案不能修改" in page.content.decode() and plan.items.count() == 1
