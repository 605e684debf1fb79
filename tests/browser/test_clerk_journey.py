"""A community clerk's morning: sign in → the to-do workbench → the meeting whose minutes are
not published → confirm and publish → back on the workbench the line is gone. On a desktop
and on a phone; screenshots at 1366 px and 390 px (XIAOQU_SHOTS_DIR)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.helpers import PASSWORD, fits_width, watch
from tests.factories import make_estate, make_meeting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", ["1366", "390"])
def test_clerk_publishes_minutes_from_the_workbench(live_server, chromium, shoot, size):
    estate = make_estate(name="金仓路市政宿舍", floors=2, per_floor=2)
    clerk = make_user("community_staff", region=estate.community, password=PASSWORD)
    meeting = make_meeting(
        estate, kind="council", held_on=dt.date.today() - dt.timedelta(days=2), place="居委会"
    )
    meeting.minutes = "议定：先修屋面，再议加装电梯。"
    meeting.save()

    context = chromium.new_context(viewport=SIZES[size], locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_phone", clerk.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        # Staff land on the to-do workbench; the unpublished minutes are a line of it.
        page.wait_for_url(re.compile(r"/daily/todo/$"))
        group = page.locator("#todo-meetings")
        assert group.count() == 1
        assert "金仓路市政宿舍" in group.inner_text()
        fits_width(page)
        shoot(page, f"clerk-todo-{size}")

        group.locator("a.todo-title").first.click()
        page.wait_for_url(re.compile(rf"/meetings/{meeting.pk}/"))
        # Publishing is irreversible: the button does nothing until the check is ticked.
        page.click("#publish-minutes")
        meeting.refresh_from_db()
        assert meeting.minutes_published_at is None
        page.check("#confirm-publish")
        shoot(page, f"clerk-publish-{size}")
        page.click("#publish-minutes")
        page.wait_for_load_state()
        meeting.refresh_from_db()
        assert meeting.minutes_published_at is not None

        page.goto(f"{live_server.url}/daily/todo/")
        assert "金仓路市政宿舍" not in page.locator("main").inner_text() or (
            page.locator("#todo-meetings .todo-line").count() == 0
        )
        shoot(page, f"clerk-todo-done-{size}")
    finally:
        context.close()
    assert problems == []
