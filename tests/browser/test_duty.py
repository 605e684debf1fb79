"""The 24-hour duty of a self-managed estate, in a browser: a member of the 自管会 opens the
week's roster from 谁在管理, sees the gaps in coverage, puts a resident on duty to close
tonight's; the resident on duty writes the handover note from the phone; a neighbour reads
on a phone who is on duty now and the duty phone to call. The access page and its event log
are shot as well."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_owner, make_self_committee, make_user
from xiaoqu.stewardship.models import DutyHandover, DutyShift
from xiaoqu.stewardship.services import access, duty

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, url: str, user, target: str) -> None:
    page.goto(f"{url}/accounts/login/?next={target}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def test_the_committee_fills_the_roster_and_residents_see_who_is_on_duty(
    live_server, chromium, shoot
):
    estate = make_estate(name="四通街8号院落", buildings=2, floors=3, per_floor=2)
    homes = list(estate.dwellings.order_by("pk"))
    staff = make_user("community_staff", estate=estate, password=None)
    chair = make_owner(homes[0], "李主任")
    make_self_committee(estate, staff, [chair])
    chair_user = make_user(person=chair, password=PASSWORD)
    watcher = make_owner(homes[1], "王师傅")
    neighbour = make_user(person=make_owner(homes[5], "赵阿姨"), password=PASSWORD)

    # Today's day shift is covered, running now; tonight is not.
    now = timezone.localtime()
    day_start = now - dt.timedelta(hours=2)
    duty.shift_add(
        estate=estate,
        person=chair,
        post="值班室",
        phone="0851-8888001",
        starts_at=day_start,
        ends_at=now + dt.timedelta(hours=1),
        actor=chair_user,
    )
    # The gate, its reader and a few events, one of them an unknown card.
    gate = access.point_add(
        estate=estate,
        name="东大门",
        kind="gate",
        opens_at=dt.time(6),
        closes_at=dt.time(23),
        actor=chair_user,
    )
    reader, _key = access.device_add(point=gate, name="东大门读卡器", actor=chair_user)
    access.credential_issue(
        estate=estate,
        person=watcher,
        dwelling=homes[1],
        kind="card",
        value="AB120001",
        actor=chair_user,
    )
    access.events_ingest(
        device=reader,
        events=[
            access.EventIn(
                key=f"e{i}",
                at=now - dt.timedelta(minutes=7 * i + 3),
                method="card",
                granted=True,
                credential="AB120001",
            )
            for i in range(6)
        ]
        + [
            access.EventIn(
                key="x",
                at=now - dt.timedelta(minutes=1),
                method="card",
                granted=False,
                credential="FFFF99990000",
            )
        ],
    )

    desk = chromium.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    desk_problems = watch(desk)
    phone = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
    problems = watch(phone)
    try:
        # The chair opens the roster from 谁在管理 and sees the gaps.
        public = f"/stewardship/estates/{estate.pk}/manager/"
        login(desk, live_server.url, chair_user, public)
        desk.click("#link-duty")
        desk.wait_for_url(re.compile(r"/duty/$"))
        assets_loaded(desk)
        assert "无人值班" in desk.locator("#week").inner_text()
        assert "李主任" in desk.locator("#now").inner_text()

        # Puts 王师傅 on the gate from the end of the day shift for twelve hours.
        start = now + dt.timedelta(hours=1)
        desk.select_option("#shift-person", label="王师傅")
        desk.fill("#shift-post", "门岗")
        desk.fill("#shift-phone", "0851-8888002")
        desk.fill("#shift-start", start.strftime("%Y-%m-%dT%H:%M"))
        desk.fill("#shift-end", (start + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"))
        desk.click("#shift-submit")
        desk.wait_for_selector(".messages")
        assert "已排班" in desk.locator(".messages").inner_text()
        shift = DutyShift.objects.get(person=watcher)
        assert desk.locator(f"#shift-{shift.pk}").count() >= 1
        shoot(desk, "browser-duty-roster-desktop")

        # The access page, the event log with its anomaly.
        desk.goto(f"{live_server.url}/stewardship/estates/{estate.pk}/access/")
        assert "东大门读卡器" in desk.locator("#points").inner_text()
        shoot(desk, "browser-access-points-desktop")
        desk.goto(f"{live_server.url}/stewardship/estates/{estate.pk}/access/events/")
        assert "王师傅" in desk.locator("#events").inner_text()
        assert "未登记的凭证" in desk.locator("#events").inner_text()
        shoot(desk, "browser-access-events-desktop")

        # A neighbour on a phone: who is on duty now, and the number to call.
        login(phone, live_server.url, neighbour, public)
        assets_loaded(phone)
        on_duty = phone.locator("#duty").inner_text()
        assert "李主任" in on_duty and "值班室" in on_duty and "0851-8888001" in on_duty
        assert phone.locator("#duty a[href='tel:0851-8888001']").count() == 1
        assert phone.locator("#link-duty").count() == 0
        fits_width(phone)
        shoot(phone, "browser-duty-on-duty-phone")
        phone.context.clear_cookies()

        # The chair (on duty now) writes the handover note from 我的值班 on the phone.
        login(phone, live_server.url, chair_user, "/stewardship/duty/mine/")
        phone.locator(".handover-form textarea").first.fill(
            "东门灯不亮，已报修；快递柜钥匙在值班室。"
        )
        phone.locator(".handover-form button").first.click()
        phone.wait_for_selector(".messages")
        assert DutyHandover.objects.get().note.startswith("东门灯不亮")
        fits_width(phone)
        shoot(phone, "browser-duty-mine-phone")

        # The roster is usable on the chair's phone too: one day under another.
        phone.goto(f"{live_server.url}/stewardship/estates/{estate.pk}/duty/")
        assert "已交接" in phone.locator("#week").inner_text()
        fits_width(phone)
        shoot(phone, "browser-duty-roster-phone")
    finally:
        phone.context.close()
        desk.context.close()
    assert desk_problems == [] and problems == []
