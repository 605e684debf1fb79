"""The key pages work under the production Content-Security-Policy: no violation, no script
error (docs/security.md)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD
from tests.factories import make_scope_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded in the page before any of its scripts run.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') +
    ' ' + (e.sourceFile || '') + ':' + (e.lineNumber || ''));
});
"""


def signed_in(chromium, live_server, user, viewport):
    user.set_password(PASSWORD)
    user.save()
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    context.add_init_script(LISTEN)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()
    return context, page, problems


def visit(page, problems: list[str], url: str, ready: str | None = None) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    assert "script-src 'self';" in response.headers["content-security-policy"]
    if ready:
        page.wait_for_selector(ready, timeout=10_000)
    page.wait_for_timeout(300)
    violations = page.evaluate("window.__violations")
    assert violations == [], f"{url}: {violations}"
    assert problems == [], f"{url}: {problems}"


@override_settings(XIAOQU_CSP="on")
def test_key_pages_raise_no_policy_violation(live_server, chromium, seeded_standard):
    """Staff pages (workbench, a chart, a map, the progress timeline, the visit page, the
    monthly evaluation, a print page) and a resident's (feed, ballot, opinion, repair) run
    their scripts under the policy: charts and maps draw, nothing is blocked."""
    world = make_scope_world()
    users = world["users"]
    estate = world["estate_in"]
    project = world["projects"]["in"]
    vote = world["votes"]["in"]
    base = live_server.url

    context, page, problems = signed_in(chromium, live_server, users["admin"], DESKTOP)
    try:
        visit(page, problems, f"{base}/daily/todo/")
        visit(page, problems, f"{base}/insights/", "[_echarts_instance_]")
        visit(page, problems, f"{base}/insights/estates/{estate.pk}/")
        visit(page, problems, f"{base}/lifecircle/estates/{estate.pk}/")
        visit(page, problems, f"{base}/renovation/projects/{project.pk}/progress/")
        visit(page, problems, f"{base}/needs/estates/{estate.pk}/visit/")
        visit(page, problems, f"{base}/stewardship/estates/{estate.pk}/fund/statement/print/")
        assert page.is_visible("#print-button")  # print.js ran and showed the button
        district = world["chain_in"][2]
        visit(page, problems, f"{base}/insights/regions/{district.pk}/", ".leaflet-container")
    finally:
        context.close()

    context, page, problems = signed_in(chromium, live_server, users["owner"], PHONE)
    try:
        visit(page, problems, f"{base}/daily/today/")
        visit(page, problems, f"{base}/decisions/votes/{vote.pk}/ballot/")
        page.click("#choice-agree")
        page.wait_for_selector("#confirm")
        assert page.evaluate("window.__violations") == []
        visit(page, problems, f"{base}/needs/mine/new/")
        visit(page, problems, f"{base}/stewardship/orders/new/")
    finally:
        context.close()
