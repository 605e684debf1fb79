"""The resident's feed (今天, /daily/today/): each item for the right person and nobody else,
the vote gone once voted, a bounded number of queries, plain HTML without script."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_grid,
    make_meeting,
    make_member,
    make_owner,
    make_passed_vote,
    make_person,
    make_plan_in_consultation,
    make_property_body,
    make_user,
    make_work_order,
    region_chain,
)
from xiaoqu.accounts.models import User
from xiaoqu.decisions import services as decisions
from xiaoqu.decisions.models import PlanItem, VoteScope
from xiaoqu.needs.models import Demand, Opinion
from xiaoqu.notify.models import Notification
from xiaoqu.organization.models import GridWorkerAssignment, LiaisonHousehold
from xiaoqu.registry.models import Dwelling, Estate, Residency

pytestmark = pytest.mark.django_db

FEED = "/daily/today/"


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


def main_of(response) -> str:
    html = text_of(response)
    return html[html.index('<main id="main">') : html.index("</main>")]


def _vote_on_entrance(estate: Estate, staff: User, entrance, title: str = "1单元加装电梯"):
    now = timezone.now()
    vote = decisions.vote_create(
        estate=estate,
        matter=7,
        title=title,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=5, hours=2),
        scope=VoteScope.ENTRANCE,
        entrance=entrance,
        actor=staff,
    )
    return decisions.vote_open(vote=vote, actor=staff)


def _minutes(estate: Estate, place: str = "居委会会议室"):
    meeting = make_meeting(estate, kind="council", held_on=dt.date.today(), place=place)
    meeting.minutes = "讨论了改造方案"
    meeting.minutes_published_at = timezone.now()
    meeting.save()
    return meeting


def _opinion(estate: Estate, user: User, dwelling: Dwelling, text: str, status="assessed"):
    demand = Demand.objects.create(
        estate=estate, category="stairwell", title=f"需求：{text}", status=status
    )
    return Opinion.objects.create(
        estate=estate,
        dwelling=dwelling,
        channel="resident",
        submitted_by=user,
        text=text,
        heard_on=dt.date.today(),
        category="stairwell",
        demand=demand,
    )


@pytest.fixture
def world():
    """金仓小区: two entrances, an owner in each, a tenant; a vote of entrance 1's owners, a plan
    in consultation, published minutes and result, an opinion in the plan, a repair report,
    a grid, a liaison member, community staff and a property company; and an estate of
    another community with its own resident."""
    estate = make_estate(name="金仓小区", entrances=2, floors=2, per_floor=2)
    community = estate.community
    entrance1, entrance2 = estate.buildings.get().entrances.order_by("number")
    homes = list(estate.dwellings.order_by("entrance__number", "number"))
    people = [make_owner(d, f"业主{i}") for i, d in enumerate(homes)]
    owner = make_user(person=people[0])
    other_owner = make_user(person=people[-1])  # entrance 2: not in the vote's electorate
    tenant_person = make_person("租户丙")
    Residency.objects.create(person=tenant_person, dwelling=homes[1], relation="tenant")
    tenant = make_user(person=tenant_person)
    staff = make_user("community_staff", region=community)
    staff.name = "社区李姐"
    staff.save()

    vote = _vote_on_entrance(estate, staff, entrance1)
    plan = make_plan_in_consultation(estate, staff)
    meeting = _minutes(estate)
    result = make_passed_vote(estate, staff)
    opinion = _opinion(estate, owner, homes[0], "楼道灯坏了")
    PlanItem.objects.create(
        plan=plan,
        demand=opinion.demand,
        title="楼道照明",
        klass="basic",
        quantity=1,
        unit="项",
        cost_fen=0,
    )
    order = make_work_order(estate, owner, text="1单元楼道灯不亮")
    grid = make_grid([estate.buildings.get()], community=community)
    GridWorkerAssignment.objects.create(
        grid=grid, person=make_person("网格员王", "13911112222"), started_on=dt.date(2024, 1, 1)
    )
    member = make_member(name="联户党员赵")
    member.person.phone = "13933334444"
    member.person.save()
    LiaisonHousehold.objects.create(member=member, dwelling=homes[0])
    make_property_body(estate, staff)
    # The services above sent their own notices (notify): read, so that the feed's messages
    # are the one below.
    Notification.objects.update(read_at=timezone.now())
    Notification.objects.create(
        person=people[0], kind="vote_open", key="test:welcome", title="表决开始了", url="/daily/"
    )

    far = region_chain(("贵州省", "六盘水市", "钟山区", "荷城街道", "水西社区"))[-1]
    elsewhere = make_estate(far, name="水西小区")
    far_person = make_owner(elsewhere.dwellings.first(), "外区业主")
    far_resident = make_user(person=far_person)
    return {
        "estate": estate,
        "homes": homes,
        "owner": owner,
        "other_owner": other_owner,
        "tenant": tenant,
        "staff": staff,
        "vote": vote,
        "plan": plan,
        "meeting": meeting,
        "result": result,
        "opinion": opinion,
        "order": order,
        "far": far_resident,
        "elsewhere": elsewhere,
        "entrance2": entrance2,
    }


# --- votes ------------------------------------------------------------------------------------


def test_owner_in_the_electorate_is_asked_to_vote_with_the_deadline(world):
    """The open vote comes first with its closing time, the time left and a 去投票 button."""
    body = main_of(login(world["owner"]).get(FEED))
    vote = world["vote"]
    ballot_url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    assert f'href="{ballot_url}"' in body and "去投票" in body
    assert timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M") in body
    assert "还剩 5 天" in body
    # The most urgent thing first: the vote before the plan, the minutes and the results.
    assert body.index(f'id="vote-{vote.pk}"') < body.index(f'id="plan-{world["plan"].pk}"')
    assert body.index(f'id="vote-{vote.pk}"') < body.index('id="feed-results"')


def test_owner_outside_the_electorate_is_not_asked_to_vote(world):
    """An owner of entrance 2 is not in entrance 1's electorate: no ballot link; the estate's
    plan, minutes and results are still theirs to read."""
    body = main_of(login(world["other_owner"]).get(FEED))
    assert reverse("decisions:ballot", kwargs={"vote_id": world["vote"].pk}) not in body
    assert "去投票" not in body
    assert world["plan"].title in body
    assert reverse("meetings:meeting_minutes", kwargs={"meeting_id": world["meeting"].pk}) in body
    assert reverse("decisions:vote_result", kwargs={"vote_id": world["result"].pk}) in body


def test_vote_leaves_the_feed_once_cast_and_the_receipt_stays(world):
    """After the owner votes the button is gone; the vote shows 已投票 with its receipt."""
    vote, owner = world["vote"], world["owner"]
    elector = decisions.elector_for(vote=vote, person_id=owner.person_id)
    ballot = decisions.ballot_cast(
        vote=vote, elector=elector, choice="agree", channel="online", actor=owner
    )
    body = main_of(login(owner).get(FEED))
    assert "去投票" not in body
    assert "已投票" in body and ballot.receipt in body
    assert reverse("decisions:ballot", kwargs={"vote_id": vote.pk}) in body  # 查看回执


def test_closed_vote_is_no_longer_asked_for(world):
    vote = world["vote"]
    decisions.vote_close(vote=vote, actor=world["staff"])
    assert "去投票" not in main_of(login(world["owner"]).get(FEED))


# --- plans, minutes, results ------------------------------------------------------------------


def test_plan_in_consultation_links_to_reading_and_commenting(world):
    plan = world["plan"]
    body = main_of(login(world["tenant"]).get(FEED))
    assert plan.title in body
    assert reverse("decisions:plan_public", kwargs={"plan_id": plan.pk}) in body
    assert "看方案、提意见" in body
    assert plan.consultation_ends.isoformat() in body


def test_plan_shows_that_the_resident_has_commented(world):
    plan, tenant = world["plan"], world["tenant"]
    decisions.plan_comment(plan=plan, user=tenant, text="希望晚上不要施工")
    assert "您已提过意见" in main_of(login(tenant).get(FEED))
    assert "您已提过意见" not in main_of(login(world["owner"]).get(FEED))


def test_plan_out_of_consultation_is_not_news(world):
    plan = world["plan"]
    plan.consultation_ends = dt.date.today() - dt.timedelta(days=1)
    plan.save()
    assert "看方案、提意见" not in main_of(login(world["owner"]).get(FEED))


def test_published_minutes_and_results_link_to_their_pages(world):
    body = main_of(login(world["tenant"]).get(FEED))
    meeting, result = world["meeting"], world["result"]
    assert reverse("meetings:meeting_minutes", kwargs={"meeting_id": meeting.pk}) in body
    assert reverse("decisions:vote_result", kwargs={"vote_id": result.pk}) in body
    assert "通过" in body
    assert reverse("meetings:minutes_list", kwargs={"estate_id": world["estate"].pk}) in body
    assert reverse("decisions:estate_public", kwargs={"estate_id": world["estate"].pk}) in body


def test_unpublished_minutes_are_not_shown(world):
    draft = make_meeting(world["estate"], kind="courtyard", place="院坝草稿会")
    body = main_of(login(world["owner"]).get(FEED))
    assert reverse("meetings:meeting_minutes", kwargs={"meeting_id": draft.pk}) not in body


def test_resident_of_another_estate_sees_nothing_of_this_one(world):
    """The feed reads the user's own estates only."""
    body = main_of(login(world["far"]).get(FEED))
    for text in (
        world["vote"].title,
        world["plan"].title,
        world["result"].title,
        "居委会会议室",
        "楼道灯坏了",
        "网格员王",
        "13911112222",
        "社区李姐",
        "安居物业",
        "金仓小区",
    ):
        assert text not in body, text
    assert "水西小区" in body


