"""A contractor reports progress on a 360 px phone: online first, then offline, where the
report waits on the phone; back online it is sent, and a resend whose first answer was lost
is stored once. Also the 进度 tab's timeline as staff see it on a desktop."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, fits_width, watch
from tests.factories import make_estate, make_jpeg, make_project, make_user, region_chain
from xiaoqu.accounts.models import Role
from xiaoqu.renovation.models import ProgressUpdate, ProjectStage, SitePhoto
from xiaoqu.renovation.services import progress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBMIT = "**/renovation/site/report/"
ESTATE_LAT, ESTATE_LON = 26.5801, 106.7135


@pytest.fixture
def works(settings, tmp_path):
    """金仓小区 in 施工: a contractor on the project, its sewer item scheduled and overdue."""
    settings.MEDIA_ROOT = tmp_path
    estate = make_estate(region_chain()[-1], name="金仓小区", buildings=2, floors=3)
    estate.latitude, estate.longitude = Decimal("26.580100"), Decimal("106.713500")
    estate.save()
    staff = make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=PASSWORD)
    contractor = make_user(Role.CONTRACTOR, estate=estate, password=PASSWORD)
    project = make_project(estate, staff, stage=ProjectStage.WORKS, members=(contractor,))
    sewer = project.items.get(title="雨污分流管网改造")
    sidewalk = project.items.get(title="人行道铺设透水砖")
    today = dt.date.today()
    progress.item_schedule(
        item=sewer,
        planned_start=today - dt.timedelta(days=40),
        planned_finish=today - dt.timedelta(days=3),
        actor=staff,
    )
    progress.item_schedule(
        item=sidewalk,
        planned_start=today - dt.timedelta(days=5),
        planned_finish=today + dt.timedelta(days=30),
        actor=staff,
    )
    return {
        "estate": estate,
        "staff": staff,
        "contractor": contractor,
        "project": project,
        "sewer": sewer,
    }


def login(page, base: str, user, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")


def test_contractor_reports_progress_offline_and_it_is_stored_once(
    live_server, chromium, shoot, works
):
    """Online: sent at once. Offline: waits on the phone. Back online: sent; a resend whose
    answer was lost is stored once. The photo carries the phone's position."""
    from playwright.sync_api import expect

    contractor, sewer = works["contractor"], works["sewer"]
    context = chromium.new_context(
        viewport=PHONE,
        locale="zh-CN",
        geolocation={"latitude": ESTATE_LAT + 0.0003, "longitude": ESTATE_LON},
        permissions=["geolocation"],
    )
    page = context.new_page()
    errors = watch(page)
    try:
        login(page, live_server.url, contractor, "/renovation/site/")
        page.wait_for_url(re.compile(r"/renovation/site/$"))
        card = page.locator(f"#site-item-{sewer.pk}")
        expect(card).to_be_visible()
        expect(page.locator("#queue-count")).to_have_text("全部已发送")
        card.locator("summary").click()
        fits_width(page)
        shoot(page, "progress-phone-empty")

        # 1. Online: 30 % with a photo, sent at once.
        for _ in range(6):
            card.locator(".plus").click()
        expect(card.locator(".percent-value")).to_have_text("30%")
        card.locator(".note").fill("管沟开挖完成一段")
        card.locator(".photo").set_input_files(
            files=[{"name": "trench.jpg", "mimeType": "image/jpeg", "buffer": make_jpeg()}]
        )
        shoot(page, "progress-phone-filled")
        card.locator(".save").click()
        expect(page.locator("#queue-count")).to_have_text("全部已发送")
        expect(page.locator("#form-msg")).to_contain_text("已发送")
        expect(card.locator(".current-percent")).to_have_text("30%")
        assert ProgressUpdate.objects.count() == 1

        # 2. Offline: 60 % waits on the phone.
        context.set_offline(True)
        card.locator(".percent").fill("60")
        expect(card.locator(".percent-value")).to_have_text("60%")
        card.locator(".save").click()
        expect(page.locator("#queue-count")).to_have_text("1 条待发送")
        entry = page.locator("#queue-list li").first
        expect(entry.locator(".state")).to_contain_text("网络不通")
        expect(page.locator("#net-status")).to_have_text("无网络")
        assert ProgressUpdate.objects.count() == 1
        fits_width(page)
        shoot(page, "progress-phone-queued")

        # 3. A lower percent without a note is stopped on the phone itself.
        card.locator(".percent").fill("50")
        card.locator(".save").click()
        expect(page.locator("#form-msg")).to_contain_text("比上次的 60% 低")
        expect(page.locator("#queue-count")).to_have_text("1 条待发送")

        # 4. Back online, but the first answer is lost: the server stored it, the phone
        #    does not know; the next round resends the same client_id.
        attempts: list[int] = []

        def lose_first_answer(route):
            response = route.fetch()
            attempts.append(response.status)
            if len(attempts) == 1:
                route.abort("connectionreset")
            else:
                route.fulfill(response=response)

        page.route(SUBMIT, lose_first_answer)
        context.set_offline(False)
        for _ in range(300):
            if attempts:
                break
            page.wait_for_timeout(100)
        assert attempts == [201]
        page.wait_for_function("!document.querySelector('#queue-list li .state.sending')")
        expect(page.locator("#queue-count")).to_have_text("1 条待发送")
        assert ProgressUpdate.objects.count() == 2
        page.click("#send-now")
        expect(page.locator("#queue-count")).to_have_text("全部已发送", timeout=15000)
        assert attempts == [201, 200]
        expect(card.locator(".current-percent")).to_have_text("60%")
        shoot(page, "progress-phone-sent")
    finally:
        context.close()
    assert errors == [], errors
    updates = list(ProgressUpdate.objects.order_by("reported_at"))
    assert [u.percent for u in updates] == [30, 60]
    assert len({u.client_id for u in updates}) == 2
    assert all(u.reported_by == contractor for u in updates)
    sewer.refresh_from_db()
    assert sewer.percent == 60 and sewer.actual_start is not None
    photo = SitePhoto.objects.get()
    assert photo.place_source == "phone" and photo.item == sewer
    assert photo.distance_m is not None and photo.distance_m < 100 and not photo.far


