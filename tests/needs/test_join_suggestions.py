"""The demand board's "可能是同一需求": demands that may ask for the same thing, offered to staff
who manage the estate's demands, accepted with the join service or dismissed for good."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.accounts.models import User
from xiaoqu.core.models import AuditLog
from xiaoqu.needs import selectors
from xiaoqu.needs.models import Channel, Demand, JoinDismissal, Opinion
from xiaoqu.registry.models import Estate

pytestmark = pytest.mark.django_db

OTHER_CHAIN = ("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def demand_with(estate: Estate, category: str, *texts: str) -> Demand:
    """A demand holding ``texts`` as placed opinions, one household each."""
    demand = Demand.objects.create(estate=estate, category=category, title=texts[0])
    homes = list(estate.dwellings.order_by("pk"))
    start = Opinion.objects.filter(estate=estate).count()
    for i, text in enumerate(texts):
        Opinion.objects.create(
            estate=estate,
            dwelling=homes[(start + i) % len(homes)],
            channel=Channel.HOTLINE,
            text=text,
            heard_on=dt.date(2026, 3, 1 + i),
            category=category,
            demand=demand,
        )
    return demand


@pytest.fixture
def world():
    """金仓小区 with two demands about the stairwell lights (kept apart, as after a split) and
    one about parking; 界外小区 elsewhere with a pair of its own."""
    community = region_chain()[-1]
    estate = make_estate(community, name="金仓小区", floors=5, per_floor=2)
    lights = demand_with(estate, "stairwell", "楼道灯坏了好久", "声控灯喊半天都不亮")
    dark = demand_with(estate, "stairwell", "晚上上楼黑黢黢的，要摸黑")
    parking = demand_with(estate, "parking", "停车位太少了", "晚上回来没地方停车")
    other = make_estate(region_chain(OTHER_CHAIN)[-1], name="界外小区")
    far_a = demand_with(other, "stairwell", "楼道灯坏了")
    far_b = demand_with(other, "stairwell", "楼梯间黑黢黢的")
    return {
        "estate": estate,
        "lights": lights,
        "dark": dark,
        "parking": parking,
        "other": other,
        "far_a": far_a,
        "far_b": far_b,
        "staff": make_user("community_staff", region=community, password=None),
        "grid": make_user("grid_worker", estate=estate, password=None),
        "outsider_staff": make_user("community_staff", region=other.community, password=None),
    }


def board(estate: Estate) -> str:
    return reverse("needs:demand_board", kwargs={"estate_id": estate.pk})


def accept(estate: Estate) -> str:
    return reverse("needs:demand_suggestion_accept", kwargs={"estate_id": estate.pk})


def dismiss(estate: Estate) -> str:
    return reverse("needs:demand_suggestion_dismiss", kwargs={"estate_id": estate.pk})


def pair(a: Demand, b: Demand) -> dict[str, int]:
    return {"first": a.pk, "second": b.pk}


def live_ids(estate: Estate) -> set[int]:
    return set(
        Demand.objects.filter(estate=estate, merged_into__isnull=True).values_list("pk", flat=True)
    )


def test_board_suggests_two_demands_that_ask_for_the_same_thing(world) -> None:
    """Staff see the two stairwell-light demands as "可能是同一需求", parking not among them."""
    response = login(world["staff"]).get(board(world["estate"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "可能是同一需求" in page
    suggestions = selectors.join_suggestions(estate=world["estate"])
    assert [(s.first.demand_id, s.second.demand_id) for s in suggestions] == [
        (world["lights"].pk, world["dark"].pk)
    ]
    assert suggestions[0].same_need
    assert f'name="second" value="{world["dark"].pk}"' in page


def test_readers_who_do_not_manage_demands_see_no_suggestions(world) -> None:
    """A grid worker reads the board but manages no demands: no suggestions, no buttons."""
    page = login(world["grid"]).get(board(world["estate"])).content.decode()
    assert "可能是同一需求" not in page


def test_accepting_a_suggestion_joins_the_pair_through_the_join_service(world) -> None:
    """ "是同一需求" joins the smaller demand into the larger one, audited as a join."""
    response = login(world["staff"]).post(
        accept(world["estate"]), pair(world["lights"], world["dark"])
    )
    assert response.status_code == 302
    assert live_ids(world["estate"]) == {world["lights"].pk, world["parking"].pk}
    assert Opinion.objects.filter(demand=world["lights"]).count() == 3
    assert AuditLog.objects.filter(
        action="needs.demand_join", object_id=str(world["lights"].pk)
    ).exists()
    assert selectors.join_suggestions(estate=world["estate"]) == []


def test_a_dismissed_suggestion_does_not_come_back(world) -> None:
    """ "不是同一需求" is stored and audited; the pair is never suggested again."""
    client = login(world["staff"])
    response = client.post(dismiss(world["estate"]), pair(world["dark"], world["lights"]))
    assert response.status_code == 302
    stored = JoinDismissal.objects.get()
    assert (stored.first_id, stored.second_id) == (world["lights"].pk, world["dark"].pk)
    assert AuditLog.objects.filter(action="needs.demand_suggestion_dismiss").count() == 1
    assert selectors.join_suggestions(estate=world["estate"]) == []
    assert "可能是同一需求" not in client.get(board(world["estate"])).content.decode()
    # Dismissing again changes nothing.
    client.post(dismiss(world["estate"]), pair(world["lights"], world["dark"]))
    assert JoinDismissal.objects.count() == 1
    assert live_ids(world["estate"]) == {
        world["lights"].pk,
        world["dark"].pk,
        world["parking"].pk,
    }


def test_staff_of_another_estate_can_neither_accept_nor_dismiss(world) -> None:
    """Out of scope is 404 (as for a missing estate) and changes nothing."""
    client = login(world["outsider_staff"])
    before = live_ids(world["estate"])
    assert (
        client.post(accept(world["estate"]), pair(world["lights"], world["dark"])).status_code
        == 404
    )
    assert (
        client.post(dismiss(world["estate"]), pair(world["lights"], world["dark"])).status_code
        == 404
    )
    assert live_ids(world["estate"]) == before
    assert not JoinDismissal.objects.exists()


def test_a_grid_worker_cannot_accept(world) -> None:
    """Reading the board is not managing it: 404, nothing joined."""
    response = login(world["grid"]).post(
        accept(world["estate"]), pair(world["lights"], world["dark"])
    )
    assert response.status_code == 404
    assert world["dark"].pk in live_ids(world["estate"])


def test_a_pair_with_a_demand_of_another_estate_is_refused(world) -> None:
    """A forged pair naming another estate's demand gets a message and changes nothing."""
    client = login(world["staff"])
    for url in (accept(world["estate"]), dismiss(world["estate"])):
        response = client.post(url, pair(world["lights"], world["far_a"]))
        assert response.status_code == 400
        assert "不属于这个小区" in response.content.decode()
    assert world["far_a"].pk in live_ids(world["other"])
    assert not JoinDismissal.objects.exists()


def test_a_pair_of_one_demand_or_bad_ids_is_refused(world) -> None:
    """The same demand twice, or ids that are not numbers: a message, nothing changed."""
    client = login(world["staff"])
    same = client.post(accept(world["estate"]), pair(world["lights"], world["lights"]))
    bad = client.post(dismiss(world["estate"]), {"first": "x", "second": "²"})
    assert same.status_code == bad.status_code == 400
    assert len(live_ids(world["estate"])) == 3


def test_suggestion_actions_need_post(world) -> None:
    """A GET changes nothing."""
    client = login(world["staff"])
    assert client.get(accept(world["estate"])).status_code == 405
    assert client.get(dismiss(world["estate"])).status_code == 405
