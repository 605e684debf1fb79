"""The read replica's router and middleware (xiaoqu.core.replica, docs/deployment.md): which
database each read goes to, read-your-own-writes, and the fall-back to the primary.

In these tests the alias ``replica`` is the test database's own connection under a second
name, so that what a test wrote in its transaction is seen through both; which database a read
went to is what the router answered, recorded by ``RecordingRouter``. A real primary with a
streaming replica is in ``tests/faults/test_replica.py`` (PostgreSQL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.db.utils import load_backend
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import make_estate, make_open_vote, make_owner, make_user
from tests.faults.pgcluster import free_port
from xiaoqu.core import replica as replica_module
from xiaoqu.core.access_log import access_record
from xiaoqu.core.models import AccessAction
from xiaoqu.core.replica import (
    PIN_COOKIE,
    REPLICA,
    PrimaryReplicaRouter,
    ReplicaMiddleware,
    mark_replica_down,
)
from xiaoqu.decisions.models import Ballot, Vote
from xiaoqu.registry.models import Estate

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
MIDDLEWARE_PATH = "xiaoqu.core.replica.ReplicaMiddleware"


class RecordingRouter(PrimaryReplicaRouter):
    """The project's router, noting where each read went."""

    reads: list[tuple[str, str]] = []

    def db_for_read(self, model, **hints):
        alias = super().db_for_read(model, **hints)
        RecordingRouter.reads.append((model._meta.label_lower, alias))
        return alias


def reads_to(alias: str) -> list[str]:
    return [label for label, went in RecordingRouter.reads if went == alias]


def _install_alias(wrapper) -> None:
    connections.settings[REPLICA] = wrapper.settings_dict
    connections[REPLICA] = wrapper


@pytest.fixture
def replica(settings):
    """The router and the middleware installed, with ``replica`` naming the test database."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware"), MIDDLEWARE_PATH
    )
    settings.MIDDLEWARE = middleware
    settings.DATABASE_ROUTERS = [f"{__name__}.RecordingRouter"]
    settings.XIAOQU_REPLICA_PIN_SECONDS = 5
    _install_alias(connections["default"])
    mark_replica_down(0)
    RecordingRouter.reads = []
    yield
    RecordingRouter.reads = []
    mark_replica_down(0)
    del connections.settings[REPLICA]
    del connections[REPLICA]


@pytest.fixture
def unreachable_replica(replica, tmp_path):
    """``replica`` names a database that cannot be reached (a closed port, a missing folder)."""
    broken = dict(connections["default"].settings_dict)
    if broken["ENGINE"].endswith("sqlite3"):
        broken["NAME"] = str(tmp_path / "missing" / "replica.sqlite3")
    else:
        broken.update(HOST="127.0.0.1", PORT=free_port())
        broken["OPTIONS"] = {**broken.get("OPTIONS", {}), "connect_timeout": 2}
    wrapper = load_backend(broken["ENGINE"]).DatabaseWrapper(broken, REPLICA)

    def ensure_connection():
        # Django's own, without the guard a test case puts on aliases it was not told of.
        with wrapper.wrap_database_errors:
            wrapper.connect()

    wrapper.ensure_connection = ensure_connection
    _install_alias(wrapper)
    yield wrapper
    wrapper.close()


def _through_middleware(request, view):
    return ReplicaMiddleware(view)(request)


def _read_estates(request):
    list(Estate.objects.all())
    return HttpResponse("ok")


# --- where reads go ----------------------------------------------------------------------------


def test_outside_a_request_every_read_goes_to_the_primary(replica):
    """Commands, imports, backups and the worker's tasks read what they are about to write."""
    assert PrimaryReplicaRouter().db_for_read(Estate) == "default"


def test_a_safe_request_reads_from_the_replica(replica, client):
    """Every read of a page, the session and the user's own rows included."""
    client.force_login(make_user())
    RecordingRouter.reads = []
    assert client.get(reverse("notify:inbox")).status_code == 200
    assert {"sessions.session", "accounts.user", "notify.notification"} <= set(reads_to(REPLICA))
    assert reads_to("default") == []


