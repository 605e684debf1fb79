"""An owners' committee member scores last month's management from a 360 px phone, community
staff publish the monthly report, and a resident reads it on the estate's 谁在管理 page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import (
    last_month,
    make_estate,
    make_owner,
    make_property_body,
    make_report,
    make_user,
    make_work_order,
)
from xiaoqu.stewardship import evaluation_score as score
from xiaoqu.stewardship.models import Evaluation, MonthlyReport
from xiaoqu.stewardship.services.evaluation import criteria_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, url: str, user, target: str) -> None:
    page.goto(f"{url}/accounts/login/?next={target}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(target) + r"(\?.*)?$"))


def test_committee_scores_a_month_and_a_resident_reads_the_published_report(
    live_server, chromium, shoot
):
    criteria_ensure()
    admin = make_user("admin", password=None)
    estate = make_estate(name="阳光新城小区", buildings=2, floors=2, per_floor=2)
    make_property_body(estate, admin, name="红旗物业服务有限公司")
    month = last_month()
    start = timezone.make_aware(dt.datetime.combine(month, dt.time(9)))
    for i in range(4):
        # Four orders of last month, three resolved in time and one late.
        created = start + dt.timedelta(days=3 * i)
        make_work_order(
            estate,
            created_at=created,
            due_at=created + dt.timedelta(hours=8),
            resolved_at=created + dt.timedelta(hours=4 if i < 3 else 30),
            status="resolved",
        )
    committee = make_user("owners_committee", estate=estate, password=PASSWORD)
    community = make_user("community_staff", region=estate.community, password=PASSWORD)
    resident = make_user(
        person=make_owner(estate.dwellings.order_by("pk").first(), "居民王"), password=PASSWORD
    )
    form = f"/stewardship/estates/{estate.pk}/evaluation/"
    public = f"/stewardship/estates/{estate.pk}/manager/"

    phone = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
    problems = watch(phone)
    desk = chromium.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    desk_problems = watch(desk)
    try:
        # The committee member scores last month on the phone.
        login(phone, live_server.url, committee, form)
        assets_loaded(phone)
        fits_width(phone)
        assert "红旗物业服务有限公司" in phone.locator("#evaluated").inner_text()
        for code, points in (
            ("cleaning", "18"),
            ("facilities", "17"),
            ("safety", "19"),
            ("response", "12"),
            ("manner", "9"),
            ("disclosure", "13"),
        ):
            phone.fill(f"#score-{code}", points)
        assert phone.locator("#total-value").inner_text() == "88"
        phone.fill("#comment", "楼道保洁到位，电梯维修还要再快一些。")
        shoot(phone, "browser-evaluation-form-phone")
        phone.click("#submit-evaluation")
        phone.wait_for_selector("#submitted")
        fits_width(phone)
        evaluation = Evaluation.objects.get()
        assert (evaluation.month, evaluation.total) == (month, 88)

        # Community staff open the report and publish it.
        login(desk, live_server.url, community, f"/stewardship/estates/{estate.pk}/reports/")
        desk.click(f"#report-{score.month_key(month)} a")
        desk.wait_for_selector("#publish")
        # 60×0.88 + 20×0.75 + 10×1 = 77.8 of 90, renormalised: 86.44.
        assert desk.locator("[data-score]").inner_text() == "86.44"
        shoot(desk, "browser-evaluation-report-desktop")
        desk.click("#publish")
        desk.wait_for_selector("#published")
        assert MonthlyReport.objects.get().published_at is not None

        # The street sees its estates ranked (a second estate, not yet evaluated).
        desk.context.close()
        desk = chromium.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
        desk_problems = watch(desk)
        other = make_estate(name="金桥小区")
        make_property_body(other, admin, name="金桥物业")
        make_report(other)
        street = make_user("street_staff", region=estate.community.parent, password=PASSWORD)
        login(desk, live_server.url, street, "/stewardship/rankings/")
        rows = desk.locator("#ranking tbody tr")
        assert rows.count() == 2
        assert "阳光新城小区" in rows.nth(0).inner_text() and "86.44" in rows.nth(0).inner_text()
        shoot(desk, "browser-evaluation-ranking-desktop")

        # A resident reads it on their phone, with the party and not the person.
        phone.context.close()
        phone = chromium.new_context(viewport=PHONE, locale="zh-CN").new_page()
        resident_problems = watch(phone)
        login(phone, live_server.url, resident, public)
        report = phone.locator(f"#public-report-{score.month_key(month)}")
        text = report.inner_text()
        assert "86.44" in text and "业委评议对“红旗物业服务有限公司”的评议" in text
        assert "电梯维修还要再快一些" in text and committee.name not in text
        assert phone.locator("#link-evaluate").count() == 0
        fits_width(phone)
        report.scroll_into_view_if_needed()
        shoot(phone, "browser-evaluation-public-phone")
        assert problems == [] and desk_problems == [] and resident_problems == []
    finally:
        phone.context.close()
        desk.context.close()
