"""The resident pages pass axe-core's WCAG 2 A and AA checks, in standard and in large text.

axe-core (npm, a development dependency: `make install` runs `npm ci`) is injected into each
page; a `serious` or `critical` violation fails the test and is printed with the elements it
concerns. In large text (大字) every page must still fit a 390-pixel phone. What is checked and
how to run it: docs/development.md, "Accessibility".
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from tests.browser.helpers import PASSWORD, fits_width, watch
from tests.factories import (
    make_estate,
    make_needs_world,
    make_open_vote,
    make_owner,
    make_user,
    make_work_order,
)
from xiaoqu.decisions import services as decisions
from xiaoqu.needs import services as needs
from xiaoqu.web import text_size

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE_390 = {"width": 390, "height": 844}
# WCAG 2.0 and 2.1, levels A and AA; best practices are not failures here.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.exists():
        # Prefer failing to skipping: CI must run these checks, and `make install` provides it.
        pytest.fail(
            f"axe-core is missing ({AXE}): run `make install` (it runs `npm ci`, which installs "
            "the development dependency axe-core from package-lock.json)"
        )
    return AXE


def axe_violations(page, axe: Path) -> list[dict]:
    """Run axe on the page as it is now; the violations of the checked WCAG rules."""
    page.add_script_tag(path=str(axe))
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})).violations",
        AXE_TAGS,
    )


def describe(where: str, violations: list[dict]) -> list[str]:
    """The failing violations, readably: rule, impact, help, then each element and why."""
    lines: list[str] = []
    for v in violations:
        if v.get("impact") not in FAILING:
            continue
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {target}\n      {node['html'][:160]}\n      {summary}")
    return lines


def resident_world() -> dict:
    """One estate with everything a resident's pages show: an open vote to choose on, one
    already voted on (the receipt), a published result, a published demand list, the
    resident's own opinion and repair order."""
    estate = make_estate(name="金仓小区", floors=3, per_floor=2)
    homes = list(estate.dwellings.order_by("pk"))
    owners = [make_owner(d, f"业主{i}") for i, d in enumerate(homes)]
    staff = make_user("community_staff", estate=estate)
    admin = make_user("admin")
    resident = make_user(person=owners[0], password=PASSWORD)
    make_needs_world(estate, homes, admin)
    needs.opinion_submit(
        user=resident,
        estate=estate,
        item=needs.OpinionInput(
            text="单元门口的台阶太高，轮椅上不去", dwelling=homes[0], client_key=uuid.uuid4()
        ),
    )
    make_work_order(estate, resident)
    open_vote = make_open_vote(estate, staff)
    voted = make_open_vote(estate, staff)
    ballot = decisions.ballot_cast(
        vote=voted,
        elector=decisions.elector_for(vote=voted, person_id=owners[0].pk),
        choice="agree",
        channel="online",
        actor=resident,
    )
    closed = make_open_vote(estate, staff)
    for person in owners[:5]:
        decisions.ballot_cast(
            vote=closed,
            elector=decisions.elector_for(vote=closed, person_id=person.pk),
            choice="agree",
            channel="online",
            actor=make_user(person=person),
        )
    decisions.vote_close(vote=closed, actor=staff)
    decisions.vote_publish_result(vote=closed, actor=staff)
    return {
        "resident": resident,
        "pages": {
            "我的房屋": "/registry/home/",
            "今日": "/daily/today/",
            "我的意见": "/needs/mine/",
            "提意见": "/needs/mine/new/",
            "我的表决": "/decisions/mine/",
            "投票": f"/decisions/votes/{open_vote.pk}/ballot/",
            "投票回执": f"/decisions/votes/{voted.pk}/ballot/",
            "回执查验": f"/decisions/votes/{voted.pk}/receipt/?receipt={ballot.receipt}",
            "表决结果": f"/decisions/votes/{closed.pk}/result/",
            "需求清单公示": f"/needs/estates/{estate.pk}/notice/",
            "我的报修": "/stewardship/orders/mine/",
        },
        "open_vote": open_vote,
    }


def check_resident_pages(live_server, chromium, axe: Path, *, large: bool) -> None:
    world = resident_world()
    # The CSP to come must not stop the injected axe script (it is a test tool, never served).
    context = chromium.new_context(viewport=PHONE_390, locale="zh-CN", bypass_csp=True)
    if large:
        context.add_cookies(
            [{"name": text_size.COOKIE, "value": text_size.LARGE, "url": live_server.url}]
        )
    page = context.new_page()
    problems = watch(page)
    failures: list[str] = []
    too_wide: list[str] = []

    def check(name: str) -> None:
        if large:
            assert page.evaluate("document.documentElement.classList.contains('text-large')")
            try:
                fits_width(page)
            except AssertionError as error:
                too_wide.append(f"{name}: {error}")
        failures.extend(describe(f"{name} {page.url}", axe_violations(page, axe)))

    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/registry/home/")
        check("登录")
        page.fill("#id_phone", world["resident"].phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/registry/home/$"))
        for name, path in world["pages"].items():
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, f"{name} {path}"
            check(name)
        # The ballot's second step: the choice shown back before it is cast.
        page.goto(f"{live_server.url}{world['pages']['投票']}")
        page.click("#choice-agree")
        page.wait_for_selector("#confirm")
        check("确认投票")
    finally:
        context.close()
    report = "\n".join(failures + too_wide)
    assert not report, (
        f"accessibility problems ({'large' if large else 'standard'} text):\n{report}"
    )
    assert problems == []


def test_resident_pages_pass_axe_in_standard_text(live_server, chromium, axe_source):
    """No serious or critical WCAG 2 A/AA violation on the resident pages and the ballot."""
    check_resident_pages(live_server, chromium, axe_source, large=False)


def test_resident_pages_pass_axe_and_fit_a_phone_in_large_text(live_server, chromium, axe_source):
    """In large text the same pages pass axe and none is wider than a 390-pixel phone."""
    check_resident_pages(live_server, chromium, axe_source, large=True)


def test_large_text_switch_in_the_header(live_server, chromium, shoot):
    """The header's button "大字" enlarges the text of every page and returns to the page it
    was pressed on; "标准字" turns it back. The root font grows by a quarter."""
    world = resident_world()
    context = chromium.new_context(viewport=PHONE_390, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    ballot = world["pages"]["投票"]
    try:
        page.goto(f"{live_server.url}/accounts/login/?next={ballot}")
        page.fill("#id_phone", world["resident"].phone)
        page.fill("#id_password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(re.escape(ballot) + "$"))
        root_px = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
        assert page.evaluate(root_px) == 16
        assert page.locator("#text-size").inner_text().strip() == "大字"
        with page.expect_navigation():
            page.click("#text-size")
        assert page.url.endswith(ballot)
        assert page.evaluate(root_px) == 20
        assert page.locator("#text-size").inner_text().strip() == "标准字"
        fits_width(page)
        shoot(page, "browser-ballot-large-text-phone")
        page.goto(f"{live_server.url}/needs/mine/new/")
        assert page.evaluate("document.documentElement.className") == "text-large"
        fits_width(page)
        shoot(page, "browser-opinion-large-text-phone")
        with page.expect_navigation():
            page.click("#text-size")
        assert page.url.endswith("/needs/mine/new/")
        assert page.evaluate(root_px) == 16
        assert page.locator("#text-size").inner_text().strip() == "大字"
    finally:
        context.close()
    assert problems == []
