"""A street-office user runs a region's walking-distance analysis and reads its map and gaps.

The map's base layer is the street network the analysis read (no tile server is asked for
anything unless one is configured); it fits a 360-pixel phone.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_user, region_chain
from xiaoqu.lifecircle import services
from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, FacilityType, RunStatus
from xiaoqu.registry.models import Estate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUIXI = Path(__file__).resolve().parents[1] / "data" / "osm" / "guixi-jiangxi.osm"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# A 1×1 transparent PNG, the answer to every tile request the tile test intercepts.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def login(page, base: str, user, target: str) -> None:
    page.goto(f"{base}/accounts/login/?next={target}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def guixi_estates():
    chain = region_chain(("江西省", "鹰潭市", "贵溪市", "雄石街道", "城北社区"))
    for name, lat, lon in (("城北小区", 28.327973, 117.236307), ("河边小区", 28.2790, 117.1910)):
        estate = make_estate(chain[-1], name=name)
        estate.latitude, estate.longitude = Decimal(str(lat)), Decimal(str(lon))
        estate.save()
    return chain


def hosts(urls: list[str]) -> set[str]:
    return {urlsplit(u).hostname or "" for u in urls if not u.startswith(("data:", "blob:"))}


def network_drawn(page, map_id: str) -> int:
    """How many polylines the map's network path draws (one SVG path, one move per line)."""
    page.wait_for_selector(f"#{map_id}[data-lines]")
    path = page.locator(f"#{map_id} path.map-line")
    assert path.count() == 1, "the network is one SVG path"
    return len(re.findall(r"M", path.get_attribute("d") or ""))


def test_region_analysis_with_progress_map_and_report_card(
    live_server, chromium, shoot, seeded_standard
):
    """The map draws the analysed network as lines under the estates, asks nothing of any
    host but our own, and fits a desktop and a 360-pixel phone."""
    chain = guixi_estates()
    user = make_user("street_staff", region=chain[-2], password=PASSWORD)
    facilities = (
        "id,type,name,lat,lon\n"
        "k1,kindergarten,城北幼儿园,28.3273555,117.2363059\n"
        "m1,marketplace,城北菜市场,28.3281073,117.2363025\n"
    ).encode()
    services.facilities_import_file(
        upload=SimpleUploadedFile("facilities.csv", facilities), actor=user
    )
    region_page = f"/lifecircle/regions/{chain[-1].pk}/"
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        login(page, live_server.url, user, region_page)
        page.set_input_files("#run-form input[type=file]", str(GUIXI))
        page.click("#run-form button")
        page.wait_for_selector("#gap-table")
        assert AnalysisRun.objects.get().status == "done"
        page.wait_for_load_state("load")
        assert page.locator("#gap-map.leaflet-container").count() == 1
        assert network_drawn(page, "gap-map") > 100
        assert page.locator("#gap-map path.map-estate").count() == 2
        assert page.locator("#gap-map path.map-gap").count() == 2
        assert page.locator("#gap-map path.map-facility").count() == 2
        assert page.locator("#gap-map img.leaflet-tile").count() == 0
        assert "OpenStreetMap" in page.locator("#gap-map .leaflet-control-attribution").inner_text()
        legend = page.locator(".map-legend").inner_text()
        assert "步行路网" in legend and "未启动" in legend and "有缺口的小区" in legend
        assets_loaded(page)
        fits_width(page)
        shoot(page, "browser-lifecircle-region")
        page.click("#gap-table >> text=河边小区")
        page.wait_for_selector("#report-card")
        assert "缺口" in page.locator("#report-card").inner_text()
        page.wait_for_selector("#card-map path.map-estate")
        assert network_drawn(page, "card-map") > 0
        shoot(page, "browser-lifecircle-card")
        page.goto(f"{live_server.url}/lifecircle/regions/{chain[-1].pk}/")
        page.click("#gap-table >> text=城北小区")
        page.wait_for_selector("#card-map path.map-facility")
        assert page.locator("#card-map path.map-facility").count() == 2
        page.hover("#card-map path.map-facility >> nth=0")
        tip = page.wait_for_selector(".leaflet-tooltip").inner_text()
        assert tip.startswith(("幼儿园：城北幼儿园，步行约", "菜市场：城北菜市场，步行约"))
        shoot(page, "browser-lifecircle-card-near")
    finally:
        context.close()
    assert problems == []
    assert hosts(requested) <= LOCAL_HOSTS, hosts(requested)

    phone = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = phone.new_page()
    problems = watch(page)
    requested.clear()
    page.on("request", lambda r: requested.append(r.url))
    try:
        login(page, live_server.url, user, region_page)
        page.wait_for_load_state("load")
        assert network_drawn(page, "gap-map") > 0
        box = page.locator("#gap-map").bounding_box()
        assert box is not None and box["width"] <= PHONE["width"] and box["height"] >= 250
        fits_width(page)
        shoot(page, "browser-lifecircle-region-phone")
        estate = AnalysisRun.objects.get().results.order_by("estate__name").first().estate
        page.goto(f"{live_server.url}/lifecircle/estates/{estate.pk}/")
        page.wait_for_selector("#card-map path.map-estate")
        fits_width(page)
        shoot(page, "browser-lifecircle-card-phone")
    finally:
        phone.close()
    assert problems == []
    assert hosts(requested) <= LOCAL_HOSTS, hosts(requested)


