"""A grid worker records a visit on a 360 px phone while the network fails; the visit waits
on the phone, survives a reload, and is stored exactly once when the network comes back —
also when a first attempt reached the server but its answer was lost."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib

import pytest

from tests.browser.conftest import PHONE
from tests.factories import make_estate, make_grid, make_user, region_chain
from xiaoqu.accounts.models import RoleAssignment
from xiaoqu.needs import services
from xiaoqu.needs.models import Opinion, Visit
from xiaoqu.registry.models import Building, Dwelling

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234-word"
SUBMIT = "**/needs/visits/submit/"


@pytest.fixture
def field(settings, tmp_path):
    """金仓小区, two buildings in two grids, a grid worker of the first, an active campaign."""
    settings.MEDIA_ROOT = tmp_path
    community = region_chain()[-1]
    estate = make_estate(community, name="金仓小区", buildings=2, floors=3, per_floor=2)
    b1, b2 = Building.objects.filter(estate=estate).order_by("number")
    grid = make_grid([b1], name="一网格")
    make_grid([b2], name="二网格")
    worker = make_user(password=PASSWORD)
    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=grid)
    staff = make_user("community_staff", region=community, password=None)
    today = dt.date.today()
    campaign = services.campaign_create(
        name="金仓敲门行动",
        estates=[estate],
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=30),
        actor=staff,
    )
    dwelling = Dwelling.objects.filter(building=b1).order_by("floor", "number").last()
    return {"estate": estate, "worker": worker, "campaign": campaign, "dwelling": dwelling}


def _png(width: int = 64, height: int = 48) -> bytes:
    """A small real PNG (a red square), so the page can decode and shrink it."""
    rows = b"".join(b"\x00" + b"\xc0\x20\x20" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    return problems


def fits_width(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the screen"


def test_visit_waits_offline_and_is_stored_once(live_server, chromium, shoot, field):
    """Queued while the submit fails, kept over a reload, resent once the network is back."""
    from playwright.sync_api import expect

    worker, dwelling = field["worker"], field["dwelling"]
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(
            f"{live_server.url}/accounts/login/?next=/needs/estates/{field['estate'].pk}/visit/"
        )
        page.fill("#id_phone", worker.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/visit/$"))
        expect(page.locator("#visit-form")).to_be_visible()
        # Only the grid's own building is offered.
        assert page.locator("#v-building option").all_inner_texts() == ["1栋"]
        expect(page.locator("#queue-count")).to_have_text("全部已发送")
        fits_width(page)
        shoot(page, "visit-phone-empty")

        # 1. The network fails for the submit: the visit is kept on the phone.
        page.route(SUBMIT, lambda route: route.abort("internetdisconnected"))
        # By label: select_option matches a string against values and labels alike, and
        # a dwelling's id can equal another dwelling's room number.
        page.select_option("#v-dwelling", label=dwelling.number)
        page.click("#v-outcome label:has-text('见到住户')")
        page.fill("#v-people", "2")
        page.locator(".opinion-text").nth(0).fill("楼道灯坏了，晚上上楼看不见")
        page.locator(".opinion-urgent").nth(0).check()
        page.click("#add-opinion")
        page.locator(".opinion-text").nth(1).fill("想加装电梯")
        page.fill("#v-note", "老两口在家")
        page.set_input_files(
            "#v-photo", files=[{"name": "door.png", "mimeType": "image/png", "buffer": _png()}]
        )
        shoot(page, "visit-phone-filled")
        page.click("#visit-save")
        expect(page.locator("#queue-count")).to_have_text("1 条待发送")
        entry = page.locator("#queue-list li").first
        expect(entry.locator(".state")).to_contain_text("待发送")
        expect(entry.locator(".state")).to_contain_text("网络不通")
        assert "楼道灯坏了" in entry.inner_text()
        # The dwelling just visited is marked in the picker.
        assert "已走访" in page.locator(f"#v-dwelling option[value='{dwelling.pk}']").inner_text()
        assert Visit.objects.count() == 0
        fits_width(page)
        shoot(page, "visit-phone-queued")

        # 2. A reload keeps the queued visit (IndexedDB) and retries it on load.
        page.reload()
        expect(page.locator("#queue-count")).to_have_text("1 条待发送")
        entry = page.locator("#queue-list li").first
        expect(entry).to_contain_text("想加装电梯")
        expect(entry).to_contain_text("有照片")  # the photo Blob survived the reload
        expect(page.locator("#visited-hint")).to_have_text("本活动已走访 1 / 6 户")
        expect(entry.locator(".state")).to_contain_text("网络不通")
        assert Visit.objects.count() == 0
        shoot(page, "visit-phone-after-reload")

        # 3. The request reaches the server but its answer is lost on the way back.
        page.unroute(SUBMIT)
        attempts: list[int] = []

        def lose_first_answer(route):
            response = route.fetch()
            attempts.append(response.status)
            if len(attempts) == 1:
                route.abort("connectionreset")
            else:
                route.fulfill(response=response)

        page.route(SUBMIT, lose_first_answer)
        page.click("#send-now")
        for _ in range(300):
            if attempts:
                break
            page.wait_for_timeout(100)
        page.wait_for_function("!document.querySelector('#queue-list li .state.sending')")
        expect(page.locator("#queue-count")).to_have_text("1 条待发送")
        assert attempts == [201]
        assert Visit.objects.count() == 1  # stored, but the phone does not know it yet
        shoot(page, "visit-phone-answer-lost")

        # 4. The network comes back ("online" event): the resend is answered, nothing doubles.
        context.set_offline(True)
        context.set_offline(False)
        expect(page.locator("#queue-count")).to_have_text("全部已发送", timeout=15000)
        assert attempts == [201, 200]
        expect(page.locator("#form-msg")).to_contain_text("已发送")
        shoot(page, "visit-phone-sent")
    finally:
        context.close()
    visit = Visit.objects.get()
    assert (visit.dwelling, visit.visitor, visit.campaign) == (
        dwelling,
        worker,
        field["campaign"],
    )
    assert (visit.outcome, visit.people_met, visit.note) == ("met", 2, "老两口在家")
    assert visit.photo.name
    with visit.photo.open("rb") as stored:
        assert stored.read(3) in (b"\xff\xd8\xff", b"\x89PN")  # shrunk to JPEG, or kept
    opinions = dict(Opinion.objects.filter(visit=visit).values_list("text", "urgent"))
    assert opinions == {"楼道灯坏了，晚上上楼看不见": True, "想加装电梯": False}
    assert Opinion.objects.count() == 2
    assert problems == []


def test_refused_visit_comes_back_for_editing(live_server, chromium, shoot, field):
    """A visit the server refuses (400) leaves the send queue with its message and can be
    loaded back into the form, fixed and sent."""
    from playwright.sync_api import expect

    worker, dwelling = field["worker"], field["dwelling"]
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto(
            f"{live_server.url}/accounts/login/?next=/needs/estates/{field['estate'].pk}/visit/"
        )
        page.fill("#id_phone", worker.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/visit/$"))
        # By label: select_option matches a string against values and labels alike, and
        # a dwelling's id can equal another dwelling's room number.
        page.select_option("#v-dwelling", label=dwelling.number)
        page.click("#v-outcome label:has-text('见到住户')")
        page.locator(".opinion-text").nth(0).fill("😀👍")
        page.click("#visit-save")
        entry = page.locator("#queue-list li").first
        expect(entry.locator(".state")).to_contain_text("只有表情符号无法处理")
        expect(page.locator("#queue-count")).to_have_text("全部已发送")
        assert Visit.objects.count() == 0
        shoot(page, "visit-phone-refused")

        entry.locator(".entry-edit").click()
        expect(page.locator("#form-msg")).to_contain_text("没有通过")
        assert page.locator("#v-dwelling").input_value() == str(dwelling.pk)
        page.locator(".opinion-text").nth(0).fill("单元门坏了关不上")
        page.click("#visit-save")
        expect(page.locator("#queue-list li")).to_have_count(0)
        expect(page.locator("#queue-count")).to_have_text("全部已发送")
        shoot(page, "visit-phone-fixed")
    finally:
        context.close()
    assert Visit.objects.get().opinions.get().text == "单元门坏了关不上"
    assert problems == []


def test_staff_start_a_campaign_and_follow_its_progress(live_server, chromium, shoot, field):
    """From the workbench: campaigns → new campaign → its progress page with the visit link."""
    import uuid

    from django.utils import timezone
    from playwright.sync_api import expect

    staff = make_user("community_staff", region=field["estate"].community, password=PASSWORD)
    services.visit_record(
        client_key=uuid.uuid4(),
        dwelling=field["dwelling"],
        visitor=field["worker"],
        visited_at=timezone.now(),
        outcome="met",
        campaign=field["campaign"],
        opinions=[services.OpinionInput(text="屋顶漏水")],
    )
    for label, viewport in (("phone", PHONE), ("desktop", {"width": 1280, "height": 900})):
        context = chromium.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        problems = watch(page)
        try:
            page.goto(f"{live_server.url}/accounts/login/?next=/registry/")
            page.fill("#id_phone", staff.phone)
            page.fill("#id_password", PASSWORD)
            page.click("#login-submit")
            page.click("#campaigns-link")
            expect(page.locator("#campaign-table")).to_contain_text("金仓敲门行动")
            shoot(page, f"campaign-list-{label}")
            fits_width(page)
            page.click("text=金仓敲门行动")
            expect(page.locator("#visited-share")).to_have_text("已走访 1 / 12 户")
            expect(page.locator("#grid-table")).to_contain_text("一网格")
            expect(page.locator("#member-table")).to_contain_text(field["worker"].name)
            expect(page.locator(f"#visit-{field['estate'].pk}")).to_be_visible()
            shoot(page, f"campaign-detail-{label}")
            fits_width(page)
        finally:
            context.close()
        assert problems == []

    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/needs/campaigns/")
        page.fill("#id_phone", staff.phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.fill("#id_name", "第二轮敲门")
        page.fill("#id_ends_on", (dt.date.today() + dt.timedelta(days=10)).isoformat())
        page.check(f"#estate-picks input[value='{field['estate'].pk}']")
        shoot(page, "campaign-new-phone")
        page.click("#campaign-create")
        expect(page.locator("#campaign-name")).to_have_text("第二轮敲门")
        expect(page.locator("#visited-share")).to_have_text("已走访 0 / 12 户")
        page.click("#campaign-close")
        expect(page.locator("#campaign-status")).to_have_text("已结束")
        shoot(page, "campaign-closed-phone")
    finally:
        context.close()


def test_without_javascript_the_page_says_what_to_do(live_server, chromium, field):
    """With JavaScript off the form stays hidden and a message explains why."""
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(
            f"{live_server.url}/accounts/login/?next=/needs/estates/{field['estate'].pk}/visit/"
        )
        page.fill("#id_phone", field["worker"].phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/visit/$"))
        assert "需要开启 JavaScript" in page.locator("main").inner_text()
        assert not page.locator("#visit-form").is_visible()
    finally:
        context.close()
