"""A housing-bureau user drills down from the province's dashboard to an estate, by clicking
the charts and tables; the county's map draws the real Guiyang road network (shipped with the
demo) under the estates coloured by stage, asking no host but our own."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.browser.test_lifecircle_map import LOCAL_HOSTS, hosts, login, network_drawn
from tests.factories import make_estate, make_user, region_chain
from xiaoqu.lifecircle import services
from xiaoqu.lifecircle.models import AnalysisRun, RunStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUIYANG = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "xiaoqu"
    / "demo"
    / "data"
    / "guiyang-central-roads.geojson"
)


def guiyang_world():
    chain = region_chain()
    for region, code in zip(
        chain, ("520000", "520100", "520103", "520103003", "520103003001"), strict=True
    ):
        region.code = code
        region.save()
    places = (
        ("金仓苑", 26.5832, 106.7126, "works"),
        ("四通街8号院落", 26.5786, 106.7155, "accepted"),
    )
    estates = []
    for name, lat, lon, stage in places:
        estate = make_estate(chain[-1], name=name, buildings=2, floors=3, per_floor=2)
        estate.latitude, estate.longitude = Decimal(str(lat)), Decimal(str(lon))
        estate.stage = stage
        estate.households = 12
        estate.save()
        estates.append(estate)
    return chain, estates


def test_drill_down_from_province_to_estate_and_the_county_map(live_server, chromium, shoot):
    chain, estates = guiyang_world()
    user = make_user("housing_bureau", region=chain[0], password=PASSWORD)
    admin = make_user("admin", password=None)
    with GUIYANG.open("rb") as fh:
        run = services.analysis_start(
            region=chain[2],
            osm=SimpleUploadedFile("guiyang-central-roads.geojson", fh.read()),
            actor=admin,
        )
    services.analysis_execute(run.pk)
    assert AnalysisRun.objects.get(pk=run.pk).status == RunStatus.DONE

    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        province = f"/insights/regions/{chain[0].pk}/"
        login(page, live_server.url, user, province)
        page.wait_for_selector("#table-children canvas")
        assert page.url.endswith(province), page.url
        assert page.locator("#stat-estates").inner_text() == "2"
        assets_loaded(page)
        fits_width(page)
        shoot(page, "browser-insights-province")
        # Province → prefecture → county by the table's links, county → street by the chart.
        for region in chain[1:3]:
            page.click(f"#table-children a.drill >> text={region.name}")
            page.wait_for_url(f"**/insights/regions/{region.pk}/")
        page.wait_for_selector("#insights-map path.map-estate")
        assert network_drawn(page, "insights-map") > 100
        assert page.locator("#insights-map path.map-estate").count() == 2
        legend = page.locator("#estate-map .map-legend").inner_text()
        assert "施工中" in legend and "已验收" in legend and "步行路网" in legend
        shoot(page, "browser-insights-county")
        chart = page.locator("#table-children .chart canvas").first
        box = chart.bounding_box()
        assert box is not None
        # The only bar of the county's one street: click the middle of the plotting area.
        page.locator("#table-children .chart").click(
            position={"x": box["width"] * 0.5, "y": box["height"] * 0.55}
        )
        page.wait_for_url(f"**/insights/regions/{chain[3].pk}/", timeout=5000)
        page.click(f"#table-children a.drill >> text={chain[4].name}")
        page.wait_for_url(f"**/insights/regions/{chain[4].pk}/")
        page.click("#table-children a.drill >> text=金仓苑")
        page.wait_for_url(f"**/insights/estates/{estates[0].pk}/")
        assert page.locator("#panel-stage").inner_text() == "施工中"
        assert (
            "缺口" in page.locator("#estate-panel").inner_text()
            or "达标" in page.locator("#estate-panel").inner_text()
        )
        shoot(page, "browser-insights-estate")
    finally:
        context.close()
    assert problems == []
    assert hosts(requested) <= LOCAL_HOSTS, hosts(requested)

    phone = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = phone.new_page()
    problems = watch(page)
    try:
        login(page, live_server.url, user, f"/insights/regions/{chain[2].pk}/")
        page.wait_for_selector("#insights-map path.map-estate")
        page.wait_for_selector("#table-stages canvas")
        fits_width(page)
        shoot(page, "browser-insights-county-phone")
    finally:
        phone.close()
    assert problems == []
