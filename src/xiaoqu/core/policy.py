"""How pages declare what they need, and how it is enforced (see docs/permissions.md).

Every page view is declared with :func:`requires`: ``PUBLIC``, ``AUTHENTICATED``, or a named
permission, and for a page about one object, how that object is found from the URL
(:class:`Lookup`). The decorator resolves the object once, through the permission's scope,
and answers 404 for a missing object and a forbidden one alike, so ids cannot be probed; the
view receives the object instead of its id. ``PolicyMiddleware`` refuses any URL whose view
carries no declaration (the admin site and the API are governed as whole namespaces).

A permission is any object with a ``name`` and two questions (the :class:`Permission`
protocol): ``has(user, obj=None)`` — does the user hold it for ``obj`` (without an object:
anywhere at all, which decides navigation and list pages) — and ``scoped(user, queryset)`` —
the objects of ``queryset`` the user holds it for. The apps define theirs in ``rules.py``
(the scoped kind lives in ``registry.scope``); models say where their objects sit in the
register with :class:`ScopePath`.

This module imports no app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, get_resolver

from xiaoqu.core.errors import DomainError

PUBLIC = "public"
AUTHENTICATED = "authenticated"
API = "api"
ADMIN_SITE = "admin_site"

# Whole namespaces governed elsewhere: the admin site checks is_staff itself, the API checks
# token or session authentication and scopes every query with the same permissions.
NAMESPACE_POLICY: dict[str, str] = {"admin": ADMIN_SITE, "api-1.0.0": API}

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class ScopePath:
    """Where the objects of a model sit in the register, as ORM paths from the model.

    ``estate``: the path to the object's estate ("" for the Estate model itself);
    ``building``: the path to its building, when it belongs to one (a grid, which covers
    buildings rather than whole estates, then reaches only the objects of its buildings);
    ``dwelling``: the path to its dwelling, when a resident of that dwelling counts as its
    own; ``region``: for objects placed at a region instead of an estate ("" for the Region
    model itself); ``many``: the estate path crosses a to-many relation (a campaign spans
    several estates), so filters select distinct objects.
    """

    estate: str | None = None
    building: str | None = None
    dwelling: str | None = None
    region: str | None = None
    many: bool = False

    def join(self, path: str, field_name: str) -> str:
        return f"{path}__{field_name}" if path else field_name


def scope_path_of(model: type[Model]) -> ScopePath:
    path = getattr(model, "scope_path", None)
    if not isinstance(path, ScopePath):
        raise ImproperlyConfigured(f"{model.__name__} declares no scope_path")
    return path


@runtime_checkable
class Permission(Protocol):
    @property
    def name(self) -> str: ...

    def has(self, user: Any, obj: Any = None) -> bool: ...

    def scoped(self, user: Any, queryset: QuerySet[M]) -> QuerySet[M]: ...


# Every permission the apps define, by name: the policy listing (docs/permissions.md) reads it.
PERMISSIONS: dict[str, Permission] = {}


def register_permission(permission: Permission) -> None:
    if permission.name in PERMISSIONS:
        raise ImproperlyConfigured(f"permission {permission.name!r} is defined twice")
    PERMISSIONS[permission.name] = permission


def object_pk(value: Any) -> int:
    """A primary key from a URL or form value; anything else is a 404 like a missing id."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if pk <= 0 or pk > 2**63 - 1:
        raise Http404
    return pk


def object_pks(values: Iterable[Any], message: str, code: str | None = None) -> list[int]:
    """The primary keys posted in a form (its ticked boxes), each once, in order; a value that
    is not one (no number, "²", out of range) is bad input and gets ``message`` (and ``code``),
    as a missing id does in ``permitted_or_error``."""
    try:
        pks = [object_pk(value) for value in values]
    except Http404:
        raise DomainError(message, code=code) from None
    return list(dict.fromkeys(pks))


def find_permitted(user: Any, permission: Permission, queryset: QuerySet[M], pk: Any) -> M:
    """The object ``pk`` of ``queryset`` if the user holds ``permission`` for it, else 404.

    One query answers both questions, so "missing" and "not yours" cannot be told apart.
    """
    found = permission.scoped(user, queryset).filter(pk=object_pk(pk)).first()
    if found is None:
        raise Http404
    return found


def permitted_or_error(
    user: Any,
    permission: Permission,
    queryset: QuerySet[M],
    pk: Any,
    message: str,
    code: str | None = None,
) -> M:
    """The object ``pk`` of ``queryset`` the user holds ``permission`` for, like
    ``find_permitted``, for an id posted in a form: a missing or forbidden id (or no number at
    all) is bad input and gets ``message`` (and ``code``), the same for both, so ids cannot be
    probed."""
    try:
        return find_permitted(user, permission, queryset, pk)
    except Http404:
        raise DomainError(message, code=code) from None


