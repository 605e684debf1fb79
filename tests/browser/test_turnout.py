"""Turnout chasing (催票) in a browser: the grid worker finds the doors handed to them on the
visit page of a 390 px phone, picks one from the list and records the visit; staff follow the
turnout page on a 1366 px desktop. Neither page shows a choice."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_grid, make_owner, make_person, make_user
from xiaoqu.accounts.models import RoleAssignment
from xiaoqu.decisions import services
from xiaoqu.decisions.models import ElectorUnit, TurnoutAssignment, VoteScope
from xiaoqu.needs.models import Visit
from xiaoqu.organization.models import GridWorkerAssignment
from xiaoqu.registry.models import Building, Dwelling, Entrance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}
DESKTOP_1366 = {"width": 1366, "height": 900}
SURNAMES = "王李张刘陈杨黄赵周吴徐孙"


@pytest.fixture
def field(settings, tmp_path):
    """An entrance's elevator vote of 金仓路宿舍 (1栋1单元, 6 dwellings): two owners have voted,
    the other four doors are handed to the grid worker of 一网格."""
    settings.MEDIA_ROOT = tmp_path
    estate = make_estate(name="金仓路宿舍", buildings=2, floors=3, per_floor=2)
    for i, d in enumerate(Dwelling.objects.filter(estate=estate).order_by("pk")):
        make_owner(d, f"{SURNAMES[i % len(SURNAMES)]}建国")
    b1 = Building.objects.get(estate=estate, number="1")
    grid = make_grid([b1], name="一网格")
    worker = make_user(password=PASSWORD)
    worker.name = "李网格"
    worker.save()
    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=grid)
    GridWorkerAssignment.objects.create(
        grid=grid, person=make_person("李网格"), user=worker, started_on=dt.date(2025, 3, 1)
    )
    staff = make_user("community_staff", region=estate.community, password=PASSWORD)
    now = timezone.now()
    vote = services.vote_open(
        vote=services.vote_create(
            estate=estate,
            matter=7,
            title="1栋1单元加装电梯",
            opens_at=now - dt.timedelta(days=2),
            closes_at=now + dt.timedelta(days=10),
            scope=VoteScope.ENTRANCE,
            entrance=Entrance.objects.get(building=b1),
            actor=staff,
        ),
        actor=staff,
    )
    units = list(ElectorUnit.objects.filter(vote=vote).order_by("dwelling__floor", "pk"))
    for u, choice in zip(units[:2], ["agree", "disagree"], strict=True):
        services.ballot_cast(
            vote=vote,
            elector=u.elector,
            choice=choice,
            channel="online",
            actor=make_user(person=u.elector.persons.first()),
        )
    services.turnout_assign(
        vote=vote, unit_ids=[u.pk for u in units[2:]], assignee=worker, actor=staff
    )
    return {
        "estate": estate,
        "vote": vote,
        "worker": worker,
        "staff": staff,
        "doors": [u.dwelling for u in units[2:]],
    }


def login(page, base: str, user, target: str) -> None:
    page.goto(f"{base}/accounts/login/?next={target}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def no_choice_shown(page) -> None:
    text = page.inner_text("body")
    for word in ("同意", "反对", "弃权"):
        assert word not in text


def test_grid_worker_knocks_on_a_door_from_the_list(live_server, chromium, shoot, field):
    """The list shows the four doors; "记录走访" picks the dwelling in the form without
    loading the page again; the visit is stored for that dwelling."""
    from playwright.sync_api import expect

    estate, worker, doors = field["estate"], field["worker"], field["doors"]
    target = f"/needs/estates/{estate.pk}/visit/"
    context = chromium.new_context(viewport=PHONE_390, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        login(page, live_server.url, worker, target)
        assets_loaded(page)
        listing = page.locator("#turnout-doors")
        expect(listing).to_be_visible()
        expect(listing).to_contain_text("1栋1单元加装电梯")
        expect(listing).to_contain_text("还有 4 户未投票")
        rows = listing.locator("li[data-dwelling]")
        expect(rows).to_have_count(4)
        assert "建国" not in listing.inner_text()  # names masked: 王**
        assert re.search(r"[王李张刘陈杨黄赵周吴徐孙]\*\*", listing.inner_text())
        no_choice_shown(page)
        fits_width(page)
        shoot(page, "turnout-visit-390")

        door = doors[1]
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        rows.filter(has=page.locator(f"[data-visit-dwelling='{door.pk}']")).get_by_role(
            "link", name="记录走访"
        ).click()
        expect(page.locator("#v-dwelling")).to_have_value(str(door.pk))
        expect(page.locator(f"li[data-dwelling='{door.pk}']")).to_have_class("picked")
        assert navigations == []  # picked in the page: works without a signal too
        page.click("#v-outcome label:has-text('无人在家')")
        page.fill("#v-note", "门上贴了投票提醒")
        shoot(page, "turnout-visit-390-picked")
        page.click("#visit-save")
        expect(page.locator("#queue-count")).to_have_text("全部已发送", timeout=15000)
        shoot(page, "turnout-visit-390-sent")

        # A desktop shows the same list beside nothing else: it fits as well.
        page.set_viewport_size(DESKTOP_1366)
        page.goto(f"{live_server.url}{target}")
        expect(page.locator("#turnout-doors li[data-dwelling]")).to_have_count(4)
        fits_width(page)
        shoot(page, "turnout-visit-1366")
    finally:
        context.close()
    visit = Visit.objects.get()
    assert (visit.dwelling, visit.visitor, visit.outcome) == (door, worker, "not_home")
    assert visit.note == "门上贴了投票提醒"
    assert problems == []


def test_staff_follow_the_turnout_and_hand_out_doors(live_server, chromium, shoot, field):
    """The staff page counts the doors by entrance, never shows a choice, and hands the
    entrance's doors back out; the counts reload by themselves."""
    from playwright.sync_api import expect

    vote, staff = field["vote"], field["staff"]
    target = f"/decisions/votes/{vote.pk}/turnout/"
    for size, name in ((DESKTOP_1366, "1366"), (PHONE_390, "390")):
        context = chromium.new_context(viewport=size, locale="zh-CN")
        page = context.new_page()
        problems = watch(page)
        try:
            login(page, live_server.url, staff, target)
            assets_loaded(page)
            expect(page.locator("#owners-not-voted")).to_have_text("4")
            expect(page.locator("#no-choices")).to_contain_text("从不显示任何人的选择")
            expect(page.locator("ul.doors > li")).to_have_count(4)
            expect(page.locator("ul.doors")).to_contain_text("催票：李网格")
            assert page.get_attribute("#turnout-counts", "hx-trigger") == "every 30s"
            no_choice_shown(page)
            fits_width(page)
            shoot(page, f"turnout-staff-{name}")
            assert problems == []
        finally:
            context.close()
    context = chromium.new_context(viewport=DESKTOP_1366, locale="zh-CN")
    page = context.new_page()
    try:
        login(page, live_server.url, staff, target)
        door = field["doors"][0]
        page.locator(f"#door-{door.pk} input[type=checkbox]").check()
        page.get_by_role("button", name="取消勾选房屋的分派").click()
        expect(page.locator(".messages")).to_contain_text("已取消 1 户的分派")
        expect(page.locator(f"#door-{door.pk}")).to_contain_text("未分派")
        page.get_by_role("button", name="分派本单元全部未投票户").click()
        expect(page.locator(".messages")).to_contain_text("已分派 1 户。3 户原已分派，未改动。")
    finally:
        context.close()
    assert TurnoutAssignment.objects.filter(vote=vote, assignee=field["worker"]).count() == 4