# --- opinions and repair reports --------------------------------------------------------------


def test_opinion_news_says_where_it_went(world):
    """The owner's opinion: its demand, what the status means, the plan answering it."""
    body = main_of(login(world["owner"]).get(FEED))
    opinion = world["opinion"]
    assert "楼道灯坏了" in body and opinion.demand.title in body
    assert "社区已经研究过" in body
    assert reverse("decisions:plan_public", kwargs={"plan_id": world["plan"].pk}) in body
    assert reverse("needs:my_opinions") in body


def test_declined_opinion_shows_the_reason(world):
    demand = world["opinion"].demand
    demand.status, demand.declined_reason = "declined", "院内没有空地"
    demand.save()
    body = main_of(login(world["owner"]).get(FEED))
    assert "这件事暂时不做" in body and "院内没有空地" in body


def test_opinions_are_the_owners_own(world):
    """Another owner's opinion is not in the feed (nor its demand)."""
    body = main_of(login(world["other_owner"]).get(FEED))
    assert "楼道灯坏了" not in body


def test_repair_report_status_and_link(world):
    order = world["order"]
    body = main_of(login(world["owner"]).get(FEED))
    assert reverse("stewardship:my_order", kwargs={"order_id": order.pk}) in body
    assert "已提交" in body
    assert reverse("stewardship:my_orders") in body
    assert reverse("stewardship:my_order", kwargs={"order_id": order.pk}) not in main_of(
        login(world["other_owner"]).get(FEED)
    )


