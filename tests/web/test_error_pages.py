"""Friendly error pages (web/templates/404.html, 403.html, 500.html), also with XIAOQU_DEBUG
on for browsers: the demo runs in debug mode, and Django's technical 404 page (its URL
patterns, its settings' names) is no page for residents and staff."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.views.defaults import permission_denied, server_error

from tests.factories import make_estate, make_user, region_chain

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
FRIENDLY = "找不到这个页面"
TECHNICAL = "Using the URLconf"


def staff_client() -> Client:
    client = Client()
    client.force_login(make_user("community_staff", region=region_chain()[-1]))
    return client


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_address_gets_the_friendly_page(debug):
    with override_settings(DEBUG=debug):
        response = Client().get("/no/such/page/", **BROWSER)
    assert response.status_code == 404
    body = response.content.decode()
    assert FRIENDLY in body and TECHNICAL not in body
    assert "/no/such/page/" in body
    assert reverse("accounts:login") in body


@override_settings(DEBUG=True)
def test_a_page_out_of_scope_gets_the_friendly_page_in_debug_mode():
    """A view's own 404 (missing or out of the reader's scope) is friendly too, with the
    navigation of the signed-in user."""
    chain = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    elsewhere = make_estate(chain[-1], name="远方小区")
    response = staff_client().get(reverse("registry:estate_detail", args=[elsewhere.pk]), **BROWSER)
    assert response.status_code == 404
    body = response.content.decode()
    assert FRIENDLY in body and "Raised by" not in body
    assert reverse("web:home") in body and "远方小区" not in body


@override_settings(DEBUG=True)
def test_machines_and_htmx_keep_their_answers_in_debug_mode():
    """The API answers its own JSON; a request not asking for HTML, or an htmx fragment,
    does not get a whole page."""
    client = staff_client()
    api = client.get("/api/v1/no-such-endpoint", **BROWSER)
    assert api.status_code == 404 and FRIENDLY not in api.content.decode()
    plain = client.get("/no/such/page/", HTTP_ACCEPT="application/json")
    assert plain.status_code == 404 and FRIENDLY not in plain.content.decode()
    fragment = client.get("/no/such/page/", HTTP_HX_REQUEST="true", **BROWSER)
    assert fragment.status_code == 404 and FRIENDLY not in fragment.content.decode()


@override_settings(DEBUG=True, APPEND_SLASH=True)
def test_a_missing_slash_still_redirects_in_debug_mode():
    response = staff_client().get("/registry/estates", **BROWSER)
    assert response.status_code == 301
    assert response["Location"] == "/registry/estates/"


def test_forbidden_and_server_error_pages_are_in_chinese():
    request = RequestFactory().get("/x/")
    request.user = make_user()
    forbidden = permission_denied(request, PermissionDenied())
    assert forbidden.status_code == 403 and "没有权限" in forbidden.content.decode()
    error = server_error(request)
    assert error.status_code == 500 and "服务器出错了" in error.content.decode()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/daily/today/", "page"),
        ("/api/v1/regions", "api"),
        ("/open311/v2/requests.json", "open311"),
    ],
)
def test_an_unreachable_database_answers_503_in_each_interfaces_shape(rf, path, kind):
    """handler500 while the database cannot be reached: 503, Retry-After, and what happened
    (tests/faults/test_database_restart.py shows it under a real restart)."""
    from django.db.utils import OperationalError

    from xiaoqu.web.views import server_error

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(rf.get(path))
    assert response.status_code == 503 and response["Retry-After"]
    body = response.content.decode()
    if kind == "api":
        answer = json.loads(body)
        assert answer["code"] == "database_unavailable"
        assert "数据库暂时连接不上" in answer["detail"]
    elif kind == "open311":
        (error,) = json.loads(body)
        assert error["code"] == 503 and "数据库暂时连接不上" in error["description"]
    else:
        assert "<html" in body and "数据库暂时连接不上" in body and "再试一次" in body


def test_any_other_failure_keeps_the_plain_server_error_page(rf):
    from xiaoqu.web.views import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500 and "服务器出错了" in response.content.decode()