def test_the_progress_tab_draws_the_timeline(live_server, chromium, shoot, works):
    """Staff see the timeline (ECharts canvas), the overdue item highlighted in the table."""
    import uuid

    from django.utils import timezone
    from playwright.sync_api import expect

    sidewalk = works["project"].items.get(title="人行道铺设透水砖")
    for item, days_ago, percent in (
        (works["sewer"], 25, 40),
        (sidewalk, 4, 50),
        (sidewalk, 1, 100),
    ):
        progress.progress_report(
            item=item,
            percent=percent,
            client_id=uuid.uuid4(),
            reported_at=timezone.now() - dt.timedelta(days=days_ago),
            actor=works["contractor"],
        )

    progress.photo_add(
        project=works["project"],
        item=works["sewer"],
        file=_upload(make_jpeg(latitude=ESTATE_LAT + 0.01, longitude=ESTATE_LON)),
        actor=works["contractor"],
    )
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = chromium.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        errors = watch(page)
        try:
            login(
                page,
                live_server.url,
                works["staff"],
                f"/renovation/projects/{works['project'].pk}/progress/",
            )
            page.wait_for_url(re.compile(r"/progress/$"))
            expect(page.locator("#gantt canvas")).to_have_count(1)
            expect(page.locator("#timeline-table tr.overdue")).to_have_count(1)
            expect(page.locator("#stat-percent")).to_have_text(
                "57%"
            )  # (300,000 × 40 + 120,000 × 100) ÷ 420,000
            expect(page.locator("#photo-list")).to_contain_text("远离小区")
            fits_width(page)
            shoot(page, f"progress-tab-{label}")
        finally:
            context.close()
        assert errors == [], errors


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("far.jpg", data, content_type="image/jpeg")
