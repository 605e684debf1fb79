"""A resident reports a broken stairwell light from a 360 px phone with a photo, the property
manager resolves it, and the resident confirms and rates the repair."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_jpeg, make_person, make_user
from xiaoqu.registry.models import Residency
from xiaoqu.stewardship.models import WorkOrder
from xiaoqu.stewardship.services.orders import categories_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, url: str, user, target: str) -> None:
    page.goto(f"{url}/accounts/login/?next={target}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def test_resident_reports_a_broken_light_and_confirms_the_repair(
    live_server, chromium, shoot, tmp_path
):
    categories_ensure()
    estate = make_estate(name="金仓小区", buildings=2, floors=3, per_floor=2)
    person = make_person("居民丁")
    Residency.objects.create(person=person, dwelling=estate.dwellings.first(), relation="owner")
    resident = make_user(person=person, password=PASSWORD)
    manager = make_user("property_manager", estate=estate, password=PASSWORD)
    photo = tmp_path / "light.jpg"
    photo.write_bytes(make_jpeg(size=(640, 480)))

    phone = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
    problems = watch(phone)
    desk = chromium.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    desk_problems = watch(desk)
    try:
        # The resident reports from the phone.
        login(phone, live_server.url, resident, "/stewardship/orders/new/")
        assets_loaded(phone)
        fits_width(phone)
        phone.check("#categories label:has-text('楼道灯不亮') input")
        phone.fill("#text", "1单元3楼楼道灯不亮，晚上很黑")
        phone.select_option("#building", label="1栋")
        phone.fill("#place", "1单元3楼")
        phone.set_input_files("#photos", str(photo))
        phone.check("input[name=contact_ok]")
        shoot(phone, "browser-order-new-phone")
        phone.click("#submit-order")
        phone.wait_for_url(re.compile(r"/stewardship/orders/mine/\d+/$"))
        order = WorkOrder.objects.get()
        assert order.photos.count() == 1 and order.category.code == "stair-light"
        assert "已提交" in phone.locator("#status").inner_text()
        fits_width(phone)
        shoot(phone, "browser-order-mine-phone")

        # The property manager accepts, dispatches to themself and resolves it.
        login(desk, live_server.url, manager, "/stewardship/orders/")
        desk.click(f"text=#{order.pk}")
        desk.wait_for_url(re.compile(rf"/stewardship/orders/{order.pk}/$"))
        assert desk.locator(".wo-photos img").count() == 1
        desk.click("#accept")
        desk.wait_for_selector("#dispatch-form")
        desk.click("#dispatch")
        desk.wait_for_selector("#start-form")
        desk.click("#start")
        desk.wait_for_selector("#resolve-form")
        desk.fill("#resolve-note", "已更换3楼楼道灯")
        shoot(desk, "browser-order-staff-desktop")
        desk.click("#resolve")
        desk.wait_for_selector("#status:has-text('已处理')")

        # The resident confirms and rates it.
        phone.reload()
        assert "已更换3楼楼道灯" in phone.locator("#history").inner_text()
        shoot(phone, "browser-order-resolved-phone")
        phone.click("#confirm")
        phone.wait_for_selector("#rate-form")
        phone.check("#rate-form input[value='4']")
        phone.fill("#comment", "修得很快")
        phone.click("#rate")
        phone.wait_for_selector("#rating")
        assert "4" in phone.locator("#rating").inner_text()
        fits_width(phone)
        shoot(phone, "browser-order-rated-phone")
        order.refresh_from_db()
        assert (order.status, order.rating) == ("confirmed", 4)
        kinds = list(order.events.order_by("at", "pk").values_list("kind", flat=True))
        assert kinds == [
            "submitted",
            "accept",
            "dispatch",
            "start",
            "resolve",
            "confirm",
            "rated",
        ]
        assert problems == [] and desk_problems == []
    finally:
        phone.context.close()
        desk.context.close()
