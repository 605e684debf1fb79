"""Money staff record a receipt and a payment on the 资金 tab; an owner reads what their
dwelling contributes on a phone."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_owner, make_project, make_user
from xiaoqu.renovation.models import MoneyEntry
from xiaoqu.renovation.services import money

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def _login(page, url: str, user, next_path: str) -> None:
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_staff_keep_the_ledger_and_an_owner_reads_the_statement(
    live_server, chromium, shoot, tmp_path
):
    estate = make_estate(name="金仓小区", floors=6, per_floor=2)
    for d in estate.dwellings.all():
        d.area = Decimal("62.50") if d.number.endswith("1") else Decimal("78.30")
        d.save()
    staff = make_user("community_staff", estate=estate, password=PASSWORD)
    project = make_project(estate, staff)
    sewer, _walk, elevator = project.items.order_by("pk")
    elevator.entrance = estate.buildings.get().entrances.get()
    elevator.save()
    money.contribution_split(
        item=elevator,
        method="floor",
        amount="300000",
        coefficients=money.default_floor_coefficients(),
        actor=staff,
    )
    money.receipt_record(
        project=project,
        source="local",
        amount="100000",
        on=timezone.localdate(),
        note="市级配套资金",
        actor=staff,
    )
    voucher = tmp_path / "voucher.png"
    voucher.write_bytes(_png())
    owner = make_user(
        person=make_owner(estate.dwellings.get(number="502"), "业主甲"), password=PASSWORD
    )

    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        _login(page, live_server.url, staff, f"/renovation/projects/{project.pk}/money/")
        assets_loaded(page)
        page.click("#receipt summary")
        page.select_option("#receipt-source", "central")
        page.fill("#receipt-amount", "250,000.00")
        page.fill("#receipt-note", "中央补助第一批")
        page.set_input_files("#receipt-document", str(voucher))
        page.click("#receipt-form button[type=submit]")
        page.wait_for_selector("text=已记录到位资金")
        page.click("#payment summary")
        page.select_option("#payment-target", f"{sewer.pk}:central")
        page.fill("#payment-amount", "280000")
        page.fill("#payment-note", "进度款第一期")
        page.click("#payment-form button[type=submit]")
        page.wait_for_selector("text=已记录支付")
        assert "超支/资金未到位" in page.locator("#money-alerts").inner_text()
        assert page.locator("#money-balance").inner_text() == "70,000.00"
        shoot(page, "browser-money-tab")
        page.set_viewport_size(PHONE)
        fits_width(page)
        shoot(page, "browser-money-tab-phone")
        page.set_viewport_size(DESKTOP)
        assert MoneyEntry.objects.count() == 3
        page.click("text=居民出资分摊")
        page.wait_for_selector("#share-table")
        assert "37,500.00" in page.locator("#share-table").inner_text()
        shoot(page, "browser-money-contributions")
        page.go_back()
        href = page.locator("#ledger-table a:has-text('查看')").get_attribute("href")
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.headers["content-type"] == "image/png"
    finally:
        context.close()
    assert problems == [], problems

    phone = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = phone.new_page()
    problems = watch(page)
    try:
        _login(page, live_server.url, owner, "/registry/home/")
        page.click("#link-my-contributions")
        page.wait_for_selector(".statement")
        text = page.locator(".statement").inner_text()
        assert "加装电梯" in text and "本户在 5 层，系数 1.2" in text
        fits_width(page)
        shoot(page, "browser-money-statement-phone")
    finally:
        phone.close()
    assert problems == [], problems
