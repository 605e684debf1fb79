"""The locust file of ``xiaoqu bench load`` (run by locust in a process of its own, never
imported by the bench itself): a working day's mix of people on one platform.

Who the simulated users are, in the proportions locust spawns them (its class weights):

* residents (40): open their home, the feed (``/daily/today/``);
* owners voting (15): each takes the next owner of the open vote, opens the ballot page,
  chooses, confirms (the ballot is cast: 302), then takes the next owner — every owner votes
  once, with a session of their own;
* grid workers (10): open the door-knocking page of their estate (``/needs/estates/N/visit/``)
  and post visits to dwellings of their grid, as its script does (``/needs/visits/submit/``,
  201), three in four with an opinion heard;
* staff (10): the to-do workbench (``/daily/todo/``), the register's estate list and an estate
  of their scope;
* Open311 clients (15): ``bench/open311_load.py``'s outside systems (``GET requests.json``
  with their filters, ``POST requests.json``), which also read ``GET services.json``.

Each asks for each of its kinds once when it starts, so that even a short run asks for every
kind, then at the weights above. Each waits ``XIAOQU_LOAD_PAUSE`` seconds on average between
two requests (0: no pause).
Every request must answer exactly what a browser expects (200, or the 302 of a cast ballot,
the 201 of a stored visit); anything else — a redirect to the login page included — counts
as an error.

The people are signed in beforehand: ``load.build_load_world`` stores a session for each and
writes its key into the JSON file ``XIAOQU_LOAD_DATA`` (the login form is throttled per
address, and every simulated person comes from 127.0.0.1). The same file serves the Open311
clients (``XIAOQU_O311_DATA``). Owners are taken from ``XIAOQU_LOAD_OWNER_START`` on, so that
successive runs on the same database never give an owner twice.

Bounded: locust's ``--run-time``, and ``XIAOQU_LOAD_MAX_REQUESTS`` (when not 0) after which
the run stops itself. When it ends, every response time by request name, the errors and why
the run stopped are written as JSON to ``XIAOQU_LOAD_REPORT`` (locust's own statistics round
percentiles above 100 ms to two figures).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import secrets
import string
import time
import uuid
from http.cookiejar import Cookie, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import gevent
from locust import HttpUser, between, constant, events, task

from xiaoqu.bench import open311_load

DATA: dict[str, Any] = json.loads(Path(os.environ["XIAOQU_LOAD_DATA"]).read_text("utf-8"))
PAUSE = float(os.environ.get("XIAOQU_LOAD_PAUSE", "1"))
MAX_REQUESTS = int(os.environ.get("XIAOQU_LOAD_MAX_REQUESTS", "0"))
REPORT = os.environ.get("XIAOQU_LOAD_REPORT", "")
OWNER_START = int(os.environ.get("XIAOQU_LOAD_OWNER_START", "0"))
BEIJING = dt.timezone(dt.timedelta(hours=8))
# What Django accepts as a CSRF secret (32 letters and digits); each simulated browser has one.
CSRF_CHARS = string.ascii_letters + string.digits
# Errors kept per request name in the report, to say what went wrong.
ERROR_SAMPLES = 5


def _wait() -> Any:
    return between(PAUSE * 0.5, PAUSE * 1.5) if PAUSE > 0 else constant(0)


# --- what the run reports ---------------------------------------------------------------------


class Figures:
    """Response times (ms) and errors by request name, and how the run ended."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.samples: dict[str, list[str]] = {}
        self.total = 0
        self.started = time.monotonic()
        self.stopped_by = "time"
        self.owners_drawn = 0
        self.environment: Any = None

    def add(self, name: str, ms: float, error: BaseException | None) -> None:
        self.times.setdefault(name, []).append(ms)
        self.total += 1
        if error is not None:
            self.errors[name] = self.errors.get(name, 0) + 1
            seen = self.samples.setdefault(name, [])
            if len(seen) < ERROR_SAMPLES:
                seen.append(str(error)[:300])
        if MAX_REQUESTS and self.total == MAX_REQUESTS and self.environment is not None:
            # Quit from a greenlet of its own: the one running this request is a user's.
            self.stopped_by = "cap"
            gevent.spawn(self.environment.runner.quit)

    def write(self) -> None:
        if not REPORT:
            return
        report = {
            "times": self.times,
            "errors": self.errors,
            "error_samples": self.samples,
            "total": self.total,
            "seconds": time.monotonic() - self.started,
            "stopped_by": self.stopped_by,
            "owners_drawn": self.owners_drawn,
        }
        Path(REPORT).write_text(json.dumps(report), encoding="utf-8")


FIGURES = Figures()


@events.init.add_listener
def _on_init(environment: Any, **_kwargs: Any) -> None:
    FIGURES.environment = environment


@events.test_start.add_listener
def _on_test_start(**_kwargs: Any) -> None:
    FIGURES.started = time.monotonic()


@events.request.add_listener
def _on_request(
    name: str, response_time: float, exception: BaseException | None = None, **_kwargs: Any
) -> None:
    FIGURES.add(name, response_time, exception)


@events.quitting.add_listener
def _on_quitting(**_kwargs: Any) -> None:
    FIGURES.write()


# --- people who sign in -------------------------------------------------------------------------