def test_an_unsafe_request_reads_from_the_primary_and_pins_the_client(replica, client):
    """A form posted reads from the primary; the answer pins the client with a signed cookie,
    so that the page it is sent to next reads from the primary too."""
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("notify:read_all"))
    assert response.status_code == 302
    assert RecordingRouter.reads and reads_to(REPLICA) == []
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["httponly"] and cookie["max-age"] == 5
    RecordingRouter.reads = []
    assert client.get(reverse("notify:inbox")).status_code == 200
    assert RecordingRouter.reads and reads_to(REPLICA) == []


def test_a_pinned_client_reads_from_the_replica_again_once_the_pin_has_passed(
    replica, client, monkeypatch
):
    user = make_user()
    client.force_login(user)
    client.post(reverse("notify:read_all"))
    later = time.time() + 6
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    RecordingRouter.reads = []
    assert client.get(reverse("notify:inbox")).status_code == 200
    assert "accounts.user" in reads_to(REPLICA)


def test_a_forged_pin_cookie_does_not_pin(replica):
    request = RequestFactory().get("/")
    request.COOKIES[PIN_COOKIE] = "1:forged:signature"
    _through_middleware(request, _read_estates)
    assert reads_to(REPLICA) == ["registry.estate"]


def test_a_write_in_a_safe_request_sends_its_later_reads_to_the_primary_and_pins(replica):
    """A page that writes (a session saved, a row created) reads back from the primary for the
    rest of the request, and its client is pinned."""
    estate = make_estate(name="写后读小区")

    def view(request):
        list(Estate.objects.all())
        Estate.objects.filter(pk=estate.pk).update(name="写后读小区（改）")
        assert Estate.objects.get(pk=estate.pk).name == "写后读小区（改）"
        return HttpResponse("ok")

    RecordingRouter.reads = []
    response = _through_middleware(RequestFactory().get("/"), view)
    assert RecordingRouter.reads == [
        ("registry.estate", REPLICA),
        ("registry.estate", "default"),
    ]
    assert PIN_COOKIE in response.cookies


def test_writing_the_access_log_does_not_pin(replica):
    """A staff member paging through residents' records writes a row of the personal-information
    access log on every page; that write is read by nobody at once and must not pin them."""
    user = make_user("admin")

    def view(request):
        access_record(actor=user, action=AccessAction.VIEW, subjects=[1])
        list(Estate.objects.all())
        return HttpResponse("ok")

    response = _through_middleware(RequestFactory().get("/"), view)
    assert reads_to(REPLICA) == ["registry.estate"]
    assert PIN_COOKIE not in response.cookies


def test_reads_inside_a_transaction_stay_on_the_primary(replica):
    estate = make_estate(name="事务小区")

    def view(request):
        with transaction.atomic():
            Estate.objects.get(pk=estate.pk)
            Estate.objects.select_for_update().get(pk=estate.pk)
        Estate.objects.get(pk=estate.pk)
        return HttpResponse("ok")

    RecordingRouter.reads = []
    _through_middleware(RequestFactory().get("/"), view)
    # select_for_update is routed as a write; it pins, and so the last read goes to the primary.
    assert RecordingRouter.reads == [
        ("registry.estate", "default"),
        ("registry.estate", "default"),
    ]


def test_a_ballot_posted_reads_and_writes_on_the_primary_and_reads_back_its_receipt(
    replica, client
):
    """The ballot's read-then-write (the vote locked, the chain's head read) runs on the
    primary; the owner's next page, the receipt, too."""
    estate = make_estate(name="投票小区", floors=2, per_floor=2)
    for i, dwelling in enumerate(estate.dwellings.order_by("pk")):
        make_owner(dwelling, f"业主{i}")
    vote = make_open_vote(estate, make_user("community_staff", region=estate.community))
    elector = vote.electors.order_by("pk").first()
    owner = make_user(person=elector.persons.first())
    client.force_login(owner)
    RecordingRouter.reads = []
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    response = client.post(url, {"choice": "agree", "confirmed": "on"}, follow=True)
    ballot = Ballot.objects.get()
    assert ballot.receipt in response.content.decode()
    assert RecordingRouter.reads and reads_to(REPLICA) == []
    assert Vote.objects.get(pk=vote.pk).ballots_cast == 1


