"""An owner votes on a phone, keeps the receipt and checks it on the public page."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_open_vote, make_owner, make_user
from xiaoqu.decisions.models import Ballot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_votes_on_a_phone_and_checks_the_receipt(live_server, chromium, shoot):
    estate = make_estate(name="金仓小区", floors=3, per_floor=2)
    owners = [make_owner(d, f"业主{i}") for i, d in enumerate(estate.dwellings.order_by("pk"))]
    staff = make_user("community_staff", estate=estate)
    vote = make_open_vote(estate, staff)
    owner = make_user(person=owners[0], password=PASSWORD)
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/decisions/mine/")
        page.fill("#id_phone", owner.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/decisions/mine/$"))
        page.click("text=去投票")
        page.wait_for_url(re.compile(rf"/decisions/votes/{vote.pk}/ballot/$"))
        assets_loaded(page)
        fits_width(page)
        shoot(page, "browser-ballot-phone")
        page.click("#choice-agree")
        page.wait_for_selector("#confirm")
        assert "同意" in page.locator("#confirm-form").inner_text()
        shoot(page, "browser-ballot-confirm-phone")
        assert not Ballot.objects.exists()
        page.click("#confirm")
        page.wait_for_selector("#receipt-code")
        receipt = page.locator("#receipt-code").inner_text().strip()
        ballot = Ballot.objects.get()
        assert receipt == ballot.receipt and ballot.choice == "agree"
        fits_width(page)
        shoot(page, "browser-ballot-receipt-phone")

        # Anyone may check a receipt: a fresh browser with no login.
        public = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
        public.goto(f"{live_server.url}/decisions/votes/{vote.pk}/receipt/")
        public.fill("input[name=receipt]", receipt.replace("-", " ").lower())
        public.click("#receipt-form button")
        public.wait_for_selector("#receipt-found")
        assert "已计入" in public.locator("#receipt-found").inner_text()
        assert "同意" not in public.locator("main").inner_text()
        shoot(public, "browser-receipt-check-phone")
        public.context.close()
    finally:
        context.close()
    assert problems == []


def test_published_result_and_its_a4_notice(live_server, chromium, shoot):
    """The owner reads the published result on a phone; the A4 notice prints on one page."""
    from xiaoqu.decisions import services

    estate = make_estate(name="金仓小区", floors=3, per_floor=2)
    owners = [make_owner(d, f"业主{i}") for i, d in enumerate(estate.dwellings.order_by("pk"))]
    staff = make_user("community_staff", estate=estate)
    vote = make_open_vote(estate, staff)
    for elector in vote.electors.order_by("pk")[:5]:
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice="agree",
            channel="online",
            actor=make_user(person=elector.persons.first()),
        )
    services.vote_close(vote=vote, actor=staff)
    services.vote_publish_result(vote=vote, actor=staff)
    owner = make_user(person=owners[0], password=PASSWORD)
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/decisions/votes/{vote.pk}/result/")
        page.fill("#id_phone", owner.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#result")
        assert "通过" in page.locator("#result").inner_text()
        fits_width(page)
        shoot(page, "browser-vote-result-phone")
        page.goto(f"{live_server.url}/decisions/votes/{vote.pk}/result/print/")
        shoot(page, "browser-vote-result-print")
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pages == 1, f"the notice takes {pages} A4 pages"
    finally:
        context.close()
    assert problems == []
