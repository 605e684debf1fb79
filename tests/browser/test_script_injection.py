"""Every free-text field holds a script-injection probe; an administrator's crawl of every page
reachable by links runs none of them (docs/security.md).

The world is tests/factories.make_scope_world (every stage's objects in two estates) plus a
meeting, a published vote, a facility and the roll-up figures; then every text field of every
model with rows — names, titles, descriptions, texts, notes, addresses, minutes, opinions,
work-order texts — is overwritten with a probe (fields that are codes, keys, hashes, phone
numbers or choices keep their values: they are checked on input and never free text). The
crawl runs with the Content-Security-Policy off, so what is tested is the escaping itself;
the policy is the second line (tests/browser/test_csp.py).
"""

from __future__ import annotations

import re
import time
from collections import deque
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.db import models
from django.db.models.functions import Cast, Concat
from django.test import override_settings

from tests.browser.conftest import DESKTOP, SHOTS
from tests.browser.helpers import PASSWORD
from tests.factories import make_meeting, make_passed_vote, make_scope_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# One probe for every context a value may land in: element text, a double- or single-quoted
# attribute, a JavaScript string; the short one for fields of fewer than 80 characters.
PROBE = "\"'><img src=x onerror=window.__xss=1><script>window.__xss=1</script>';window.__xss=1;//"
SHORT_PROBE = "\"'><svg onload=__xss=1>"
URL_PROBE = "javascript:window.__xss=1"
# Fields that are not free text: identifiers, codes and secrets checked on input.
NOT_FREE_TEXT = re.compile(
    r"(^|_)(code|codes|phone|hash|digest|key|token|receipt|path|prefix|status|kind|channel|"
    r"ip|mac|credential|sha|mime|content_type|slug|uuid|signature|id_last4|password|"
    r"username|email|language|lang|level|source_ref|ref|client_key|category_code)($|_)"
)
PAGE_BUDGET = 260
SECONDS_BUDGET = 75
PER_SHAPE = 1
SKIP = re.compile(
    r"/logout|/accounts/login|/admin/logout|/delete/|/static/|/media/|/api/|/open311/|"
    r"export|download|\.xlsx|\.csv|\.pdf|/photo|/scan|/document|/voucher|/file"
)


def free_text_fields(model: type[models.Model]) -> list[models.Field]:
    fields = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if field.primary_key or field.unique or field.choices:
            continue
        if isinstance(field, models.EmailField | models.GenericIPAddressField):
            continue
        if NOT_FREE_TEXT.search(field.name):
            continue
        if field.max_length is not None and field.max_length < len(SHORT_PROBE) + 8:
            continue
        fields.append(field)
    return fields


def plant_probes() -> dict[str, list[str]]:
    """Overwrite every free-text field of every model with rows; {model: [fields]}."""
    planted: dict[str, list[str]] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("xiaoqu.") or model._meta.proxy:
            continue
        fields = free_text_fields(model)
        if not fields or not model.objects.exists():
            continue
        values = {}
        for field in fields:
            if isinstance(field, models.URLField):
                values[field.attname] = models.Value(URL_PROBE)
                continue
            long = field.max_length is None or field.max_length >= len(PROBE) + 12
            # A number after the probe keeps values distinct where a constraint wants them so.
            values[field.attname] = Concat(
                models.Value(PROBE if long else SHORT_PROBE),
                Cast("pk", models.CharField()),
                output_field=field,
            )
        model.objects.update(**values)
        planted[model._meta.label] = [f.name for f in fields]
    return planted


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


SHOW_CHART_TIPS = """() => {
  if (!window.echarts) { return 0; }
  let shown = 0;
  document.querySelectorAll('[_echarts_instance_]').forEach((el) => {
    const chart = window.echarts.getInstanceByDom(el);
    if (!chart) { return; }
    (chart.getOption().series || []).forEach((series, s) => {
      const n = Math.min((series.data || []).length, 6);
      for (let i = 0; i < n; i++) {
        chart.dispatchAction({type: 'showTip', seriesIndex: s, dataIndex: i});
        shown++;
      }
    });
  });
  return shown;
}"""


def build_world():
    from xiaoqu.insights.services import rebuild as rebuild_figures
    from xiaoqu.lifecircle.models import Facility, FacilityType

    world = make_scope_world()
    admin = world["users"]["admin"]
    admin.set_password(PASSWORD)
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    estate = world["estate_in"]
    make_meeting(estate, place="活动室")
    make_passed_vote(estate, admin)
    kind = FacilityType.objects.first()
    if kind is not None:
        Facility.objects.create(
            type=kind,
            name="菜市场",
            latitude=Decimal("26.58"),
            longitude=Decimal("106.71"),
            source="staff",
            source_ref="x1",
        )
    rebuild_figures()
    return world


