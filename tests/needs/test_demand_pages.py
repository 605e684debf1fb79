"""Demand pages: the board per estate, one demand with its actions, published versions, the
print page and the residents' notice, seen by each kind of user."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_grid, make_owner, make_user, region_chain
from xiaoqu.accounts.models import Role, RoleAssignment, User
from xiaoqu.core.errors import DomainError
from xiaoqu.needs import selectors, services
from xiaoqu.needs.models import Channel, Demand, DemandList, DemandStatus, Opinion
from xiaoqu.needs.rules import MANAGE_DEMANDS, READ_OPINIONS
from xiaoqu.registry.models import Building, Dwelling, Estate

pytestmark = pytest.mark.django_db

OTHER_CHAIN = ("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


def opinion(demand: Demand, dwelling, text: str, day: int, *, urgent: bool = False) -> Opinion:
    """An opinion already placed in ``demand`` (placement itself is tested with the services)."""
    return Opinion.objects.create(
        estate=demand.estate,
        dwelling=dwelling,
        building=dwelling.building if dwelling else None,
        channel=Channel.HOTLINE,
        text=text,
        heard_on=dt.date(2026, 3, day),
        category=demand.category,
        urgent=urgent,
        demand=demand,
    )


@pytest.fixture
def world():
    """金仓小区 (10 households) with three demands, a staff member, a grid worker, a resident
    and an owner of the estate, and 界外小区 in another district with a demand of its own."""
    community = region_chain()[-1]
    estate = make_estate(community, name="金仓小区", floors=5, per_floor=2)
    homes = list(estate.dwellings.order_by("pk"))
    leak = Demand.objects.create(estate=estate, category="roof_facade", title="屋顶漏水")
    parking = Demand.objects.create(estate=estate, category="parking", title="停车位太少")
    lights = Demand.objects.create(estate=estate, category="stairwell", title="楼道灯不亮")
    # leak: 4 households, one of them twice; parking: 5 households; lights: 1 household, urgent.
    for i, home in enumerate(homes[:4]):
        opinion(leak, home, f"{i + 1}号屋顶一下雨就漏水", 2 + i)
    opinion(leak, homes[0], "屋顶还是漏", 20)
    for i, home in enumerate(homes[4:9]):
        opinion(parking, home, "晚上回来没地方停车", 5 + i)
    opinion(lights, homes[9], "楼道灯坏了，老人摔过跤", 12, urgent=True)

    other = make_estate(region_chain(OTHER_CHAIN)[-1], name="界外小区")
    far = Demand.objects.create(estate=other, category="parking", title="界外停车")
    opinion(far, other.dwellings.first(), "界外没地方停车", 3)

    resident_owner = make_owner(homes[0], name="王秀英")
    return {
        "estate": estate,
        "other": other,
        "homes": homes,
        "leak": leak,
        "parking": parking,
        "lights": lights,
        "far": far,
        "staff": make_user("community_staff", region=community, password=None),
        "street": make_user("street_staff", region=community.parent, password=None),
        "grid": make_user("grid_worker", estate=estate, password=None),
        "resident": make_user(person=resident_owner, password=None),
        "outsider_resident": make_user(
            person=make_owner(other.dwellings.first(), name="李四"), password=None
        ),
        "outsider_staff": make_user("community_staff", region=other.community, password=None),
    }


def board_url(estate: Estate) -> str:
    return reverse("needs:demand_board", kwargs={"estate_id": estate.pk})


def detail_url(demand: Demand) -> str:
    return reverse("needs:demand_detail", kwargs={"demand_id": demand.pk})


def action_url(name: str, demand: Demand) -> str:
    return reverse(f"needs:{name}", kwargs={"demand_id": demand.pk})


def snapshot(estate: Estate) -> list[tuple]:
    """Everything a failed action must leave as it was."""
    demands = list(
        Demand.objects.filter(estate=estate)
        .order_by("pk")
        .values_list("pk", "title", "status", "declined_reason", "urgent", "merged_into")
    )
    opinions = list(
        Opinion.objects.filter(estate=estate).order_by("pk").values_list("pk", "demand_id")
    )
    return [demands, opinions, DemandList.objects.filter(estate=estate).count()]


# ---------------------------------------------------------------- the board


def test_board_ranks_demands_by_priority_with_their_figures(world):
    """The basic leak (4 of 10 households × 1.5 = 60) comes before parking (5 of 10 = 50),
    the urgent light (1 household: 15 + 2) last; each row carries its figures."""
    response = login(world["staff"]).get(board_url(world["estate"]))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.row.title for r in rows] == ["屋顶漏水", "停车位太少", "楼道灯不亮"]
    assert [r.rank for r in rows] == [1, 2, 3]
    leak = rows[0]
    assert (leak.row.households, leak.row.opinions, leak.share_pct) == (4, 5, "40.0%")
    assert str(leak.row.priority) == "60.0"
    assert leak.klass_label == "基础类"
    assert (leak.row.first_heard, leak.row.last_heard) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 20),
    )
    assert str(rows[1].row.priority) == "50.0" and rows[1].klass_label == "完善类"
    assert str(rows[2].row.priority) == "17.0"
    body = text_of(response)
    assert "40.0%" in body and "2026-03-20" in body
    assert "界外" not in body


def test_board_explains_the_priority_with_the_selectors_constants(world):
    """The "优先分怎么算" box states the weights and bonuses the selectors use."""
    body = text_of(login(world["grid"]).get(board_url(world["estate"])))
    assert "优先分怎么算" in body
    assert f"系数为 {selectors.BASIC_WEIGHT}" in body
    assert f"加 {selectors.URGENT_DEMAND_BONUS} 分" in body
    assert f"最多计 {selectors.URGENT_HOUSEHOLDS_COUNTED} 户" in body


def test_board_filters_by_class_and_status_keeping_the_overall_rank(world):
    """Filtering shows the matching demands with their rank in the whole list."""
    services.demand_set_status(
        demand=world["lights"], status=DemandStatus.ASSESSED, actor=world["staff"]
    )
    client = login(world["staff"])
    rows = client.get(board_url(world["estate"]), {"klass": "improve"}).context["rows"]
    assert [(r.rank, r.row.title) for r in rows] == [(2, "停车位太少")]
    rows = client.get(board_url(world["estate"]), {"status": "assessed"}).context["rows"]
    assert [(r.rank, r.row.title) for r in rows] == [(3, "楼道灯不亮")]
    rows = client.get(board_url(world["estate"]), {"klass": "bogus"}).context["rows"]
    assert len(rows) == 3


def test_publish_and_add_forms_only_for_demand_managers(world):
    """Community staff see the publish and add forms; a grid worker reads the board only."""
    assert "发布第 1 版清单" in text_of(login(world["staff"]).get(board_url(world["estate"])))
    grid_body = text_of(login(world["grid"]).get(board_url(world["estate"])))
    assert "发布第 1 版" not in grid_body and "添加需求" not in grid_body


@pytest.mark.parametrize("who", ["outsider_staff", "resident"])
def test_board_and_detail_are_404_outside_the_scope(world, who):
    """Staff of another district and residents get 404 on the board and a demand."""
    client = login(world[who])
    assert client.get(board_url(world["estate"])).status_code == 404
    assert client.get(detail_url(world["leak"])).status_code == 404


def test_staff_get_404_for_a_demand_of_another_estate(world):
    """A forged demand id of another district answers like a missing one."""
    client = login(world["staff"])
    assert client.get(detail_url(world["far"])).status_code == 404
    assert (
        client.get(reverse("needs:demand_detail", kwargs={"demand_id": 999999})).status_code == 404
    )


# ---------------------------------------------------------------- one demand


def test_detail_shows_figures_and_opinions_without_residents_names(world):
    """The detail lists each opinion with date, channel and dwelling, never a name or phone."""
    response = login(world["staff"]).get(detail_url(world["leak"]))
    assert response.status_code == 200
    body = text_of(response)
    assert "屋顶还是漏" in body and "2026-03-20" in body and "热线" in body
    assert world["homes"][0].label in body
    assert "王秀英" not in body
    assert world["resident"].person.phone not in body
    assert "占全小区 10 户的 40.0%" in body
    # Only the allowed next statuses are offered.
    options = re.findall(r'<select id="id_status".*?</select>', body, re.S)[0]
    assert "已评估" in options and "暂不实施" in options and "已完成" not in options


def test_detail_offers_no_actions_to_a_grid_worker(world):
    body = text_of(login(world["grid"]).get(detail_url(world["leak"])))
    assert "拆分为新需求" not in body and 'id="status-form"' not in body


def test_rename_and_mark_urgent(world):
    """Saving the update form renames the demand and sets its urgency, then redirects."""
    response = login(world["staff"]).post(
        action_url("demand_update", world["parking"]), {"title": "增加停车位", "urgent": "on"}
    )
    assert response.status_code == 302
    world["parking"].refresh_from_db()
    assert (world["parking"].title, world["parking"].urgent) == ("增加停车位", True)


def test_empty_title_is_refused_and_changes_nothing(world):
    before = snapshot(world["estate"])
    response = login(world["staff"]).post(
        action_url("demand_update", world["parking"]), {"title": "   "}
    )
    assert response.status_code == 400
    assert "需求名称" in text_of(response)
    assert snapshot(world["estate"]) == before


def test_status_moves_along_the_allowed_path(world):
    client = login(world["staff"])
    url = action_url("demand_status", world["leak"])
    assert client.post(url, {"status": "assessed"}).status_code == 302
    assert client.post(url, {"status": "planned"}).status_code == 302
    world["leak"].refresh_from_db()
    assert world["leak"].status == DemandStatus.PLANNED


def test_decline_without_reason_is_refused_and_changes_nothing(world):
    before = snapshot(world["estate"])
    response = login(world["staff"]).post(
        action_url("demand_status", world["leak"]), {"status": "declined", "reason": "  "}
    )
    assert response.status_code == 400
    assert "暂不实施需要写明原因" in text_of(response)
    assert snapshot(world["estate"]) == before


def test_decline_with_reason_is_kept(world):
    response = login(world["staff"]).post(
        action_url("demand_status", world["parking"]),
        {"status": "declined", "reason": "院内没有空地，改由周边路段划线停车"},
    )
    assert response.status_code == 302
    world["parking"].refresh_from_db()
    assert world["parking"].status == DemandStatus.DECLINED
    assert world["parking"].declined_reason.startswith("院内没有空地")


@pytest.mark.parametrize("status", ["done", "planned", "nonsense"])
def test_a_forbidden_transition_is_refused_and_changes_nothing(world, status):
    """From 已收集 one cannot jump to 已完成 or 已列入方案; an unknown status is refused too."""
    before = snapshot(world["estate"])
    response = login(world["staff"]).post(
        action_url("demand_status", world["leak"]), {"status": status}
    )
    assert response.status_code == 400
    assert snapshot(world["estate"]) == before


def test_split_moves_the_ticked_opinions_into_a_new_demand(world):
    leak = world["leak"]
    moved = list(leak.opinions.order_by("pk").values_list("pk", flat=True)[:2])
    response = login(world["staff"]).post(
        action_url("demand_split", leak), {"opinions": [str(i) for i in moved]}
    )
    assert response.status_code == 302
    new = Demand.objects.exclude(pk=leak.pk).get(opinions__pk=moved[0])
    assert set(new.opinions.values_list("pk", flat=True)) == set(moved)
    assert response["Location"] == detail_url(new)
    assert leak.opinions.count() == 3


@pytest.mark.parametrize(
    "case",
    ["all", "none", "other_estate", "other_demand", "not_a_number", "superscript", "huge"],
)
def test_bad_splits_are_refused_and_change_nothing(world, case):
    """Splitting every opinion, none, another estate's or another demand's opinion, or a
    forged value is refused with a message."""
    leak = world["leak"]
    ids = {
        "all": [str(i) for i in leak.opinions.values_list("pk", flat=True)],
        "none": [],
        "other_estate": [str(world["far"].opinions.get().pk)],
        "other_demand": [str(world["parking"].opinions.first().pk)],
        "not_a_number": ["1; drop"],
        "superscript": ["²"],
        "huge": ["9" * 20],
    }[case]
    before = snapshot(world["estate"]), snapshot(world["other"])
    response = login(world["staff"]).post(action_url("demand_split", leak), {"opinions": ids})
    assert response.status_code == 400
    assert 'class="dm-error"' in text_of(response)
    assert (snapshot(world["estate"]), snapshot(world["other"])) == before


def test_join_moves_the_others_opinions_into_this_demand(world):
    response = login(world["staff"]).post(
        action_url("demand_join", world["leak"]), {"others": [str(world["lights"].pk)]}
    )
    assert response.status_code == 302
    assert world["leak"].opinions.count() == 6
    assert not Demand.objects.filter(pk=world["lights"].pk).exists()


@pytest.mark.parametrize(
    "case", ["other_estate", "missing", "none", "not_a_number", "superscript", "huge"]
)
def test_bad_joins_are_refused_and_change_nothing(world, case):
    """Joining across estates, a missing id, nothing or a forged value is refused."""
    others = {
        "other_estate": [str(world["far"].pk)],
        "missing": [str(world["lights"].pk), "999999"],
        "none": [],
        "not_a_number": ["x"],
        "superscript": ["²"],
        "huge": [str(world["lights"].pk), "9" * 20],
    }[case]
    before = snapshot(world["estate"]), snapshot(world["other"])
    response = login(world["staff"]).post(
        action_url("demand_join", world["leak"]), {"others": others}
    )
    assert response.status_code == 400
    assert 'class="dm-error"' in text_of(response)
    assert (snapshot(world["estate"]), snapshot(world["other"])) == before


def test_a_split_moves_only_opinions_the_manager_may_read():
    """A manager whose reading scope is one grid's buildings manages the estate's demands but
    may not move another building's opinion: the service refuses it like an opinion of
    another demand, from the page and when called directly, and nothing changes."""
    estate = make_estate(region_chain()[-1], name="两栋小区", buildings=2, floors=2, per_floor=1)
    b1, b2 = Building.objects.filter(estate=estate).order_by("number")
    manager = make_user()
    RoleAssignment.objects.create(user=manager, role=Role.COMMUNITY_STAFF, grid=make_grid([b1]))
    demand = Demand.objects.create(estate=estate, category="roof_facade", title="屋顶漏水")
    first, second = Dwelling.objects.filter(building=b1).order_by("pk")
    opinion(demand, first, "屋顶漏水", 2)
    opinion(demand, second, "屋顶还在漏", 3)
    hidden = opinion(demand, Dwelling.objects.filter(building=b2).first(), "二栋屋顶也漏", 4)
    assert MANAGE_DEMANDS.has(manager, demand) and not READ_OPINIONS.has(manager, hidden)
    before = snapshot(estate)
    with pytest.raises(DomainError) as refused:
        services.demand_split(demand=demand, opinion_ids=[hidden.pk], actor=manager)
    assert refused.value.message == "所选意见不属于这条需求。"
    response = login(manager).post(action_url("demand_split", demand), {"opinions": [hidden.pk]})
    assert response.status_code == 400
    assert "所选意见不属于这条需求" in text_of(response)
    assert snapshot(estate) == before


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("demand_update", {"title": "改名"}),
        ("demand_status", {"status": "assessed"}),
        ("demand_split", {"opinions": []}),
        ("demand_join", {"others": []}),
    ],
)
@pytest.mark.parametrize("who", ["grid", "outsider_staff", "resident"])
def test_actions_are_404_without_the_permission_or_scope(world, name, data, who):
    """A grid worker (no manage permission), staff of another district and a resident get 404
    for every action, and nothing changes."""
    before = snapshot(world["estate"])
    response = login(world[who]).post(action_url(name, world["leak"]), data)
    assert response.status_code == 404
    assert snapshot(world["estate"]) == before


def test_actions_refuse_get(world):
    response = login(world["staff"]).get(action_url("demand_status", world["leak"]))
    assert response.status_code == 405


def test_add_a_safety_duty(world):
    """Staff add a demand no resident raised (a gas riser) with its category."""
    response = login(world["staff"]).post(
        reverse("needs:demand_create", kwargs={"estate_id": world["estate"].pk}),
        {"category": "gas", "title": "更换老化燃气立管"},
    )
    assert response.status_code == 302
    demand = Demand.objects.get(title="更换老化燃气立管")
    assert (demand.estate, demand.category, demand.source) == (world["estate"], "gas", "staff")
    board = login(world["staff"]).get(board_url(world["estate"])).context["rows"]
    assert "更换老化燃气立管" in [r.row.title for r in board]


def test_a_joined_demand_sends_its_readers_to_the_demand_it_joined(world):
    """After a join, the old address of a published (so kept) demand opens the target."""
    staff = world["staff"]
    services.demand_list_publish(estate=world["estate"], actor=staff)
    services.demand_join(target=world["leak"], others=[world["lights"]], actor=staff)
    response = login(staff).get(detail_url(world["lights"]))
    assert response.status_code == 302
    assert response["Location"] == detail_url(world["leak"])


def test_a_staff_added_demand_reads_as_raised_by_the_community(world):
    """A safety duty no household asked for shows no household count to residents."""
    services.demand_create(
        estate=world["estate"], category="gas", title="燃气立管", actor=world["staff"]
    )
    publish(world)
    demand_list = DemandList.objects.get()
    client = login(world["resident"])
    assert "社区根据安全检查提出" in text_of(client.get(notice_url(world["estate"])))
    print_url = reverse("needs:demand_list_print", kwargs={"list_id": demand_list.pk})
    assert "社区根据安全检查提出" in text_of(client.get(print_url))


def test_add_with_an_unknown_category_changes_nothing(world):
    before = snapshot(world["estate"])
    response = login(world["staff"]).post(
        reverse("needs:demand_create", kwargs={"estate_id": world["estate"].pk}),
        {"category": "moon_base", "title": "登月"},
    )
    assert response.status_code == 400
    assert snapshot(world["estate"]) == before


# ---------------------------------------------------------------- publishing and versions


def publish(world, note: str = ""):
    return login(world["staff"]).post(
        reverse("needs:demand_list_publish", kwargs={"estate_id": world["estate"].pk}),
        {"note": note},
    )


def test_publish_makes_v1_then_v2_and_v1_stays_frozen(world):
    """Publishing twice gives versions 1 and 2; changing a demand in between changes v2 only,
    and v2's page says what changed."""
    assert publish(world, "第一轮走访").status_code == 302
    v1 = DemandList.objects.get(estate=world["estate"])
    assert (v1.version, v1.households, v1.opinions, v1.note) == (1, 10, 11, "第一轮走访")
    assert [i.title for i in v1.items.order_by("rank")] == ["屋顶漏水", "停车位太少", "楼道灯不亮"]

    staff = world["staff"]
    services.demand_update(demand=world["leak"], title="屋面防水翻修", actor=staff)
    services.demand_set_status(
        demand=world["parking"], status="declined", reason="院内无空地", actor=staff
    )
    services.demand_create(estate=world["estate"], category="gas", title="燃气立管", actor=staff)
    assert publish(world).status_code == 302

    v1.refresh_from_db()
    first = v1.items.get(rank=1)
    assert (first.title, first.status) == ("屋顶漏水", "collected")
    assert v1.items.get(demand=world["parking"]).status == "collected"
    v2 = DemandList.objects.get(estate=world["estate"], version=2)
    assert v2.items.get(demand=world["parking"]).declined_reason == "院内无空地"

    page = login(world["grid"]).get(reverse("needs:demand_list_detail", kwargs={"list_id": v2.pk}))
    changes = page.context["changes"]
    assert changes.previous == v1
    assert [line.item.title for line in changes.new] == ["燃气立管"]
    assert [(c.line.item.title, c.before) for c in changes.changed] == [("停车位太少", "已收集")]
    assert "屋面防水翻修" in text_of(page)

    board = text_of(login(world["staff"]).get(board_url(world["estate"])))
    assert "当前公示：第 2 版" in board and "发布第 3 版清单" in board


