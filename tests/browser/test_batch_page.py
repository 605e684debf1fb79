"""A housing bureau computes a year's batch on the map, confirms it, and reads the report."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_user, region_chain
from xiaoqu.renovation.models import Batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_batch_from_the_map_to_the_report(live_server, chromium, shoot):
    chain = region_chain()
    south = region_chain(("南明区", "花果园街道", "花果园社区"), parent=chain[1])
    for n, (community, lat, lon) in enumerate(
        (
            (chain[-1], 26.5801, 106.7135),
            (chain[-1], 26.5822, 106.7150),
            (south[-1], 26.5550, 106.7000),
        )
    ):
        estate = make_estate(community, name=f"老小区{n}", floors=2 + n, per_floor=2)
        estate.latitude, estate.longitude = Decimal(str(lat)), Decimal(str(lon))
        estate.save()
    user = make_user("housing_bureau", region=chain[1], password=PASSWORD)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/renovation/batches/optimise/")
        page.fill("#id_phone", user.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/renovation/batches/optimise/$"))
        page.fill("#budget", "100000")
        page.click("#optimise-form button[type=submit]")
        page.wait_for_selector("#batch-map.leaflet-container canvas")
        assert "优化选择" in page.locator("#proposal-summary").inner_text()
        assets_loaded(page)
        fits_width(page)
        shoot(page, "browser-batch-optimise")
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector("#batch-estates")
        batch = Batch.objects.get()
        assert page.url.endswith(f"/renovation/batches/{batch.pk}/")
        page.click("text=本计划月度进展")
        page.wait_for_selector("#report-table")
        assert "合计" in page.locator("#report-table").inner_text()
        shoot(page, "browser-batch-report")
        phone = chromium.new_context(
            viewport=PHONE, locale="zh-CN", storage_state=context.storage_state()
        ).new_page()
        phone.goto(page.url)
        fits_width(phone)
    finally:
        context.close()
    assert problems == []