def test_resolved_report_asks_for_confirmation(world):
    order = world["order"]
    order.status = "resolved"
    order.save()
    assert "请您确认是否解决" in main_of(login(world["owner"]).get(FEED))


# --- whom to call -----------------------------------------------------------------------------


def test_contacts_of_the_home_with_full_numbers(world):
    """Grid worker, the dwelling's liaison member, the community's staff and the property
    company, with numbers to tap."""
    body = main_of(login(world["owner"]).get(FEED))
    for text in ("网格员王", "13911112222", "联户党员赵", "13933334444", "社区李姐", "王经理"):
        assert text in body, text
    assert 'href="tel:13911112222"' in body
    assert world["staff"].phone in body
    assert "0851-5551234" in body


def test_liaison_member_is_shown_to_their_households_only(world):
    """The liaison member keeps in touch with homes[0]; the owner of entrance 2 does not see
    them."""
    body = main_of(login(world["other_owner"]).get(FEED))
    assert "联户党员赵" not in body and "13933334444" not in body
    assert "网格员王" in body


def test_seated_community_staff_come_before_other_community_staff(world):
    """The user seated for 社区落实 in the estate's five parties is the community's contact."""
    from xiaoqu.stewardship.models import PartySeat

    seated = make_user("community_staff", estate=world["estate"])
    seated.name = "社区张哥"
    seated.save()
    PartySeat.objects.create(estate=world["estate"], party="community", user=seated)
    body = main_of(login(world["owner"]).get(FEED))
    assert "社区张哥" in body and "社区李姐" not in body


