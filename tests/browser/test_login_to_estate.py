"""A staff member logs in, finds an estate in the list and opens it, on a desktop and a phone."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_owner, make_user, region_chain
from xiaoqu.registry.models import Person, Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_and_estate():
    community = region_chain()[-1]
    estate = make_estate(
        community, name="金仓小区", year_built=1992, buildings=2, floors=3, area=Decimal("72.50")
    )
    owner = make_owner(estate.dwellings.order_by("pk").first(), name="王秀英")
    Person.objects.filter(pk=owner.pk).update(phone="13812345678")
    make_estate(community, name="吉祥苑", year_built=2008)
    user = make_user("community_staff", region=community, password=PASSWORD)
    return user, estate


@pytest.mark.parametrize(("label", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_login_then_estate_list_then_estate_page(
    live_server, chromium, shoot, staff_and_estate, label, viewport
):
    """Login → estate list → estate page works and fits the screen, with our assets only."""
    user, estate = staff_and_estate
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/registry/estates/")
        assert "/accounts/login/" in page.url
        assets_loaded(page)
        shoot(page, f"browser-login-{label}")
        page.fill("#id_phone", user.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/registry/estates/$"))
        assert page.locator("#estate-table").is_visible()
        assert page.locator("#estate-table tbody tr").count() == 2
        assets_loaded(page)
        fits_width(page)
        if label == "phone":
            # The links that do not fit scroll sideways, and a shade at the edge says so.
            nav = page.locator(".mainnav-inner")
            assert nav.evaluate("n => n.scrollWidth > n.clientWidth")
            assert "radial-gradient" in nav.evaluate("n => getComputedStyle(n).backgroundImage")
        shoot(page, f"browser-estate-list-{label}")

        page.fill("#id_q", "金仓")
        page.click("#filter-submit")
        page.wait_for_url(re.compile(r"q=%E9%87%91%E4%BB%93"))
        assert page.locator("#estate-table tbody tr").count() == 1

        page.click("text=金仓小区")
        page.wait_for_url(re.compile(rf"/registry/estates/{estate.pk}/$"))
        assert page.locator("#estate-name").inner_text() == "金仓小区"
        body = page.locator("main").inner_text()
        assert "王秀英" in body
        assert "13812345678" in body  # community staff see full phones
        assets_loaded(page)
        fits_width(page)
        shoot(page, f"browser-estate-page-{label}")
    finally:
        context.close()
    assert problems == []


def test_region_tree_opens_a_node_with_htmx(live_server, chromium, shoot, staff_and_estate):
    """Opening a collapsed region fetches its children in place (htmx from our static files)."""
    _, estate = staff_and_estate
    province = Region.objects.get(name="贵州省")
    user = make_user("housing_bureau", region=province, password=PASSWORD)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/registry/regions/")
        page.fill("#id_phone", user.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/registry/regions/$"))
        assert page.locator("#region-tree").is_visible()
        assert page.locator("text=云岩区").count() == 0
        page.click("summary:has-text('贵阳市')")
        page.wait_for_selector("text=云岩区")
        shoot(page, "browser-region-tree-desktop")
    finally:
        context.close()
    assert problems == []
