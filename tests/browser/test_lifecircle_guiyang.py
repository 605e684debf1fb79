"""A street clerk in Guiyang uploads facilities from a spreadsheet and the city's GeoJSON road
layer on their street's life-circle page, and reads which estates were left out and why; the
community clerk reads their part of the analysis. Desktop and a 360-pixel phone."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_user, region_chain
from xiaoqu.lifecircle.models import AnalysisRun, Facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROADS = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "xiaoqu"
    / "demo"
    / "data"
    / "guiyang-central-roads.geojson"
)
FACILITIES = ROADS.parent / "guiyang-facilities.csv"


def login(page, base: str, user, target: str) -> None:
    page.goto(f"{base}/accounts/login/?next={target}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def estate_at(community, name: str, lat: float | None, lon: float | None):
    estate = make_estate(community, name=name)
    if lat is not None and lon is not None:
        estate.latitude, estate.longitude = Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")
    estate.save()
    return estate


def test_facility_sheet_and_geojson_layer_uploaded_and_estates_left_out_explained(
    live_server, chromium, shoot, seeded_standard, tmp_path
):
    chain = region_chain()
    street, jincang = chain[3], chain[4]
    jixiang = region_chain(("吉祥社区",), parent=street)[0]
    estate_at(jincang, "金仓路市政宿舍", 26.60465, 106.70880)
    estate_at(jincang, "金仓苑", 26.60540, 106.71050)
    estate_at(jixiang, "吉祥小区", 26.60900, 106.70830)
    estate_at(jixiang, "城外小区", 26.70, 106.90)
    estate_at(jincang, "无坐标小区", None, None)
    clerk = make_user("street_staff", region=street, password=PASSWORD)
    page_url = f"/lifecircle/regions/{street.pk}/"
    # The demo's facilities around 盐务街街道 (those of 南明区 lie too far from its estates).
    lines = FACILITIES.read_text(encoding="utf-8").splitlines()
    near = [lines[0]] + [line for line in lines[1:] if float(line.split(",")[3]) > 26.59]
    sheet = tmp_path / "盐务街设施.csv"
    sheet.write_text("\n".join(near) + "\n", encoding="utf-8")
    bad = tmp_path / "设施（有错）.csv"
    bad.write_text("id,type,lat,lon\nx1,spaceport,26.605,106.709\n", encoding="utf-8")

    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        login(page, live_server.url, clerk, page_url)
        assets_loaded(page)
        # A bad sheet: refused with the row's fault, nothing stored.
        page.set_input_files("#facilities-form input[type=file]", str(bad))
        page.click("#facilities-form button")
        page.wait_for_selector("text=设施文件有错误，未导入")
        assert "spaceport" in page.content() and not Facility.objects.exists()
        # The demo's facility sheet: imported.
        page.set_input_files("#facilities-form input[type=file]", str(sheet))
        page.click("#facilities-form button")
        page.wait_for_selector(f"text=设施导入完成：新增 {len(near) - 1} 处")
        # The GeoJSON road layer: analysed.
        assert ".geojson" in page.locator("#run-form + p").inner_text()
        page.set_input_files("#run-form input[type=file]", str(ROADS))
        page.click("#run-form button")
        page.wait_for_selector("#gap-table")
        run = AnalysisRun.objects.get()
        assert run.status == "done" and run.estates == 3, run.message
        page.reload()
        page.wait_for_selector("#left-out")
        left = page.locator("#left-out").inner_text()
        assert "城外小区" in left and "不在路网范围内" in left
        assert "无坐标小区" in left and "没有坐标" in left
        assert "2 个小区未纳入分析" in page.locator("#progress").inner_text()
        table = page.locator("#gap-table").inner_text()
        assert "吉祥小区" in table and "全部达标" in table
        fits_width(page)
        shoot(page, "browser-lifecircle-guiyang-street")
    finally:
        context.close()
    assert problems == []

    community_clerk = make_user("community_staff", region=jincang, password=PASSWORD)
    phone = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = phone.new_page()
    problems = watch(page)
    try:
        login(page, live_server.url, community_clerk, f"/lifecircle/regions/{jincang.pk}/")
        page.wait_for_selector("#covering")
        assert "盐务街街道的分析" in page.locator("#covering").inner_text()
        table = page.locator("#gap-table").inner_text()
        assert "金仓苑" in table and "吉祥小区" not in table
        left = page.locator("#left-out").inner_text()
        assert "无坐标小区" in left and "城外小区" not in left
        fits_width(page)
        shoot(page, "browser-lifecircle-guiyang-community-phone")
    finally:
        phone.close()
    assert problems == []