@pytest.mark.parametrize(
    ("header", "token", "another"),
    [
        ("HTTP_AUTHORIZATION", "Bearer token-a", "Bearer token-b"),
        ("HTTP_X_API_TOKEN", "xq_token-a", "xq_token-b"),
    ],
    ids=["authorization", "x-api-token"],
)
def test_a_client_sending_a_token_header_is_pinned_in_the_cache(replica, header, token, another):
    """API clients keep no cookies: the one whose credential wrote is pinned by it (either
    token header); another token from the same address is not pinned by it."""
    write = RequestFactory().post("/", **{header: token})
    _through_middleware(write, lambda request: HttpResponse("ok"))
    same = RequestFactory().get("/", **{header: token})
    other = RequestFactory().get("/", **{header: another})
    _through_middleware(same, _read_estates)
    _through_middleware(other, _read_estates)
    assert RecordingRouter.reads == [
        ("registry.estate", "default"),
        ("registry.estate", REPLICA),
    ]


def test_an_open311_client_posting_its_api_key_reads_its_request_back_from_the_primary(replica):
    """An Open311 system posts a form with its ``api_key`` and no cookie, then reads the
    request back: with the key in the query, or without it (reads are public) from the same
    address. Another system's key elsewhere reads from the replica."""
    posted = []

    def view(request):
        posted.append(request.POST["api_key"])  # the view still reads its form
        return HttpResponse("ok")

    write = RequestFactory().post(
        "/open311/v2/requests.json",
        "api_key=o311_key-a&service_code=stair-light",
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR="10.0.0.5",
    )
    _through_middleware(write, view)
    assert posted == ["o311_key-a"]
    url = "/open311/v2/requests/1.json"
    for request in (
        RequestFactory().get(url, {"api_key": "o311_key-a"}, REMOTE_ADDR="10.0.0.9"),
        RequestFactory().get(url, REMOTE_ADDR="10.0.0.5"),
        RequestFactory().get(url, {"api_key": "o311_key-b"}, REMOTE_ADDR="10.0.0.9"),
    ):
        _through_middleware(request, _read_estates)
    assert RecordingRouter.reads == [
        ("registry.estate", "default"),
        ("registry.estate", "default"),
        ("registry.estate", REPLICA),
    ]


def test_a_json_body_is_left_to_the_view(replica):
    """Only a form's body is looked at for an ``api_key``: a view reading its raw body reads
    it whole, and the client is pinned by its address."""
    body = json.dumps({"api_key": "o311_key-a"})
    read = []

    def view(request):
        read.append(request.body.decode())
        return HttpResponse("ok")

    write = RequestFactory().post("/", body, content_type="application/json")
    _through_middleware(write, view)
    assert read == [body]
    _through_middleware(RequestFactory().get("/"), _read_estates)
    assert RecordingRouter.reads == [("registry.estate", "default")]


def test_a_cookieless_client_without_a_credential_is_pinned_by_its_address(replica, settings):
    """Neither cookies nor a credential: the client's address (behind a load balancer, the one
    its header names) is pinned; another address is not, nor a client with a session cookie."""
    settings.XIAOQU_CLIENT_IP_HEADER = "X-Forwarded-For"
    write = RequestFactory().post("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.1.1.1")
    _through_middleware(write, lambda request: HttpResponse("ok"))
    same = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="10.1.1.1")
    other = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="10.1.1.2")
    with_session = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="10.1.1.1")
    with_session.COOKIES[settings.SESSION_COOKIE_NAME] = "some-session"
    for request in (same, other, with_session):
        _through_middleware(request, _read_estates)
    assert RecordingRouter.reads == [
        ("registry.estate", "default"),
        ("registry.estate", REPLICA),
        ("registry.estate", REPLICA),
    ]