def test_publishing_an_estate_without_demands_is_refused(world):
    empty = make_estate(region_chain()[-1], name="空小区")
    response = login(world["staff"]).post(
        reverse("needs:demand_list_publish", kwargs={"estate_id": empty.pk})
    )
    assert response.status_code == 400
    assert "还没有任何需求" in text_of(response)
    assert not DemandList.objects.filter(estate=empty).exists()


@pytest.mark.parametrize("who", ["grid", "outsider_staff"])
def test_publish_is_404_without_the_permission_or_scope(world, who):
    response = login(world[who]).post(
        reverse("needs:demand_list_publish", kwargs={"estate_id": world["estate"].pk})
    )
    assert response.status_code == 404
    assert not DemandList.objects.exists()


def test_versions_page_lists_every_version_newest_first(world):
    publish(world)
    publish(world)
    response = login(world["grid"]).get(
        reverse("needs:demand_list_versions", kwargs={"estate_id": world["estate"].pk})
    )
    assert [v.version for v in response.context["versions"]] == [2, 1]


def test_version_pages_are_404_for_another_district(world):
    publish(world)
    demand_list = DemandList.objects.get()
    client = login(world["outsider_staff"])
    for name in ("demand_list_detail", "demand_list_xlsx", "demand_list_print"):
        url = reverse(f"needs:{name}", kwargs={"list_id": demand_list.pk})
        assert client.get(url).status_code == 404, name