class OwnCookiesOnly(DefaultCookiePolicy):
    """A simulated browser keeps the two cookies it was given (its session and its CSRF
    secret) and stores none that the server sets: with production settings the server marks
    its cookies ``Secure``, and the HTTP client would then keep them from going back over
    http (a browser sends them to 127.0.0.1, which it treats as a secure context). The
    server sets no other value for these two cookies without a new login, and the one cookie
    left out, Django's messages, only carries the words shown after a refused form."""

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        return False


class Browser(HttpUser):
    """A person on a phone or a desk: signed in with a prepared session, CSRF cookie set."""

    abstract = True
    wait_time = _wait()

    def on_start(self) -> None:
        self.csrf = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
        self.client.cookies.set_policy(OwnCookiesOnly())

    def sign_in(self, session_key: str) -> None:
        """Become the person whose session this is (a new browser: no other cookie)."""
        domain = urlparse(self.host).hostname or "127.0.0.1"
        self.client.cookies.clear()
        self.client.cookies.set(DATA["csrf_cookie"], self.csrf, domain=domain, path="/")
        self.client.cookies.set(DATA["session_cookie"], session_key, domain=domain, path="/")

    def page(self, url: str, name: str) -> None:
        """GET a page, which must answer 200 (a redirect to the login page is an error)."""
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}")

    def send(self, url: str, name: str, data: dict[str, str], expect: int) -> None:
        """POST a form with its CSRF token, which must answer ``expect``."""
        with self.client.post(
            url,
            data={**data, "csrfmiddlewaretoken": self.csrf},
            headers={"X-CSRFToken": self.csrf},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code}: {response.text[:200]}")


_residents = itertools.cycle(DATA["residents"])
_owners = iter(DATA["owners"][OWNER_START:])
_grid_workers = itertools.cycle(DATA["grid_workers"])
_staff = itertools.cycle(DATA["staff"])


class Resident(Browser):
    weight = 40

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(next(_residents))

    @task
    def home(self) -> None:
        self.page("/daily/today/", "resident: home (feed)")


class Owner(Browser):
    """Owners of the open vote, one after another: each casts one ballot. When every owner
    has voted, the last one looks at their ballot page (the receipt) again."""

    weight = 15

    def on_start(self) -> None:
        super().on_start()
        self.owner: list[Any] | None = None
        self.next_owner()

    def next_owner(self) -> None:
        owner = next(_owners, None)
        if owner is None:
            return
        FIGURES.owners_drawn += 1
        self.owner = owner
        self.voted = False
        self.sign_in(owner[0])

    @task
    def vote(self) -> None:
        if self.owner is None:
            return
        url = f"/decisions/votes/{self.owner[1]}/ballot/"
        self.page(url, "owner: ballot page")
        if self.voted:
            return
        choice = random.choice(("agree", "agree", "agree", "disagree", "abstain"))
        self.wait()
        self.send(url, "owner: choose", {"choice": choice}, 200)
        self.wait()
        self.send(url, "owner: cast ballot", {"choice": choice, "confirmed": "on"}, 302)
        self.voted = True
        self.next_owner()


class GridWorker(Browser):
    """A grid worker door-knocking in their grid: the phone page once, then visit after visit
    sent as its script sends them."""

    weight = 10

    def on_start(self) -> None:
        super().on_start()
        self.worker: dict[str, Any] = next(_grid_workers)
        self.sign_in(self.worker["session"])
        self.visit_page()
        self.post_visit()

    @task(1)
    def visit_page(self) -> None:
        self.page(f"/needs/estates/{self.worker['estate']}/visit/", "grid: visit form")

    @task(3)
    def post_visit(self) -> None:
        met = random.random() < 0.75
        form = {
            "client_key": str(uuid.uuid4()),
            "estate": str(self.worker["estate"]),
            "dwelling": str(random.choice(self.worker["dwellings"])),
            "campaign": str(self.worker["campaign"]),
            "visited_at": dt.datetime.now(BEIJING).isoformat(timespec="seconds"),
            "outcome": "met" if met else "not_home",
            "people_met": str(random.randint(1, 3)) if met else "0",
            "opinions": json.dumps(
                [{"text": random.choice(DATA["opinions"]), "urgent": random.random() < 0.05}]
                if met
                else [],
                ensure_ascii=False,
            ),
        }
        self.send("/needs/visits/submit/", "grid: post visit", form, 201)


class Staff(Browser):
    """Community and street staff at their desk: the to-do workbench, the estate list of the
    register, an estate's page."""

    weight = 10

    def on_start(self) -> None:
        super().on_start()
        self.member: dict[str, Any] = next(_staff)
        self.sign_in(self.member["session"])
        self.todo()
        self.estate_list()
        self.estate()

    @task(3)
    def todo(self) -> None:
        self.page("/daily/todo/", "staff: to-do")

    @task(2)
    def estate_list(self) -> None:
        page = random.randint(1, self.member["pages"])
        self.page(f"/registry/estates/?page={page}", "staff: estate list")

    @task(1)
    def estate(self) -> None:
        estate = random.choice(self.member["estates"])
        self.page(f"/registry/estates/{estate}/", "staff: estate page")


class Open311(open311_load.Open311Client):
    """An outside system (bench/open311_load.py's client), paced like everyone else."""

    weight = 15
    wait_time = _wait()

    def on_start(self) -> None:
        super().on_start()
        self.services()
        self.get_requests()
        self.post_request()

    @task(1)
    def services(self) -> None:
        self.client.get("/open311/v2/services.json", name="GET services.json")
