"""An owner's day on an old phone, with JavaScript switched off: sign in → the feed (今天) →
vote → keep the receipt → check it → back to the feed → read a published result. Then the
same feed on a desktop. Screenshots at 390 px and 1366 px (XIAOQU_SHOTS_DIR)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import (
    make_estate,
    make_grid,
    make_meeting,
    make_owner,
    make_passed_vote,
    make_person,
    make_plan_in_consultation,
    make_user,
    make_work_order,
)
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Ballot, VoteScope
from xiaoqu.organization.models import GridWorkerAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD_PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _world():
    estate = make_estate(name="金仓路市政宿舍", floors=3, per_floor=2)
    owners = [make_owner(d, f"业主{i}") for i, d in enumerate(estate.dwellings.order_by("pk"))]
    staff = make_user("community_staff", region=estate.community)
    staff.name = "社区李姐"
    staff.save()
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=7,
        title="1栋1单元加装电梯",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=12),
        scope=VoteScope.ENTRANCE,
        entrance=estate.buildings.get().entrances.get(),
        actor=staff,
    )
    vote = services.vote_open(vote=vote, actor=staff)
    make_plan_in_consultation(estate, staff)
    meeting = make_meeting(estate, kind="council", held_on=dt.date.today(), place="居委会会议室")
    meeting.minutes, meeting.minutes_published_at = "讨论改造方案", now
    meeting.save()
    result = make_passed_vote(estate, staff)
    result.title = "修改《管理规约》"
    result.save()
    owner = make_user(person=owners[0], password=PASSWORD)
    owner.name = "周建国"
    owner.save()
    make_work_order(estate, owner, text="1单元三楼楼道灯不亮")
    grid = make_grid([estate.buildings.get()], community=estate.community)
    GridWorkerAssignment.objects.create(
        grid=grid, person=make_person("陆美", "13911112222"), started_on=dt.date(2024, 1, 1)
    )
    return vote, result, owner


def test_owner_votes_from_the_feed_without_javascript(live_server, chromium, shoot):
    vote, result, owner = _world()
    base = live_server.url
    context = chromium.new_context(viewport=OLD_PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    problems = watch(page)
    try:
        # Signing in lands on the feed: the vote first, with its big button.
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_phone", owner.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/daily/today/$"))
        card = page.locator(f"#vote-{vote.pk}")
        assert "请您投票" in card.inner_text() and "还剩" in card.inner_text()
        for section in ("#feed-results", "#feed-minutes", "#feed-orders", "[id^='plan-']"):
            assert page.locator(section).count() == 1, section
        assert "13911112222" in page.locator("main").inner_text()
        fits_width(page)
        shoot(page, "owner-feed-390")

        # Vote: choose, confirm, get the receipt.
        page.click(f"#go-vote-{vote.pk}")
        page.wait_for_url(re.compile(rf"/decisions/votes/{vote.pk}/ballot/$"))
        page.click("#choice-agree")
        page.wait_for_selector("#confirm")
        page.click("#confirm")
        page.wait_for_selector("#receipt-code")
        receipt = page.locator("#receipt-code").inner_text().strip()
        assert receipt == Ballot.objects.get(vote=vote).receipt
        fits_width(page)
        shoot(page, "owner-receipt-390")

        # Check the receipt on the public page.
        page.click(f"a[href*='/decisions/votes/{vote.pk}/receipt/']")
        page.wait_for_selector("#receipt-found")
        assert "已计入" in page.locator("#receipt-found").inner_text()

        # Back on the feed the vote is done: 已投票 with the receipt, no button.
        page.goto(f"{base}/daily/today/")
        assert page.locator(f"#vote-{vote.pk}").count() == 0
        assert receipt in page.locator(f"#voted-{vote.pk}").inner_text()
        shoot(page, "owner-feed-voted-390")

        # A published result, from the feed.
        page.click(f"#result-{result.pk} a")
        page.wait_for_url(re.compile(rf"/decisions/votes/{result.pk}/result/$"))
        assert "通过" in page.locator("#result").inner_text()
        fits_width(page)
        shoot(page, "owner-result-390")
    finally:
        context.close()
    assert problems == []


def test_the_feed_on_a_desktop(live_server, chromium, shoot):
    vote, _result, owner = _world()
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/daily/today/")
        page.fill("#id_phone", owner.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/daily/today/$"))
        assets_loaded(page)
        fits_width(page)
        # Two columns: whom to call beside the news.
        vote_box = page.locator(f"#vote-{vote.pk}").bounding_box()
        contacts_box = page.locator("[id^='contacts-']").first.bounding_box()
        assert vote_box and contacts_box and contacts_box["x"] > vote_box["x"] + vote_box["width"]
        shoot(page, "owner-feed-1366")
    finally:
        context.close()
    assert problems == []