@dataclass(frozen=True)
class Lookup:
    """How a page finds its object: the model (or a function giving the queryset to look in),
    the URL keyword that holds its id, the name under which the view receives it (default:
    the keyword without ``_id``), and related objects to fetch with it."""

    model: type[Model] | Callable[[], QuerySet[Any]]
    kwarg: str
    arg: str = ""
    select_related: tuple[str, ...] = field(default=())

    def queryset(self) -> QuerySet[Any]:
        if isinstance(self.model, type):
            qs: QuerySet[Any] = cast(Any, self.model)._default_manager.all()
        else:
            qs = self.model()
        return qs.select_related(*self.select_related) if self.select_related else qs

    @property
    def receives(self) -> str:
        return self.arg or self.kwarg.removesuffix("_id")


@dataclass(frozen=True)
class Declaration:
    """What a view was declared to need (read by the middleware and the policy listing)."""

    rule: str | Permission
    lookup: Lookup | None = None

    @property
    def rule_name(self) -> str:
        return self.rule if isinstance(self.rule, str) else self.rule.name


def requires(
    rule: str | Permission, *, find: Lookup | None = None
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Declare and enforce what a page needs.

    ``rule`` is ``PUBLIC``, ``AUTHENTICATED`` or a permission. Anonymous visitors of a
    non-public page are sent to the login page; a user without the permission anywhere gets
    404; with ``find``, the object is looked up through the permission's scope (404 when
    missing or forbidden) and passed to the view under ``find.receives`` in place of its id.
    """
    if isinstance(rule, str) and rule not in (PUBLIC, AUTHENTICATED):
        raise ImproperlyConfigured(
            f"requires() takes PUBLIC, AUTHENTICATED or a permission: {rule}"
        )
    if find is not None and isinstance(rule, str):
        raise ImproperlyConfigured("an object lookup needs a permission to scope it")
    declaration = Declaration(rule, find)

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if rule == PUBLIC:
                return view(request, *args, **kwargs)
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if isinstance(rule, str):
                return view(request, *args, **kwargs)
            if not rule.has(user):
                raise Http404
            if find is not None:
                pk = kwargs.pop(find.kwarg)
                kwargs[find.receives] = find_permitted(user, rule, find.queryset(), pk)
            return view(request, *args, **kwargs)

        checked.xiaoqu_declaration = declaration  # type: ignore[attr-defined]
        return checked

    return decorate


def declaration_of(view: Any) -> Declaration | None:
    found = getattr(view, "xiaoqu_declaration", None)
    return found if isinstance(found, Declaration) else None


# --- the policy of every URL, read from the declarations ------------------------------------


def _walk(patterns: list[Any], namespaces: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = namespaces + ((p.namespace,) if p.namespace else ())
            yield from _walk(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            yield ":".join((*namespaces, p.name)), p.callback


class _UrlPolicy(Mapping[str, str]):
    """``{view name: rule name}`` for every declared page of the URL configuration."""

    def _table(self) -> dict[str, str]:
        table = {}
        for name, callback in _walk(get_resolver().url_patterns, ()):
            declaration = declaration_of(callback)
            if declaration is not None:
                table[name] = declaration.rule_name
        return table

    def __getitem__(self, key: str) -> str:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


URL_POLICY: Mapping[str, str] = _UrlPolicy()


def policy_for(view_name: str) -> str | None:
    """The rule of a named URL: its view's declaration or its namespace's policy."""
    table = URL_POLICY
    if view_name in table:
        return table[view_name]
    namespace = view_name.split(":", 1)[0] if ":" in view_name else ""
    return NAMESPACE_POLICY.get(namespace)


class PolicyMiddleware:
    """Refuses every URL whose view declares nothing (outside the governed namespaces)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or declaration_of(view_func) is not None:
            return None
        if match.namespaces and match.namespaces[0] in NAMESPACE_POLICY:
            return None
        if _is_static(request):
            return None
        raise ImproperlyConfigured(
            f"URL {match.view_name!r} is not declared: decorate its view with requires()"
        )


def redirect_to_login(next_url: str) -> HttpResponse:
    # Imported here: the auth views module needs the app registry, and models import this one.
    from django.contrib.auth.views import redirect_to_login as redirect

    return redirect(next_url)


def _is_static(request: HttpRequest) -> bool:
    return bool(settings.STATIC_URL) and request.path.startswith(str(settings.STATIC_URL))