def test_the_cache_holds_digests_never_a_credential_or_an_address(replica, monkeypatch):
    marks = {}
    monkeypatch.setattr(replica_module.cache, "set_many", lambda data, timeout: marks.update(data))
    write = RequestFactory().post("/", HTTP_X_API_TOKEN="xq_secret", REMOTE_ADDR="10.9.8.7")
    _through_middleware(write, lambda request: HttpResponse("ok"))
    assert len(marks) == 2
    assert not any("xq_secret" in key or "10.9.8.7" in key for key in marks)


def test_an_unreachable_replica_sends_reads_to_the_primary(unreachable_replica, client):
    """The site keeps answering from the primary, and the replica is not tried again on every
    request."""
    make_estate(name="备库停机小区")
    RecordingRouter.reads = []
    response = _through_middleware(RequestFactory().get("/"), _read_estates)
    assert response.status_code == 200
    assert reads_to("default") == ["registry.estate"] and reads_to(REPLICA) == []
    assert client.get(reverse("accounts:login")).status_code == 200
    assert replica_module._replica_down_until > time.monotonic()


def test_migrations_never_run_on_the_replica_and_objects_of_both_relate():
    router = PrimaryReplicaRouter()
    assert router.allow_migrate(REPLICA, "registry") is False
    assert router.allow_migrate("default", "registry") is None
    a, b = Estate(), Estate()
    a._state.db, b._state.db = "default", REPLICA
    assert router.allow_relation(a, b) is True


def test_without_a_replica_the_middleware_is_not_used(settings):
    assert REPLICA not in settings.DATABASES
    with pytest.raises(Exception) as refused:
        ReplicaMiddleware(lambda request: HttpResponse("ok"))
    assert type(refused.value).__name__ == "MiddlewareNotUsed"


@pytest.mark.skipif(
    bool(os.environ.get("XIAOQU_REPLICA_URL")), reason="the suite runs with a replica"
)
def test_without_xiaoqu_replica_url_nothing_is_installed():
    assert django_settings.DATABASE_ROUTERS == []
    assert MIDDLEWARE_PATH not in django_settings.MIDDLEWARE
    assert set(django_settings.DATABASES) == {"default"}


def test_xiaoqu_replica_url_adds_the_alias_the_router_and_the_middleware():
    """Settings read from the environment: the replica's URL parsed like DATABASE_URL, its
    connection kept and health-checked, a short connect timeout, the middleware before the
    session's."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'replica': s.DATABASES['replica'], 'routers': s.DATABASE_ROUTERS, "
        "'middleware': s.MIDDLEWARE}, default=str))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xiaoqu.config.settings",
        "XIAOQU_DEBUG": "1",
        "DATABASE_URL": "postgres://xiaoqu@db1.example:5432/xiaoqu",
        "XIAOQU_REPLICA_URL": "postgres://reader:pw@db2.example:5433/xiaoqu",
        "XIAOQU_DB_CONN_MAX_AGE": "30",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    replica = found["replica"]
    assert (replica["HOST"], replica["PORT"], replica["USER"]) == ("db2.example", 5433, "reader")
    assert replica["CONN_MAX_AGE"] == 30 and replica["CONN_HEALTH_CHECKS"] is True
    assert replica["OPTIONS"]["connect_timeout"] == 3
    assert replica["TEST"]["MIRROR"] == "default"
    assert found["routers"] == ["xiaoqu.core.replica.PrimaryReplicaRouter"]
    middleware = found["middleware"]
    assert (
        middleware.index(MIDDLEWARE_PATH)
        == middleware.index("django.contrib.sessions.middleware.SessionMiddleware") - 1
    )
    assert middleware.index(MIDDLEWARE_PATH) > middleware.index(
        "whitenoise.middleware.WhiteNoiseMiddleware"
    )
