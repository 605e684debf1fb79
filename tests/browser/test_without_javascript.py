"""A resident's core flows work in a browser with JavaScript turned off: saying something on
the opinion form, casting a ballot and keeping its receipt, reading the feed, and switching
to large text. Old phones, data savers and failed script downloads must not stop them."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import PASSWORD, fits_width, watch
from tests.factories import make_estate, make_open_vote, make_owner, make_user
from xiaoqu.decisions.models import Ballot
from xiaoqu.needs.models import Opinion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_390 = {"width": 390, "height": 844}


def test_resident_flows_without_javascript(live_server, chromium, shoot):
    """With scripts off an owner submits an opinion and sees it under 我的意见, votes and
    sees the receipt, opens the feed, and turns large text on."""
    estate = make_estate(name="金仓小区", floors=3, per_floor=2)
    owners = [make_owner(d, f"业主{i}") for i, d in enumerate(estate.dwellings.order_by("pk"))]
    staff = make_user("community_staff", estate=estate)
    vote = make_open_vote(estate, staff)
    owner = make_user(person=owners[0], password=PASSWORD)
    context = chromium.new_context(viewport=PHONE_390, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/needs/mine/new/")
        page.fill("#id_phone", owner.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/needs/mine/new/$"))
        assert page.evaluate("typeof window.htmx") == "undefined", "scripts ran"

        # An opinion, sent by the form alone.
        said = "三栋楼道的灯坏了一个月，晚上上下楼看不见"
        page.fill("#id_text", said)
        page.click("#submit-opinion")
        page.wait_for_url(re.compile(r"/needs/mine/$"))
        assert said in page.locator("main").inner_text()
        assert Opinion.objects.filter(text=said, dwelling__isnull=True).count() == 1
        shoot(page, "browser-nojs-my-opinions-phone")

        # A ballot: choose, confirm, receipt — three plain form posts.
        page.goto(f"{live_server.url}/decisions/mine/")
        page.click("text=去投票")
        page.wait_for_url(re.compile(rf"/decisions/votes/{vote.pk}/ballot/$"))
        page.click("#choice-agree")
        page.wait_for_selector("#confirm")
        assert not Ballot.objects.exists()
        page.click("#confirm")
        page.wait_for_selector("#receipt-code")
        ballot = Ballot.objects.get()
        assert page.locator("#receipt-code").inner_text().strip() == ballot.receipt
        assert ballot.choice == "agree"
        shoot(page, "browser-nojs-receipt-phone")

        # The feed.
        response = page.goto(f"{live_server.url}/daily/today/")
        assert response is not None and response.status == 200
        assert page.locator("main h1").count() == 1
        fits_width(page)
        shoot(page, "browser-nojs-feed-phone")

        # Large text is a form too.
        with page.expect_navigation():
            page.click("#text-size")
        assert page.url.endswith("/daily/today/")
        assert page.locator("html.text-large").count() == 1
        fits_width(page)
    finally:
        context.close()
    assert problems == []
