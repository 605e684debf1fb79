"""The staff to-do workbench (/daily/todo/, docs/daily.md): each kind of line appears when
there is something to do and disappears once it is done, in the user's scope only, for the
roles that can act on it; the page's queries do not grow with the data; the turnout bars
agree with the vote's own participation and the Art. 278 quorum."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    PLAN_ITEMS,
    make_estate,
    make_grid,
    make_meeting,
    make_open_vote,
    make_owner,
    make_plan_in_consultation,
    make_project,
    make_user,
    make_work_order,
    region_chain,
)
from xiaoqu.accounts.models import User
from xiaoqu.daily import todo
from xiaoqu.decisions import services as decisions
from xiaoqu.decisions.models import Plan, Vote
from xiaoqu.decisions.selectors import participation, tally
from xiaoqu.meetings import services as meetings
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Demand, Opinion
from xiaoqu.renovation.models import ProjectItem
from xiaoqu.renovation.selectors import is_overdue
from xiaoqu.stewardship.models import WorkOrder

pytestmark = pytest.mark.django_db

TODO = "/daily/todo/"


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def groups_of(user: User, moment: todo.Moment | None = None) -> dict[str, todo.Group]:
    return {g.key: g for g in todo.todo_groups(user, moment)}


def titles(user: User, kind: str) -> list[str]:
    found = groups_of(user).get(kind)
    return [line.title for line in found.lines] if found else []


@pytest.fixture
def place():
    """金仓社区 with two estates, 吉祥社区 of the same street with one, and their staff."""
    jincang = region_chain()
    jixiang = region_chain(("贵州省", "贵阳市", "云岩区", "盐务街街道", "吉祥社区"))
    home = make_estate(jincang[-1], name="金仓小区", buildings=2)
    other = make_estate(jincang[-1], name="金仓二区")
    neighbour = make_estate(jixiang[-1], name="吉祥小区")
    return {
        "home": home,
        "other": other,
        "neighbour": neighbour,
        "community": make_user("community_staff", region=jincang[-1]),
        "street": make_user("street_staff", region=jincang[-2]),
        "neighbour_staff": make_user("community_staff", region=jixiang[-1]),
    }


def cast(vote: Vote, elector, choice: str) -> None:
    """The owner's own ballot from the phone."""
    decisions.ballot_cast(
        vote=vote,
        elector=elector,
        choice=choice,
        channel="online",
        actor=make_user(person=elector.persons.first()),
    )


def hotline(estate, staff, text: str, *, urgent: bool = False, building=None) -> Opinion:
    (opinion,) = needs.opinions_record(
        estate=estate,
        items=[needs.OpinionInput(text=text, urgent=urgent, building=building)],
        channel="hotline",
        actor=staff,
    )
    return opinion


# --- each kind appears, and disappears once done -------------------------------------------


def test_an_urgent_opinion_waits_until_its_demand_is_answered(place):
    staff = place["community"]
    opinion = hotline(place["home"], staff, "燃气管道有股味道，怕漏气", urgent=True)
    hotline(place["home"], staff, "希望多种几棵树")
    assert titles(staff, "opinions") == ["燃气管道有股味道，怕漏气"]
    line = groups_of(staff)["opinions"].lines[0]
    assert line.level == todo.URGENT and line.estate == "金仓小区"
    assert line.url == reverse("needs:demand_detail", kwargs={"demand_id": opinion.demand_id})
    needs.demand_set_status(
        demand=Demand.objects.get(pk=opinion.demand_id), status="assessed", actor=staff
    )
    assert titles(staff, "opinions") == []


def test_an_opinion_in_no_demand_is_listed_until_placed(place):
    staff = place["community"]
    opinion = hotline(place["home"], staff, "楼下商铺噪音大")
    demand_id = opinion.demand_id
    Opinion.objects.filter(pk=opinion.pk).update(demand=None)
    (line,) = groups_of(staff)["opinions"].lines
    assert line.level == "" and line.url == reverse(
        "needs:opinion_list", kwargs={"estate_id": place["home"].pk}
    )
    Opinion.objects.filter(pk=opinion.pk).update(demand=demand_id)
    assert "opinions" not in groups_of(staff)


