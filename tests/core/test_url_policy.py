"""Every URL of the project is declared in the permission policy, and the middleware enforces it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path

from tests.factories import make_user
from xiaoqu.core.policy import NAMESPACE_POLICY, URL_POLICY, policy_for


@dataclass(frozen=True)
class Route:
    view_name: str  # as Django's ResolverMatch.view_name will spell it
    named: bool
    namespaces: tuple[str, ...]
    pattern: str
    callback: str


def walk(patterns, namespaces: tuple[str, ...] = (), prefix: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = namespaces + ((p.namespace,) if p.namespace else ())
            yield from walk(p.url_patterns, inner, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            callback = f"{p.lookup_str}"
            # Django names an unnamed route by its view's dotted path, under its namespaces.
            view_name = ":".join((*namespaces, p.name or callback))
            yield Route(view_name, bool(p.name), namespaces, prefix + str(p.pattern), callback)


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


def _is_staticfiles(route: Route) -> bool:
    return route.callback.startswith("django.contrib.staticfiles.")


def test_the_walk_sees_pages_admin_and_api():
    """The enumeration reaches into every include, so the checks below cover everything."""
    names = {r.view_name for r in all_routes()}
    assert {"web:home", "registry:estate_detail", "admin:index"} <= names
    assert {"api-1.0.0:estate_list", "api-1.0.0:openapi-json", "api-1.0.0:openapi-view"} <= names


def test_every_named_url_is_declared_in_the_policy():
    """A named URL missing from URL_POLICY (or a declared namespace) fails here, not in use."""
    undeclared = sorted(
        f"{r.view_name} ({r.pattern})"
        for r in all_routes()
        if r.named and policy_for(r.view_name) is None
    )
    assert undeclared == [], "declare these in xiaoqu.core.policy.URL_POLICY: " + ", ".join(
        undeclared
    )


def test_no_unnamed_url_outside_a_governed_namespace():
    """Unnamed routes cannot be declared, so only static files and admin/API internals may be unnamed."""
    offending = sorted(
        f"{r.pattern} -> {r.callback}"
        for r in all_routes()
        if not r.named
        and not _is_staticfiles(r)
        and not (r.namespaces and r.namespaces[0] in NAMESPACE_POLICY)
    )
    assert offending == [], "give these URL patterns a name and declare them: " + ", ".join(
        offending
    )


def test_every_declaration_names_a_real_url():
    """URL_POLICY holds no stale entries for URLs that no longer exist."""
    names = {r.view_name for r in all_routes() if r.named}
    stale = sorted(set(URL_POLICY) - names)
    assert stale == []


def test_every_declared_namespace_exists():
    """Each namespace in NAMESPACE_POLICY is mounted somewhere."""
    mounted = {r.namespaces[0] for r in all_routes() if r.namespaces}
    assert set(NAMESPACE_POLICY) <= mounted


def test_api_docs_and_schema_fall_under_the_api_policy():
    """The OpenAPI schema and docs page are governed by the API namespace."""
    assert policy_for("api-1.0.0:openapi-json") == "api"
    assert policy_for("api-1.0.0:openapi-view") == "api"


# --- the middleware ----------------------------------------------------------------------


def _ok(request):
    return HttpResponse("ok")


urlpatterns = [
    path("undeclared/", _ok, name="undeclared_page"),
    path("unnamed/", _ok),
]


@override_settings(ROOT_URLCONF=__name__)
def test_middleware_refuses_an_undeclared_url():
    """A URL nobody declared never reaches its view."""
    with pytest.raises(ImproperlyConfigured, match="undeclared_page"):
        Client().get("/undeclared/")


@override_settings(ROOT_URLCONF=__name__)
def test_middleware_refuses_an_unnamed_url():
    """An unnamed URL outside a governed namespace is refused too."""
    with pytest.raises(ImproperlyConfigured):
        Client().get("/unnamed/")


@override_settings(ROOT_URLCONF=__name__)
def test_undeclared_url_is_a_server_error_not_a_page():
    """Seen from outside, an undeclared URL is a 500, never the view's content."""
    response = Client(raise_request_exception=False).get("/undeclared/")
    assert response.status_code == 500
    assert b"ok" not in response.content


@pytest.mark.django_db
def test_middleware_sends_anonymous_visitors_to_login():
    """An AUTHENTICATED page redirects an anonymous visitor to the login page with next=."""
    response = Client().get("/registry/home/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_middleware_hides_pages_behind_a_missing_permission_as_404():
    """A logged-in user without the named permission gets 404, not 403."""
    client = Client()
    client.force_login(make_user())
    assert client.get("/registry/estates/").status_code == 404


@pytest.mark.django_db
def test_public_urls_need_no_login():
    """The login page is public."""
    assert Client().get("/accounts/login/").status_code == 200
