"""Every form of the site under generated input.

The pages are crawled as an administrator and as an owner of the scope world
(``tests.factories.make_scope_world``: votes, plans, projects, money, management bodies, the
maintenance fund, work orders, duty and access in and out of scope), from the home page and
the in-scope estate's page, one page per URL pattern. Each ``<form method="post">`` found
there — plan, vote, meeting, work-order, visit, fund, survey and the others — is submitted
with its fields filled by Hypothesis: numbers huge, negative, NaN or in full-width digits;
dates far away or impossible; texts empty, very long, with control characters; choices
outside the list; and for the rest the form's own values, so that a submission gets past the
first check.

Whatever the values, the answer is never a server error; and a submission that is not
accepted (anything but a redirect) leaves every table as it was. Each example runs in a
transaction rolled back afterwards, so the world is the same for every form.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import make_scope_world
from tests.fuzz.budget import EXAMPLES, FUZZ, seeded
from tests.fuzz.strategies import dateish, nasty_text, numberish
from tests.fuzz.test_import_fuzz import row_counts

pytestmark = pytest.mark.django_db

# How many pages (one per URL pattern) each crawl opens, and the examples per form: the forms
# share the test's budget so that the whole crawl stays within CI's time.
PAGES_MAX = 160
FORM_EXAMPLES = max(4, EXAMPLES // 4)

# Forms whose submission is not a write of the page's data: signing out, switching language.
SKIP_ACTIONS = re.compile(r"/(accounts/logout|i18n/setlang)/")
# Pages not to open: signing out, downloads that build large files, the API.
SKIP_PAGES = re.compile(
    r"^/(accounts/logout|api/|open311/|static/|media/|admin/)|\.(xlsx|csv|pdf)$"
)


@dataclass
class Input:
    name: str
    kind: str
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    page: str
    action: str
    inputs: dict[str, Input] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return pattern(self.action), tuple(sorted(self.inputs))


# Forms whose success is a page rather than a redirect: an access device's key is shown once,
# on the page answering the POST, and never stored (stewardship.views.access._shown_once).
ANSWERED_WITH_PAGE = ("/access/devices/",)


def pattern(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


class _Page(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Input | None = None
        self._textarea: Input | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = Form(self.url, urljoin(self.url, a.get("action") or self.url))
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            name = a["name"]
            if kind in ("submit", "button", "image", "reset") or name == "csrfmiddlewaretoken":
                return
            known = self._form.inputs.get(name)
            if known and kind in ("radio", "checkbox"):
                known.options.append(a.get("value", "on"))
                return
            value = a.get("value", "on" if kind in ("radio", "checkbox") else "")
            self._form.inputs[name] = Input(name, kind, value, [value])
        elif tag == "select":
            self._select = Input(a["name"], "select")
            self._form.inputs[a["name"]] = self._select
        elif tag == "textarea":
            self._textarea = Input(a["name"], "textarea")
            self._form.inputs[a["name"]] = self._textarea

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def unknown_decl(self, data):  # pragma: no cover - malformed markup is not our concern here
        pass


class _WithOptions(_Page):
    """The page with each select's ``<option value>`` and the one selected."""

    def handle_starttag(self, tag, attrs):
        if tag == "option" and self._select is not None:
            self._select.options.append(dict(attrs).get("value") or "")
            if "selected" in dict(attrs):
                self._select.value = dict(attrs).get("value") or ""
            return
        super().handle_starttag(tag, attrs)


def crawl(client: Client, starts: list[str]) -> list[Form]:
    """The post forms of the pages reachable from ``starts``, one page per URL pattern."""
    seen_patterns: set[str] = set()
    queue = deque(starts)
    forms: dict[tuple[str, tuple[str, ...]], Form] = {}
    opened = 0
    while queue and opened < PAGES_MAX:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or SKIP_PAGES.search(parts.path):
            continue
        key = pattern(url) + "?" + "&".join(sorted(k.split("=")[0] for k in parts.query.split("&")))
        if key in seen_patterns:
            continue
        seen_patterns.add(key)
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        opened += 1
        if response.status_code in (301, 302, 303):
            queue.append(urljoin(parts.path, response["Location"]))
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = _WithOptions(parts.path)
        page.feed(response.content.decode("utf-8", "replace"))
        queue.extend(page.links)
        for form in page.forms:
            if SKIP_ACTIONS.search(form.action) or urlsplit(form.action).netloc not in (
                "",
                "testserver",
            ):
                continue
            forms.setdefault(form.key, form)
    return list(forms.values())


def value_for(item: Input) -> st.SearchStrategy[str | None]:
    """A value for one field: the form's own most of the time, else a hostile one of its kind;
    ``None`` leaves the field out."""
    own = st.sampled_from([o for o in (item.options or [item.value])] or [""])
    kind = item.kind
    if kind in ("number", "range"):
        hostile = numberish()
    elif kind in ("date", "datetime-local", "month", "time"):
        hostile = dateish()
    elif kind in ("checkbox", "radio", "select", "hidden"):
        hostile = st.one_of(numberish(), nasty_text(40))
    elif kind == "file":
        return st.none()
    else:
        hostile = st.one_of(nasty_text(3000), numberish(), dateish())
    return st.one_of(own, own, hostile, st.none())


IGNORED_ROWS = {
    # Written by reading pages, not by submitting a form (who saw which personal data).
    "privacy.",
    "core.AccessLog",
}


def counts() -> dict[str, int]:
    return {
        label: n
        for label, n in row_counts().items()
        if not any(label.startswith(prefix) for prefix in IGNORED_ROWS)
    }


def fuzz_form(client: Client, form: Form) -> None:
    """Submit ``form`` with generated values (``FORM_EXAMPLES`` of them)."""
    names = sorted(form.inputs)
    path = urlsplit(form.action).path

    @settings(FUZZ, max_examples=FORM_EXAMPLES)
    @seeded
    @given(values=st.tuples(*[value_for(form.inputs[n]) for n in names]))
    def submit(values):
        data = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        before = counts()
        with transaction.atomic():
            response = client.post(path, data)
            assert response.status_code < 500, (path, data)
            accepted_with_page = response.status_code == 200 and path.endswith(ANSWERED_WITH_PAGE)
            if response.status_code not in (301, 302, 303) and not accepted_with_page:
                after = counts()
                changed = {k: (n, after.get(k)) for k, n in before.items() if after.get(k) != n}
                assert not changed, (form.page, path, response.status_code, changed)
            transaction.set_rollback(True)

    submit()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield make_scope_world()
        transaction.set_rollback(True)


def starts(world) -> list[str]:
    estate = world["estate_in"]
    return ["/", f"/registry/estates/{estate.pk}/"]


@pytest.mark.parametrize("role", ["admin", "owner", "grid_worker", "property_manager"])
def test_every_form_gives_a_clear_answer_and_writes_nothing_when_refused(world, role):
    client = Client()
    client.force_login(world["users"][role])
    forms = crawl(client, starts(world))
    assert forms, "the crawl found forms"
    for form in forms:
        fuzz_form(client, form)


@pytest.mark.parametrize("target", ["0", "needs", "web"])
def test_a_return_address_like_a_url_name_is_followed_not_reversed(world, target):
    """Found by the crawl: ``next=0`` made ``redirect()`` look for a URL named "0" (a 500)."""
    client = Client()
    client.force_login(world["users"]["admin"])
    assert client.post("/text-size/", {"size": "large", "next": target})["Location"] == target
    assert client.get("/accounts/login/", {"next": target})["Location"] == target