def test_with_a_tile_service_the_map_asks_it_for_tiles(
    live_server, chromium, shoot, seeded_standard, settings
):
    """A configured tile URL is used (here answered by the test, never reached), and the
    estate markers sit at their GCJ-02 positions."""
    settings.XIAOQU_MAP_TILES = "https://tiles.example.cn/{z}/{x}/{y}.png"
    settings.XIAOQU_MAP_ATTRIBUTION = "© 测试底图"
    chain = guixi_estates()
    run = AnalysisRun.objects.create(region=chain[-1], status=RunStatus.DONE, progress=100)
    kindergarten, _created = FacilityType.objects.get_or_create(
        code="kindergarten", defaults={"name": "幼儿园", "level": "5min", "distance_m": 300}
    )
    for estate in Estate.objects.all():
        EstateAccess.objects.create(
            run=run, estate=estate, type=kindergarten, required_m=300, within=False
        )
    user = make_user("street_staff", region=chain[-2], password=PASSWORD)
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    tiles: list[str] = []
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))

    def tile(route) -> None:
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.route("https://tiles.example.cn/**", tile)
    try:
        login(page, live_server.url, user, f"/lifecircle/regions/{chain[-1].pk}/")
        page.wait_for_selector("#gap-map img.leaflet-tile")
        assert tiles and all(re.search(r"/\d+/\d+/\d+\.png$", t) for t in tiles)
        assert "© 测试底图" in page.locator("#gap-map .leaflet-control-attribution").inner_text()
        # This run holds no network file: no lines, and no OpenStreetMap attribution.
        assert "步行路网" not in page.locator(".map-legend").inner_text()
        assert page.locator("#gap-map path.map-line").count() == 0
        shoot(page, "browser-lifecircle-tiles")
    finally:
        context.close()
    assert problems == []
    assert hosts(requested) <= LOCAL_HOSTS | {"tiles.example.cn"}


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
        login(page, live_server.url, user, f"/lifecircle/regions/{chain[-1].pk}/")
        page.hover("#gap-map path.map-estate")
        tooltip = page.wait_for_selector(".leaflet-tooltip")
        assert tooltip.inner_text() == f"{hostile} · 未启动 · 缺口 1 项"
        assert page.locator(".leaflet-tooltip img").count() == 0
        shoot(page, "browser-lifecircle-hostile-name")
    finally:
        context.close()
    assert dialogs == []
    assert problems == []