def test_a_demand_waits_for_an_answer_until_assessed_or_declined(place):
    staff = place["community"]
    first = hotline(place["home"], staff, "屋顶漏水，下雨天屋里滴水")
    hotline(place["other"], staff, "楼道灯不亮")
    assert set(titles(staff, "demands")) == {"屋顶漏水，下雨天屋里滴水", "楼道灯不亮"}
    line = next(line for line in groups_of(staff)["demands"].lines if line.title.startswith("屋顶"))
    assert "1 户提出" not in line.detail  # a hotline call is tied to no dwelling
    assert "1 条意见" in line.detail
    demand = Demand.objects.get(pk=first.demand_id)
    needs.demand_set_status(demand=demand, status="declined", reason="已列入明年计划", actor=staff)
    assert titles(staff, "demands") == ["楼道灯不亮"]


def test_a_vote_is_listed_within_the_days_before_it_closes_and_gone_once_closed(place):
    staff = place["community"]
    vote = make_open_vote(place["home"], staff)  # closes in 14 days
    assert "votes" not in groups_of(staff)
    with override_settings(XIAOQU_TODO_VOTE_DAYS=20):
        assert titles(staff, "votes") == [vote.title]
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() + dt.timedelta(days=3))
    (line,) = groups_of(staff)["votes"].lines
    assert line.level == "" and line.url.endswith(f"/votes/{vote.pk}/")
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() + dt.timedelta(hours=5))
    assert groups_of(staff)["votes"].lines[0].level == todo.URGENT
    decisions.vote_close(vote=Vote.objects.get(pk=vote.pk), actor=staff)
    assert "votes" not in groups_of(staff)


def test_a_plan_whose_consultation_ended_waits_until_published(place):
    staff = place["community"]
    plan = make_plan_in_consultation(place["other"], staff)
    assert "plans" not in groups_of(staff)
    Plan.objects.filter(pk=plan.pk).update(
        consultation_starts=timezone.localdate() - dt.timedelta(days=12),
        consultation_ends=timezone.localdate() - dt.timedelta(days=2),
    )
    (line,) = groups_of(staff)["plans"].lines
    assert line.level == todo.OVERDUE and "收到 0 条居民意见" in line.detail
    decisions.plan_publish(plan=Plan.objects.get(pk=plan.pk), actor=staff)
    assert "plans" not in groups_of(staff)


def test_minutes_wait_until_published_and_future_meetings_are_not_listed(place):
    staff = place["community"]
    held = make_meeting(place["home"], "courtyard", place="院坝")
    make_meeting(place["home"], "council", held_on=timezone.localdate() + dt.timedelta(days=3))
    (line,) = groups_of(staff)["meetings"].lines
    assert "院坝" in line.title and line.detail == "纪要还没写"
    meetings.meeting_record_update(meeting=held, actor=staff, minutes="议定：先修屋顶。")
    assert groups_of(staff)["meetings"].lines[0].detail == "纪要已写好，待公布"
    meetings.meeting_publish_minutes(meeting=held, actor=staff)
    assert "meetings" not in groups_of(staff)


@pytest.fixture
def published_vote(place):
    """A closed vote of 金仓小区 with its result published (objection period: 7 days)."""
    staff = place["community"]
    for i, dwelling in enumerate(place["home"].dwellings.order_by("pk")):
        make_owner(dwelling, f"业主{i}")
    vote = make_open_vote(place["home"], staff, matter=2)
    for elector in vote.electors.order_by("pk")[:6]:
        cast(vote, elector, "agree")
    vote = decisions.vote_close(vote=vote, actor=staff)
    return decisions.vote_publish_result(vote=vote, actor=staff)


def test_an_objection_is_listed_during_its_objection_period(place, published_vote):
    staff = place["community"]
    elector = published_vote.electors.order_by("pk").first()
    owner = make_user(person=elector.persons.first())
    decisions.objection_raise(vote=published_vote, user=owner, text="公示时间太短，很多人没看到")
    (line,) = groups_of(staff)["objections"].lines
    assert "公示时间太短" in line.detail and line.url.endswith("/result/#objections")
    after = published_vote.objection_until + dt.timedelta(minutes=1)
    assert "objections" not in groups_of(staff, todo.Moment(after, after.date(), 7))


