"""A street-office user runs a region's walking-distance analysis and reads its map and gaps."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_user, region_chain
from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, FacilityType, RunStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUIXI = Path(__file__).resolve().parents[1] / "data" / "osm" / "guixi-jiangxi.osm"


def test_region_analysis_with_progress_map_and_report_card(
    live_server, chromium, shoot, seeded_standard
):
    chain = region_chain(("江西省", "鹰潭市", "贵溪市", "雄石街道", "城北社区"))
    for name, lat, lon in (("城北小区", 28.327973, 117.236307), ("河边小区", 28.2790, 117.1910)):
        estate = make_estate(chain[-1], name=name)
        estate.latitude, estate.longitude = Decimal(str(lat)), Decimal(str(lon))
        estate.save()
    user = make_user("street_staff", region=chain[-2], password=PASSWORD)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/lifecircle/regions/{chain[-1].pk}/")
        page.fill("#id_phone", user.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(rf"/lifecircle/regions/{chain[-1].pk}/$"))
        page.set_input_files("#run-form input[type=file]", str(GUIXI))
        page.click("#run-form button")
        page.wait_for_selector("#gap-table")
        assert AnalysisRun.objects.get().status == "done"
        # The map's script comes after the table in the page: wait until it has run.
        page.wait_for_load_state("load")
        assert page.locator("#gap-map.leaflet-container").count() == 1
        assert page.locator("#gap-map path.leaflet-interactive").count() == 2
        assets_loaded(page)
        fits_width(page)
        shoot(page, "browser-lifecircle-region")
        page.click("#gap-table >> text=河边小区")
        page.wait_for_selector("#report-card")
        assert "缺口" in page.locator("#report-card").inner_text()
        shoot(page, "browser-lifecircle-card")
    finally:
        context.close()
    assert problems == []


def test_an_estate_name_shows_in_the_map_tooltip_as_text_and_runs_nothing(
    live_server, chromium, shoot
):
    """An estate named like a script tag shows in the map's tooltip as those very characters;
    nothing in it runs (no dialog opens, no script error)."""
    hostile = "</script><script>alert(document.domain)</script><img src=x onerror=alert(1)>小区"
    chain = region_chain(("江西省", "鹰潭市", "贵溪市", "雄石街道", "城北社区"))
    estate = make_estate(chain[-1], name=hostile)
    estate.latitude, estate.longitude = Decimal("28.327973"), Decimal("117.236307")
    estate.save()
    run = AnalysisRun.objects.create(
        region=chain[-1], status=RunStatus.DONE, progress=100, estates=1
    )
    # Transactional tests empty the tables, the seeded standard included.
    kindergarten, _created = FacilityType.objects.get_or_create(
        code="kindergarten", defaults={"name": "幼儿园", "level": "5min", "distance_m": 300}
    )
    EstateAccess.objects.create(
        run=run, estate=estate, type=kindergarten, required_m=300, within=False
    )
    user = make_user("street_staff", region=chain[-2], password=PASSWORD)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    dialogs: list[str] = []

    def refuse(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/lifecircle/regions/{chain[-1].pk}/")
        page.fill("#id_phone", user.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(rf"/lifecircle/regions/{chain[-1].pk}/$"))
        page.hover("#gap-map path.leaflet-interactive")
        tooltip = page.wait_for_selector(".leaflet-tooltip")
        assert tooltip.inner_text() == f"{hostile}：1"
        assert page.locator(".leaflet-tooltip img").count() == 0
        shoot(page, "browser-lifecircle-hostile-name")
    finally:
        context.close()
    assert dialogs == []
    assert problems == []