class Crawl:
    """A breadth-first crawl over same-origin links, at most PER_SHAPE pages of one URL shape
    (the admin site once, and after the pages people use), within the budgets."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.queue: deque[str] = deque()
        self.later: deque[str] = deque()
        self.queued: set[str] = set()
        self.shapes: dict[str, int] = {}
        self.pages: list[str] = []
        self.shown = 0
        self.ran: list[str] = []
        self.js_links: list[str] = []
        self.failed: list[str] = []

    def enqueue(self, url: str) -> None:
        url = url.split("#")[0]
        path = url[len(self.base) :]
        if not url.startswith(self.base) or url in self.queued or SKIP.search(path):
            return
        admin_site = path.startswith("/admin/")
        key = shape(path)
        if self.shapes.get(key, 0) >= (1 if admin_site else PER_SHAPE):
            return
        self.shapes[key] = self.shapes.get(key, 0) + 1
        self.queued.add(url)
        (self.later if admin_site else self.queue).append(url)

    def run(self) -> None:
        started = time.monotonic()
        while (self.queue or self.later) and len(self.pages) < PAGE_BUDGET:
            if time.monotonic() - started > SECONDS_BUDGET:
                break
            # Every fourth page from the admin site, so that it is reached within the budget.
            admin_turn = self.later and (len(self.pages) % 4 == 3 or not self.queue)
            self.visit(self.later.popleft() if admin_turn else self.queue.popleft())

    def visit(self, url: str) -> None:
        page = self.page
        try:
            response = page.goto(url, wait_until="load", timeout=20_000)
        except Exception as error:  # a download, an aborted navigation
            if "Download" not in str(error):
                self.failed.append(f"{url}: {error}")
            return
        self.pages.append(url[len(self.base) :])
        if response is None:
            return
        if response.status >= 500:
            self.failed.append(f"{response.status} {url}")
        if "html" not in response.headers.get("content-type", ""):
            return
        page.evaluate(SHOW_CHART_TIPS)
        page.wait_for_timeout(60)
        if "window.__xss=1" in page.inner_text("body"):
            self.shown += 1  # the probe is on the page, as text
        if page.evaluate("typeof window.__xss !== 'undefined'"):
            self.ran.append(url)
            page.evaluate("delete window.__xss")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            if href.lower().startswith("javascript:"):
                self.js_links.append(f"{url}: {href}")
            else:
                self.enqueue(href)


@override_settings(XIAOQU_CSP="off")
def test_no_probe_runs_anywhere_an_administrator_can_click(live_server, chromium, seeded_standard):
    """Every page reachable by links from the administrator's home (and the admin site),
    crawled breadth-first within a budget: window.__xss stays unset, no dialog opens, no link
    is a javascript: URL, no page fails with a server error."""
    began = time.monotonic()
    world = build_world()
    planted = plant_probes()
    print(f"world and probes in {time.monotonic() - began:.0f} s: {len(planted)} models")
    assert len(planted) >= 40, planted  # the probes reach every stage's tables
    admin = world["users"]["admin"]

    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_phone", admin.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()
    # The probes and the detector work: the probe, put into a page unescaped, runs.
    page.set_content(f"<p>{PROBE}</p>")
    page.wait_for_timeout(100)
    assert page.evaluate("window.__xss") == 1
    page.evaluate("delete window.__xss")

    crawl = Crawl(page, base)
    for start in ("/", "/daily/todo/", "/insights/", "/admin/"):
        crawl.enqueue(base + start)
    started = time.monotonic()
    try:
        crawl.run()
    finally:
        context.close()

    visited = len(crawl.pages)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "script-injection-crawl.txt").write_text("\n".join(crawl.pages) + "\n")
    print(
        f"crawled {visited} pages in {time.monotonic() - started:.0f} s, {crawl.shown} show a probe"
    )
    assert visited >= 60, f"the crawl reached only {visited} pages"
    assert crawl.shown >= visited // 3, f"only {crawl.shown} of {visited} pages show a probe"
    assert crawl.ran == [], f"probes ran on: {crawl.ran}"
    assert dialogs == [], dialogs
    assert crawl.js_links == [], crawl.js_links
    assert crawl.failed == [], crawl.failed