def test_an_overdue_item_of_works_is_listed_until_finished(place):
    admin = make_user("admin")
    project = make_project(place["home"], admin, items=PLAN_ITEMS[:1], stage="works")
    item = project.items.get()
    item.planned_start = timezone.localdate() - dt.timedelta(days=40)
    item.planned_finish = timezone.localdate() - dt.timedelta(days=4)
    item.percent = 60
    item.save()
    assert is_overdue(item, timezone.localdate())
    (line,) = groups_of(place["community"])["works"].lines
    assert line.title == "雨污分流管网改造" and line.level == todo.OVERDUE
    assert "逾期 4 天" in line.when and "60%" in line.detail
    assert line.url == reverse("renovation:project_progress", kwargs={"project_id": project.pk})
    ProjectItem.objects.filter(pk=item.pk).update(percent=100)
    assert "works" not in groups_of(place["community"])


def test_an_overdue_order_is_listed_for_whoever_may_handle_it_until_resolved(place):
    past = timezone.now() - dt.timedelta(hours=3)
    order = make_work_order(place["home"], due_at=past, text="楼道灯不亮三天了")
    staff, street = place["community"], place["street"]
    assert titles(staff, "orders") == titles(street, "orders") == [f"#{order.pk} 楼道灯不亮"]
    assert groups_of(staff)["orders"].lines[0].level == todo.OVERDUE
    # Escalated to the street: the community no longer handles it, the street does.
    WorkOrder.objects.filter(pk=order.pk).update(
        party="street", escalations=2, due_at=timezone.now() + dt.timedelta(hours=8)
    )
    assert "orders" not in groups_of(staff)
    (line,) = groups_of(street)["orders"].lines
    assert line.level == todo.URGENT and "街道统筹" in line.when
    WorkOrder.objects.filter(pk=order.pk).update(status="resolved")
    assert "orders" not in groups_of(street)


# --- scope and roles ------------------------------------------------------------------------


def test_another_community_sees_none_of_it_and_the_street_sees_both(place):
    hotline(place["home"], place["community"], "消防通道被堵", urgent=True)
    make_meeting(place["home"], "courtyard")
    mine = hotline(place["neighbour"], place["neighbour_staff"], "门禁坏了", urgent=True)
    assert titles(place["neighbour_staff"], "opinions") == ["门禁坏了"]
    assert "meetings" not in groups_of(place["neighbour_staff"])
    assert set(titles(place["street"], "opinions")) == {"消防通道被堵", "门禁坏了"}
    assert "门禁坏了" not in titles(place["community"], "opinions")
    page = login(place["community"]).get(TODO).content.decode()
    assert "消防通道被堵" in page and "吉祥小区" not in page and mine.text not in page


def test_a_grid_worker_sees_the_grid_and_the_kinds_a_grid_worker_acts_on(place):
    home = place["home"]
    first, second = home.buildings.order_by("number")
    grid = make_grid([first])
    worker = make_user()
    from xiaoqu.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=grid)
    staff = place["community"]
    hotline(home, staff, "1栋外墙掉砖", urgent=True, building=first)
    hotline(home, staff, "2栋外墙掉砖", urgent=True, building=second)
    make_meeting(home, "courtyard")
    assert {k.key for k in todo.kinds_for(worker)} == {"opinions", "meetings"}
    assert titles(worker, "opinions") == ["1栋外墙掉砖"]
    assert set(groups_of(worker)) == {"opinions", "meetings"}
    assert login(worker).get(f"{TODO}?kind=demands").status_code == 404


@pytest.mark.parametrize(
    "role, kinds",
    [
        ("community_staff", set(todo.KINDS)),
        ("street_staff", set(todo.KINDS)),
        ("property_manager", {"orders"}),
        ("owners_committee", {"orders", "votes", "objections", "meetings"}),
        ("contractor", {"works"}),
        ("housing_bureau", {"orders"}),
        ("party_member", set()),
        ("supervisor", set()),
    ],
)
def test_each_role_sees_the_kinds_its_permissions_let_it_act_on(place, role, kinds):
    user = make_user(role, estate=place["home"])
    assert {k.key for k in todo.kinds_for(user)} == kinds


def test_residents_do_not_open_the_workbench(place):
    resident = make_user()
    assert login(resident).get(TODO).status_code == 404


# --- the page ---------------------------------------------------------------------------------


def test_staff_land_on_the_workbench_and_reach_the_register_summary(place):
    client = login(place["community"])
    response = client.get(reverse("web:home"))
    assert response.status_code == 302 and response["Location"] == TODO
    page = client.get(TODO).content.decode()
    assert f'href="{TODO}" class="active"' in page
    assert f'href="{reverse("registry:workbench")}"' in page and "概况" in page
    assert "没有待办事项" in page


