"""Who manages an estate, in a browser: community staff replace the property company by a
居民自管会 elected at a council meeting and add its director; a resident then reads on a phone
who manages the estate, how to reach them and the covenant with its vote."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_bodies_world, make_estate, make_meeting, make_owner, make_user
from xiaoqu.registry.models import ManagementMode
from xiaoqu.stewardship.models import BodyMember

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, url: str, user, next_path: str) -> None:
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_staff_record_a_self_committee_and_residents_read_who_manages(live_server, chromium, shoot):
    estate = make_estate(name="金仓小区", floors=2, per_floor=2)
    staff = make_user("community_staff", estate=estate, password=PASSWORD)
    manager = make_user("property_manager", estate=estate, password=None)
    make_bodies_world(estate, staff, manager)
    today = dt.date.today()
    meeting = make_meeting(estate, "council", held_on=today - dt.timedelta(days=2))
    director = make_owner(estate.dwellings.first(), "李主任")
    resident = make_user(person=director, password=PASSWORD)

    desk = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desk.new_page()
    problems = watch(page)
    path = f"/stewardship/estates/{estate.pk}/management/"
    _login(page, live_server.url, staff, path)
    assets_loaded(page)
    page.click("#body-start summary")
    page.select_option("#kind", "self_committee")
    page.fill("#name", "金仓小区居民自管会")
    page.fill("#started_on", today.isoformat())
    page.select_option("#elected_at", str(meeting.pk))
    page.fill("#term_end", (today + dt.timedelta(days=3 * 365)).isoformat())
    page.click("#body-start-form button[type=submit]")
    page.wait_for_selector(".messages")
    assert page.inner_text("#management-mode") == ManagementMode.SELF_MANAGED.label
    page.select_option("#member-person", str(director.pk))
    page.fill("#member-role", "主任")
    page.click("#member-form button[type=submit]")
    page.wait_for_selector("#members li:has-text('李主任')")
    assert BodyMember.objects.get().person == director
    page.select_option("#seat-form-community select", str(staff.pk))
    page.click("#seat-form-community button[type=submit]")
    page.wait_for_selector(f"#party-community:has-text('{staff.name}')")
    shoot(page, "bodies-staff")
    page.set_viewport_size(PHONE)
    fits_width(page)
    shoot(page, "bodies-staff-phone")
    assert problems == []
    desk.close()

    mobile = chromium.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    phone = mobile.new_page()
    problems = watch(phone)
    _login(phone, live_server.url, resident, "/registry/home/")
    phone.click(".manager-link")
    phone.wait_for_selector("#manager")
    text = phone.inner_text("main")
    assert "金仓小区居民自管会" in text and "李主任" in text
    assert "金仓小区管理规约" in text
    phone.click("#documents summary")
    assert phone.is_visible("#documents a[href*='/result/']")
    fits_width(phone)
    shoot(phone, "bodies-resident")
    assert problems == []
    mobile.close()
