"""Where each demand of a published list came from, on the residents' notice and its printed
form (issue 13: demands heard at a meeting read as "from a safety check")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.needs import services
from xiaoqu.needs.models import Channel, Demand, DemandList, DemandSource, Opinion

pytestmark = pytest.mark.django_db

SAFETY_CHECK = "社区根据安全检查提出"


@pytest.fixture
def estate():
    return make_estate(name="来源小区", floors=3, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def resident(estate):
    return make_user(person=make_owner(estate.dwellings.first(), "王秀英"))


def heard(demand: Demand, channel: str, dwelling=None, text: str = "意见") -> Opinion:
    return Opinion.objects.create(
        estate=demand.estate,
        dwelling=dwelling,
        building=dwelling.building if dwelling else None,
        channel=channel,
        text=text,
        heard_on=dt.date(2026, 3, 5),
        category=demand.category,
        demand=demand,
    )


def pages(estate, staff, resident) -> tuple[str, str]:
    """The notice and the printed list of the list published now, as a resident reads them."""
    demand_list = services.demand_list_publish(estate=estate, actor=staff)
    client = Client()
    client.force_login(resident)
    notice = client.get(reverse("needs:demand_notice", kwargs={"estate_id": estate.pk}))
    printed = client.get(reverse("needs:demand_list_print", kwargs={"list_id": demand_list.pk}))
    return notice.content.decode(), printed.content.decode()


def test_visits_and_meetings_give_households_and_their_channels(estate, staff, resident):
    homes = list(estate.dwellings.order_by("pk"))
    roof = Demand.objects.create(estate=estate, category="roof_facade", title="屋顶漏水")
    for home in homes[:3]:
        heard(roof, Channel.VISIT, home)
    heard(roof, Channel.MEETING)
    heard(roof, Channel.MEETING)
    notice, printed = pages(estate, staff, resident)
    assert "3 户提出（入户走访 3 条、坝坝会/议事会 2 条）" in notice
    assert "来源：3 户提出（入户走访 3 条、坝坝会/议事会 2 条）" in printed
    assert SAFETY_CHECK not in notice + printed


def test_a_demand_heard_only_at_a_meeting_says_so_not_a_safety_check(estate, staff, resident):
    """Meeting opinions carry no dwelling, so no household count: the channel says where."""
    lift = Demand.objects.create(estate=estate, category="elevator", title="想加装电梯")
    heard(lift, Channel.MEETING)
    heard(lift, Channel.MEETING)
    notice, printed = pages(estate, staff, resident)
    assert "居民意见：坝坝会/议事会 2 条" in notice and "居民意见：坝坝会/议事会 2 条" in printed
    assert SAFETY_CHECK not in notice + printed


@pytest.mark.parametrize(
    ("channel", "with_home", "label"),
    [
        (Channel.RESIDENT, True, "1 户提出（居民网上提交 1 条）"),
        (Channel.RESIDENT, False, "居民意见：居民网上提交 1 条"),
        (Channel.HOTLINE, False, "居民意见：热线电话 1 条"),
        (Channel.VISIT, True, "1 户提出（入户走访 1 条）"),
        (Channel.IMPORT, False, "居民意见：问卷表格 1 条"),
    ],
)
def test_each_channel_of_opinions_is_named(estate, staff, resident, channel, with_home, label):
    demand = Demand.objects.create(estate=estate, category="parking", title="停车位太少")
    heard(demand, channel, estate.dwellings.last() if with_home else None)
    notice, printed = pages(estate, staff, resident)
    assert label in notice and label in printed


def test_a_life_circle_gap_reads_as_one(estate, staff, resident):
    """The gap → demand service of the life circle makes a demand of source "analysis"."""
    services.demand_create(
        estate=estate,
        category="elderly_care",
        title="步行500米内没有养老服务设施（附近都没有）",
        actor=staff,
        source=DemandSource.ANALYSIS,
    )
    notice, printed = pages(estate, staff, resident)
    assert "15分钟生活圈分析发现的缺口" in notice and "15分钟生活圈分析发现的缺口" in printed
    assert SAFETY_CHECK not in notice + printed


@pytest.mark.parametrize(
    ("category", "label"),
    [("gas", SAFETY_CHECK), ("fire_safety", SAFETY_CHECK), ("parking", "社区提出")],
)
def test_a_staff_demand_is_a_safety_check_only_in_the_safety_categories(
    estate, staff, resident, category, label
):
    services.demand_create(estate=estate, category=category, title="社区事项", actor=staff)
    notice, printed = pages(estate, staff, resident)
    assert label in notice and label in printed
    if label != SAFETY_CHECK:
        assert SAFETY_CHECK not in notice + printed


def test_a_staff_demand_residents_also_asked_for_names_both(estate, staff, resident):
    gas = services.demand_create(estate=estate, category="gas", title="燃气立管", actor=staff)
    heard(gas, Channel.HOTLINE)
    notice, _printed = pages(estate, staff, resident)
    assert "社区根据安全检查提出；居民意见：热线电话 1 条" in notice


def test_opinions_after_publication_leave_the_published_line_as_it_was(estate, staff, resident):
    lift = Demand.objects.create(estate=estate, category="elevator", title="想加装电梯")
    heard(lift, Channel.MEETING)
    services.demand_list_publish(estate=estate, actor=staff)
    heard(lift, Channel.HOTLINE)
    client = Client()
    client.force_login(resident)
    notice = client.get(reverse("needs:demand_notice", kwargs={"estate_id": estate.pk}))
    text = notice.content.decode()
    assert "居民意见：坝坝会/议事会 1 条" in text and "热线电话" not in text
    assert DemandList.objects.count() == 1


def test_the_notice_reads_the_sources_in_a_fixed_number_of_queries(
    estate, staff, resident, django_assert_max_num_queries
):
    for n in range(8):
        demand = Demand.objects.create(estate=estate, category="parking", title=f"需求{n}")
        heard(demand, Channel.MEETING)
        heard(demand, Channel.VISIT, estate.dwellings.first())
    services.demand_list_publish(estate=estate, actor=staff)
    client = Client()
    client.force_login(resident)
    url = reverse("needs:demand_notice", kwargs={"estate_id": estate.pk})
    client.get(url)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200