def test_print_page_is_an_a4_notice_without_names(world):
    services.demand_set_status(
        demand=world["parking"], status="declined", reason="院内无空地", actor=world["staff"]
    )
    publish(world)
    demand_list = DemandList.objects.get()
    response = login(world["resident"]).get(
        reverse("needs:demand_list_print", kwargs={"list_id": demand_list.pk})
    )
    assert response.status_code == 200
    body = text_of(response)
    assert "金仓小区改造需求清单（第1版）" in body
    assert "size: A4 portrait" in body
    assert "全小区 10 户" in body and "汇总居民意见 11 条" in body
    assert "暂不实施的需求及原因" in body and "院内无空地" in body
    assert "居民委员会（盖章）" in body
    assert "王秀英" not in body and "mainnav" not in body


# ---------------------------------------------------------------- residents' notice


def notice_url(estate: Estate) -> str:
    return reverse("needs:demand_notice", kwargs={"estate_id": estate.pk})


def test_notice_says_the_list_is_being_prepared_when_nothing_is_published(world):
    response = login(world["resident"]).get(notice_url(world["estate"]))
    assert response.status_code == 200
    body = text_of(response)
    assert "需求清单还在整理中" in body
    assert "屋顶漏水" not in body


def test_resident_sees_the_latest_published_version_only(world):
    """The notice shows v2's frozen items in resident words; later live changes stay hidden."""
    publish(world)
    services.demand_set_status(
        demand=world["parking"], status="declined", reason="院内无空地", actor=world["staff"]
    )
    publish(world)
    services.demand_update(demand=world["leak"], title="未发布的新名称", actor=world["staff"])
    response = login(world["resident"]).get(notice_url(world["estate"]))
    assert response.status_code == 200
    assert response.context["demand_list"].version == 2
    body = text_of(response)
    assert "第 2 版" in body
    assert "屋顶漏水" in body and "未发布的新名称" not in body
    assert "4 户提出" in body
    assert "暂不实施" in body and "院内无空地" in body
    assert "已收到，正在整理" in body
    # No opinion's text, no names.
    assert "一下雨就漏水" not in body and "王秀英" not in body


def test_staff_in_scope_also_read_the_notice(world):
    assert login(world["grid"]).get(notice_url(world["estate"])).status_code == 200


@pytest.mark.parametrize("who", ["outsider_resident", "outsider_staff"])
def test_notice_is_404_for_another_estates_people(world, who):
    publish(world)
    demand_list = DemandList.objects.get()
    client = login(world[who])
    assert client.get(notice_url(world["estate"])).status_code == 404
    print_url = reverse("needs:demand_list_print", kwargs={"list_id": demand_list.pk})
    assert client.get(print_url).status_code == 404


def test_a_resident_cannot_open_staff_version_pages(world):
    publish(world)
    demand_list = DemandList.objects.get()
    client = login(world["resident"])
    for name in ("demand_list_detail", "demand_list_xlsx"):
        url = reverse(f"needs:{name}", kwargs={"list_id": demand_list.pk})
        assert client.get(url).status_code == 404, name


def test_estate_page_links_to_the_demand_pages(world):
    body = text_of(
        login(world["staff"]).get(
            reverse("registry:estate_detail", kwargs={"estate_id": world["estate"].pk})
        )
    )
    assert board_url(world["estate"]) in body
    assert notice_url(world["estate"]) in body