# --- messages ---------------------------------------------------------------------------------


def test_unread_messages_come_first_with_the_inbox_link(world):
    body = main_of(login(world["owner"]).get(FEED))
    assert "表决开始了" in body and reverse("notify:inbox") in body
    assert body.index("表决开始了") < body.index("去投票")


def test_read_messages_and_others_messages_are_not_shown(world):
    Notification.objects.update(read_at=timezone.now())
    Notification.objects.create(
        person=world["other_owner"].person, kind="other", key="x", title="给别人的消息"
    )
    body = main_of(login(world["owner"]).get(FEED))
    assert "表决开始了" not in body and "给别人的消息" not in body


def test_a_message_never_links_off_the_site(world):
    Notification.objects.create(
        person=world["owner"].person,
        kind="other",
        key="evil",
        title="外链消息",
        url="//evil.example/x",
    )
    body = main_of(login(world["owner"]).get(FEED))
    assert "外链消息" in body and "evil.example" not in body


# --- the page ---------------------------------------------------------------------------------


def test_feed_needs_no_javascript(world):
    """A plain GET gives every item as HTML; the page has no script, htmx attribute or inline
    handler of its own: every action is a link."""
    body = main_of(login(world["owner"]).get(FEED))
    assert "<script" not in body
    assert not re.search(r"\shx-[a-z]+=", body)
    assert not re.search(r"\son[a-z]+=", body)
    assert "<form" not in body
    for text in ("去投票", "看方案、提意见", "会议纪要", "表决结果公示", "我的意见", "我的报修"):
        assert text in body, text


def test_query_count_is_bounded_whatever_the_number_of_items(world, django_assert_max_num_queries):
    """The feed reads each kind of item in one or two queries: more votes, plans, minutes,
    results, opinions, orders, messages and a second home estate cost no more queries."""
    owner = world["owner"]
    client = login(owner)
    client.get(FEED)  # sessions and the like, warmed
    for i in range(3):
        Notification.objects.create(person=owner.person, kind="other", key=f"m{i}", title=f"m{i}")
    with CaptureQueriesContext(connection) as before:
        assert client.get(FEED).status_code == 200
    estate, staff = world["estate"], world["staff"]
    entrance1 = estate.buildings.get().entrances.order_by("number").first()
    for i in range(3):
        _vote_on_entrance(estate, staff, entrance1, title=f"第{i}次表决")
        make_passed_vote(estate, staff, matter=3 + i)
        _minutes(estate, place=f"会议室{i}")
        _opinion(estate, owner, world["homes"][0], f"意见{i}")
        make_work_order(estate, owner, text=f"报修{i}")
    second = make_estate(estate.community, name="金仓二区")
    dwelling = second.dwellings.first()
    from xiaoqu.registry.models import Ownership

    Ownership.objects.create(person=owner.person, dwelling=dwelling)
    make_plan_in_consultation(second, staff)
    make_grid([second.buildings.get()], community=second.community)
    with CaptureQueriesContext(connection) as after:
        response = client.get(FEED)
    assert response.status_code == 200 and "金仓二区" in main_of(response)
    assert len(after) == len(before), [q["sql"][:120] for q in after.captured_queries]
    assert len(after) <= 30


def test_home_sends_residents_to_the_feed(world):
    response = login(world["owner"]).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("daily:feed")


def test_navigation_offers_the_feed_first_to_residents(world):
    body = text_of(login(world["tenant"]).get(FEED))
    nav = body[body.index('class="mainnav"') :]
    assert nav.index(reverse("daily:feed")) < nav.index(reverse("registry:resident_home"))
    assert "首页" in nav


def test_feed_keeps_my_dwellings_in_reach(world):
    body = main_of(login(world["owner"]).get(FEED))
    assert world["homes"][0].label in body
    assert reverse("registry:resident_home") in body


def test_user_without_a_person_is_told_how_to_get_linked():
    body = main_of(login(make_user()).get(FEED))
    assert "还没有和居民档案关联" in body


def test_quiet_feed_says_so():
    estate = make_estate(name="安静小区")
    user = make_user(person=make_owner(estate.dwellings.first(), "安静业主"))
    assert "现在没有需要您办的事" in main_of(login(user).get(FEED))
