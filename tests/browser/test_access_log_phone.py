"""The access log on an administrator's phone: each record a block that fits the screen,
the count with its unit; on a desktop the same records as a table with its headings."""

from __future__ import annotations

import pytest

from tests.browser.helpers import PASSWORD, fits_width
from tests.browser.test_lifecircle_map import login
from tests.factories import make_user
from xiaoqu.core.access_log import access_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGET = "/privacy/access-log/"


@pytest.fixture
def admin():
    admin = make_user("admin", password=PASSWORD)
    clerk = make_user()
    clerk.name = "网格员小刘"
    clerk.save()
    access_record(
        actor=clerk,
        action="reveal",
        field="phone",
        subjects=list(range(1, 106)),
        description="金仓路市政宿舍",
        path="/registry/estates/1/?show=phones&building=3",
    )
    access_record(actor=None, action="export", count=7502, description="房屋档案全量导出")
    return admin


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}], ids=str
)
def test_the_access_log_reads_on_a_phone_and_as_a_table_on_a_desktop(
    live_server, chromium, shoot, admin, viewport
):
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    try:
        login(page, live_server.url, admin, TARGET)
        fits_width(page)
        rows = page.locator("#log-rows tbody tr")
        assert rows.count() == 2
        headings = page.locator("#log-rows thead")
        count = page.locator("#log-rows td.unit").first
        if viewport["width"] < 600:
            assert not headings.is_visible()
            first = rows.first.locator("td").first
            assert first.evaluate("td => getComputedStyle(td).display") == "block"
            unit = count.evaluate("td => getComputedStyle(td, '::after').content")
            assert unit == '"人"'
        else:
            assert headings.is_visible()
            assert "涉及人数" in headings.inner_text()
        shoot(page, f"privacy-access-log-{viewport['width']}")
    finally:
        context.close()