def test_the_page_groups_by_kind_urgent_first_with_counts(place):
    staff = place["community"]
    make_meeting(place["home"], "courtyard")
    hotline(place["home"], staff, "楼道灯不亮")
    make_work_order(place["home"], due_at=timezone.now() - dt.timedelta(hours=1))
    keys = list(groups_of(staff))
    assert keys[0] == "orders" and set(keys) == {"orders", "meetings", "demands"}
    page = login(staff).get(TODO).content.decode()
    assert page.index('id="todo-orders"') < page.index('id="todo-meetings"')
    assert 'href="#todo-demands"' in page


def test_more_than_twenty_lines_link_to_the_full_list(place):
    staff = place["community"]
    for i in range(todo.LINES + 1):
        Demand.objects.create(
            estate=place["home"], category="other", title=f"需求{i}", source="staff"
        )
    demands = groups_of(staff)["demands"]
    assert demands.total == todo.LINES + 1 and len(demands.lines) == todo.LINES
    board = reverse("needs:demand_board", kwargs={"estate_id": place["home"].pk})
    assert demands.more_url == f"{board}?status=collected"  # one estate: its own list
    Demand.objects.create(
        estate=place["other"], category="other", title="另一个小区", source="staff"
    )
    demands = groups_of(staff)["demands"]
    assert demands.more_url == f"{TODO}?kind=demands"
    client = login(staff)
    assert "全部 22 条" in client.get(TODO).content.decode()
    full = client.get(demands.more_url).content.decode()
    assert full.count('<li class="todo-line') == 22 and "另一个小区" in full
    assert client.get(f"{TODO}?kind=demands&page=9")["Location"] == f"{TODO}?kind=demands&page=1"
    assert client.get(f"{TODO}?kind=nothing").status_code == 404


def test_the_page_costs_the_same_queries_whatever_the_data(place):
    """One query a kind (two where lines show figures of other rows), not one per line."""
    staff = place["street"]

    def fill(n: int) -> None:
        for estate in (place["home"], place["neighbour"]):
            for i in range(n):
                hotline(estate, place["street"], f"第{i}条紧急情况{estate.pk}", urgent=True)
                make_meeting(estate, "courtyard", place=f"院坝{i}")
                make_work_order(estate, due_at=timezone.now() - dt.timedelta(hours=i + 1))
            vote = make_open_vote(estate, staff)
            Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() + dt.timedelta(days=2))

    def count() -> int:
        client = login(User.objects.get(pk=staff.pk))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TODO).status_code == 200
        return len(queries)

    fill(1)
    few = count()
    fill(12)
    assert count() == few
    assert few <= 20


# --- the turnout bars -----------------------------------------------------------------------


def test_the_turnout_bars_agree_with_the_votes_participation_and_the_quorum(place):
    staff = place["community"]
    estate = place["home"]  # 2 buildings × 4 dwellings of 80 m²
    for i, dwelling in enumerate(estate.dwellings.order_by("pk")):
        make_owner(dwelling, f"业主{i}")
    vote = make_open_vote(estate, staff, matter=7)
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() + dt.timedelta(days=1))
    for elector in vote.electors.order_by("pk")[:3]:
        cast(vote, elector, "agree")
    turnout = groups_of(staff)["votes"].lines[0].turnout
    live = participation(vote=vote)
    assert (turnout.owners, turnout.total_owners) == (live.owners, live.total_owners) == (3, 8)
    assert (turnout.area, turnout.total_area) == (live.area, live.total_area)
    assert turnout.area == Decimal("240.00") and turnout.total_area == Decimal("640.00")
    assert turnout.owners_pct == 37.5 and turnout.area_pct == 37.5
    # Two thirds of 8 owners is 6 (5.33 rounded up); of 640 m², 426.67 m².
    assert turnout.owners_short == 3 and turnout.area_short == Decimal("186.67")
    assert turnout.special and not turnout.quorum_met
    page = login(staff).get(TODO).content.decode()
    assert 'value="37.5"' in page and "还差 3 人" in page and "还差 186.67 m²" in page
    for elector in vote.electors.order_by("pk")[3:6]:
        cast(vote, elector, "disagree")
    turnout = groups_of(staff)["votes"].lines[0].turnout
    assert turnout.owners_short == 0 and turnout.area_short == 0 and turnout.quorum_met
    assert turnout.quorum_met == tally(vote=vote).quorum_met
    assert "人数已达三分之二" in login(staff).get(TODO).content.decode()
