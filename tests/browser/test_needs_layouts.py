"""Needs pages at a phone's 390 px and a desktop's 1366 px: the opinion list (a table, one
category select for the page), the A4 print page of a demand list on a phone, and the demand
board in English, whose long headings squeezed the demand column to 81 px."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.helpers import PASSWORD, fits_width
from tests.browser.test_lifecircle_map import login
from tests.factories import make_estate, make_user, region_chain
from xiaoqu.needs import services
from xiaoqu.needs.models import Channel, Demand, Opinion
from xiaoqu.needs.services import OpinionInput

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TITLES = [
    "一下雨屋头就滴水，顶楼遭惨了，盆盆桶桶都接满了",
    "楼道灯坏了好久了，晚上上楼黑黢黢的",
    "电瓶车莫得地方充电，好多人从楼上拉线下来充，危险得很",
]


@pytest.fixture
def world():
    estate = make_estate(region_chain()[-1], name="金仓小区", floors=5, per_floor=2)
    staff = make_user("community_staff", region=estate.community, password=PASSWORD)
    homes = list(estate.dwellings.order_by("pk"))
    for n, title in enumerate(TITLES):
        demand = Demand.objects.create(estate=estate, category="stairwell", title=title)
        for home in homes[: n + 2]:
            Opinion.objects.create(
                estate=estate,
                dwelling=home,
                building=home.building,
                channel=Channel.HOTLINE,
                text=title,
                heard_on=dt.date(2026, 3, 1 + n),
                category="stairwell",
                demand=demand,
            )
    services.opinions_record(
        estate=estate,
        items=[OpinionInput(text=f"第{i}号：屋顶漏水") for i in range(35)],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    published = services.demand_list_publish(estate=estate, actor=staff)
    return {"estate": estate, "staff": staff, "list": published}


def _page(chromium, live_server, world, viewport, target, *, english=False):
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    login(page, live_server.url, world["staff"], target)
    if english:
        page.click("form.lang button[value='en']")
        page.wait_for_load_state()
    return context, page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1366"])
def test_the_opinion_list_pages_by_30_with_one_category_select(
    live_server, chromium, shoot, world, viewport
):
    target = f"/needs/estates/{world['estate'].pk}/opinions/"
    context, page = _page(chromium, live_server, world, viewport, target)
    try:
        fits_width(page)
        assert page.locator("#opinion-rows tbody tr").count() == 30
        assert page.locator("select").count() == 3
        shoot(page, f"needs-opinion-list-{viewport['width']}")
        # Without any script: tick two rows, choose the category once, apply.
        page.locator("#opinion-rows input[name=opinion]").nth(0).check()
        page.locator("#opinion-rows input[name=opinion]").nth(1).check()
        page.select_option("#bulk-category-select", "parking")
        page.click("#bulk-category-submit")
        page.wait_for_load_state()
        assert "已把 2 条意见的类别改为“停车”" in page.content()
    finally:
        context.close()


def test_the_print_page_on_a_phone_lists_each_demand_readably(live_server, chromium, shoot, world):
    """At 390 px each demand is a block as wide as the sheet (it was a column one character
    wide); the A4 table stays for printing."""
    target = f"/needs/lists/{world['list'].pk}/print/"
    context, page = _page(chromium, live_server, world, PHONE, target)
    try:
        fits_width(page)
        widths = page.evaluate(
            "[...document.querySelectorAll('#print-items tbody td:nth-child(2)')]"
            ".map(td => td.getBoundingClientRect().width)"
        )
        assert widths and min(widths) > 250, widths
        shoot(page, "needs-print-390")
        page.emulate_media(media="print")
        assert (
            page.evaluate("getComputedStyle(document.querySelector('#print-items')).display")
            == "table"
        )
    finally:
        context.close()


def test_the_board_in_english_keeps_room_for_the_demand(live_server, chromium, shoot, world):
    target = f"/needs/estates/{world['estate'].pk}/demands/"
    context, page = _page(chromium, live_server, world, DESKTOP, target, english=True)
    try:
        assert "demand" in page.content().lower()
        width = page.evaluate(
            "document.querySelector('#demand-board td.title').getBoundingClientRect().width"
        )
        assert width >= 200, width
        overflow = page.evaluate(
            "(() => { const s = document.querySelector('#demand-board').closest('.table-scroll');"
            " return s.scrollWidth - s.clientWidth; })()"
        )
        assert overflow <= 0, overflow
        shoot(page, "needs-board-en-1366")
    finally:
        context.close()
