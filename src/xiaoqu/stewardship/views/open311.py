"""Open311 GeoReport v2 under ``/open311/v2/`` (docs/stewardship.md#open311): existing 311
clients and a city's 12345 hotline list the services (work-order categories), read a
service's definition, post work orders with their key and follow them.

Plain Django views, each answering ``.json`` or ``.xml`` as the specification writes them
(``stewardship.open311_format``); every other format is a 404 with the error in JSON.
Reads are public (declared ``PUBLIC``) and show nothing of the person behind an order
(``stewardship.open311_selectors``); a POST needs a live key (``xiaoqu open311 key``). The
POST is form-encoded as the specification sends it and carries no session, so these views
alone are exempt from CSRF. Errors are ``[{"code": …, "description": …}]`` /
``<errors><error>…`` with the code as the HTTP status: 403 for a missing, unknown or revoked
key, 404 for an unknown service, request or token, 400 for anything else that cannot be
done; bad input writes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import normalize_phone
from xiaoqu.core.policy import PUBLIC, requires
from xiaoqu.registry.models import Estate
from xiaoqu.stewardship import open311
from xiaoqu.stewardship import open311_format as fmt_
from xiaoqu.stewardship import open311_selectors as selectors
from xiaoqu.stewardship.models import Open311Key, WorkOrderCategory
from xiaoqu.stewardship.services import orders as services

READ = ("GET", "HEAD")
# A list of requests (not one asked for by id) is kept this many seconds per format, language
# and filters in the Django cache (per process, or Redis when configured): outside systems
# poll the same lists over and over, and a list of a few hundred requests costs tens of
# milliseconds to build. A list may lag a change by that much; one request, a token or a
# list by ids is always read fresh.
LIST_CACHE_SECONDS = 5
LIST_FILTERS = ("service_code", "status", "start_date", "end_date")
WINDOW = dt.timedelta(days=selectors.DEFAULT_DAYS)
MEDIA_URL_MAX = 500
NAME_MAX = 64
_PHONE = re.compile(r"^\d{7,15}$")
_CJK = re.compile(r"[\u3400-\u9fff]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Open311Error(Exception):
    """An answer in the specification's error format, with ``status`` as HTTP status and code."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = descriptions


def _respond(text: str, fmt: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, content_type=fmt_.CONTENT_TYPES[fmt], status=status)


def _error(fmt: str, status: int, descriptions: tuple[str, ...]) -> HttpResponse:
    body = fmt_.errors([{"code": status, "description": d} for d in descriptions], fmt)
    return _respond(body, fmt, status)


def endpoint(
    *methods: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """An Open311 view: public, CSRF-exempt, answering in the format of the URL's extension,
    with the methods given; an ``Open311Error`` becomes the error document."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def run(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponseBase:
            if fmt not in fmt_.FORMATS:
                message = _("不支持的格式：.%(format)s（请用 .json 或 .xml）。") % {"format": fmt}
                return _error(fmt_.JSON, 404, (message,))
            if request.method not in methods:
                refused = _error(
                    fmt, 405, (_("不支持 %(method)s 请求。") % {"method": request.method},)
                )
                refused["Allow"] = ", ".join(methods)
                return refused
            try:
                _refuse_nul(kwargs.values(), *(values for _name, values in request.GET.lists()))
                return view(request, fmt, **kwargs)
            except Open311Error as error:
                return _error(fmt, error.status, error.descriptions)

        return csrf_exempt(requires(PUBLIC)(run))

    return decorate


# --- services ---------------------------------------------------------------------------------


@endpoint(*READ)
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET Service List: the active work-order categories."""
    return _respond(fmt_.services(selectors.services(), fmt), fmt)


@endpoint(*READ)
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    """GET Service Definition: a category's attributes."""
    category = _service(service_code)
    attributes = selectors.service_attributes(category)
    return _respond(fmt_.service_definition(category.code, attributes, fmt), fmt)


def _service(code: str) -> WorkOrderCategory:
    category = selectors.active_service(code)
    if category is None:
        raise Open311Error(404, _("没有代码为 %(code)s 的服务。") % {"code": code[:40]})
    return category


# --- requests: reading ------------------------------------------------------------------------


@endpoint(*READ, "POST")
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET Service Requests (filtered, the last 90 days and at most 1000 by default), or POST
    Service Request."""
    if request.method == "POST":
        return _post(request, fmt)
    filters = _filters(request.GET)
    if "ids" in filters:
        # By id — a system following what it posted — always read fresh.
        return _respond(fmt_.requests(selectors.request_rows(**filters), fmt), fmt)
    key = _list_cache_key(fmt, request.GET)
    body = cache.get(key)
    if body is None:
        body = fmt_.requests(selectors.request_rows(**filters), fmt)
        cache.set(key, body, LIST_CACHE_SECONDS)
    return _respond(body, fmt)


def _list_cache_key(fmt: str, query: QueryDict) -> str:
    """The cache key of a list: its format, language and filters as given."""
    given = [(name, query.get(name, "").strip()) for name in LIST_FILTERS]
    digest = hashlib.sha256(repr(given).encode()).hexdigest()[:32]
    return f"open311:requests:{fmt}:{get_language()}:{digest}"


@endpoint(*READ)
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    """GET Service Request: one order, as a list of one."""
    found = None
    if service_request_id.isascii() and service_request_id.isdigit():
        pk = int(service_request_id)
        found = selectors.request_row(pk) if 0 < pk < 2**63 else None
    if found is None:
        raise Open311Error(
            404, _("没有编号为 %(id)s 的服务请求。") % {"id": service_request_id[:40]}
        )
    return _respond(fmt_.requests([found], fmt), fmt)


@endpoint(*READ)
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """GET service_request_id from a token (the token is the order's client key)."""
    found = selectors.token_row(token)
    if found is None:
        raise Open311Error(404, _("没有这个 token：%(token)s。") % {"token": token[:40]})
    return _respond(fmt_.tokens([found], fmt), fmt)


def _filters(query: QueryDict) -> dict[str, Any]:
    """The filters of GET Service Requests: ``service_request_id`` overrides the others; the
    dates default to the last 90 days and may not span more than 90 days."""
    ids_text = query.get("service_request_id", "").strip()
    if ids_text:
        ids = open311.parse_ids(ids_text, selectors.MAX_REQUESTS)
        if ids is None:
            raise Open311Error(
                400, _("service_request_id 应为以逗号分隔的编号（正整数），最多 1000 个。")
            )
        return {"ids": ids}
    statuses = open311.split_list(query.get("status", ""))
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, _("status 只能是 open 或 closed（可用逗号分隔）。"))
    start, end = _window(query.get("start_date", ""), query.get("end_date", ""))
    codes = open311.split_list(query.get("service_code", ""))
    return {"codes": codes, "statuses": statuses, "start": start, "end": end}


def _window(start_text: str, end_text: str) -> tuple[dt.datetime, dt.datetime]:
    start = _date(start_text, "start_date")
    end = _date(end_text, "end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if start > end:
        raise Open311Error(400, _("start_date 晚于 end_date。"))
    if end - start > WINDOW:
        raise Open311Error(400, _("start_date 与 end_date 相隔不能超过 90 天。"))
    return start, end


def _date(text: str, name: str) -> dt.datetime | None:
    if not text.strip():
        return None
    moment = open311.parse_w3(text)
    if moment is None:
        raise Open311Error(
            400,
            _("%(name)s 不是 w3 格式的时间（如 2026-01-01T00:00:00+08:00）：%(value)s")
            % {"name": name, "value": text[:40]},
        )
    return moment


# --- requests: posting ------------------------------------------------------------------------


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST Service Request: a work order from an outside system, with its key."""
    form = _form(request)
    key = _key(form, request)
    code = form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    category = _service(code)
    estate, latitude, longitude = _location(form)
    answers = _answers(category, form)
    media_url = _media_url(form.get("media_url", ""))
    if media_url:
        answers["media_url"] = media_url
    try:
        order = services.order_post_open311(
            key=key,
            estate=estate,
            category=category,
            text=form.get("description", ""),
            latitude=latitude,
            longitude=longitude,
            place=form.get("address_string", ""),
            reporter_name=_name(form.get("first_name", ""), form.get("last_name", "")),
            reporter_phone=_phone(form.get("phone", "")),
            attributes=answers,
        )
    except DomainError as error:
        raise Open311Error(400, error.message) from None
    posted = {
        "service_request_id": order.pk,
        "service_notice": selectors.service_notice(category.hours, category.clock),
        "account_id": None,
    }
    return _respond(fmt_.posted([posted], fmt), fmt)


def _refuse_nul(*groups: Any) -> None:
    """Refuse a parameter holding a NUL character: no database stores one (PostgreSQL
    refuses it even in a query), so it can only be a probe."""
    if any("\x00" in value for group in groups for value in group):
        raise Open311Error(400, _("请求中含有空字符（\\0），无法处理。"))


def _form(request: HttpRequest) -> QueryDict:
    content_type = request.content_type or ""
    if content_type not in FORM_TYPES:
        raise Open311Error(400, _("请以 application/x-www-form-urlencoded 格式提交。"))
    try:
        form = request.POST
    except (RequestDataTooBig, TooManyFieldsSent):
        raise Open311Error(400, _("提交的内容太大了。")) from None
    _refuse_nul(*(values for _name, values in form.lists()))
    return form


def _key(form: QueryDict, request: HttpRequest) -> Open311Key:
    raw = form.get("api_key") or request.GET.get("api_key", "")
    if not raw:
        raise Open311Error(403, _("缺少 api_key。"))
    key = selectors.live_key(raw)
    if key is None:
        raise Open311Error(403, _("api_key 无效或已吊销。"))
    return key


def _location(form: QueryDict) -> tuple[Estate, Decimal | None, Decimal | None]:
    """The estate the report is about, and the posted position (if any): ``address_id`` names
    an estate; ``lat`` + ``long`` must lie within 300 m of an estate (the nearest wins) — or
    of the one ``address_id`` names, when both are sent."""
    lat_text, lon_text = form.get("lat", "").strip(), form.get("long", "").strip()
    address_id = form.get("address_id", "").strip()
    point = _point(lat_text, lon_text) if lat_text or lon_text else None
    if address_id:
        estate = selectors.estate_of_address(address_id)
        if estate is None:
            raise Open311Error(
                400, _("address_id 不是登记的小区编号：%(id)s") % {"id": address_id[:40]}
            )
        if point is not None and not _near(estate, point):
            raise Open311Error(400, _("lat/long 不在 address_id 所指小区 300 米以内。"))
        return estate, *(point or (None, None))
    if point is None:
        raise Open311Error(
            400,
            _(
                "请给出位置：lat 和 long（WGS-84），或 address_id（小区编号）；不支持只给 address_string。"
            ),
        )
    found = selectors.estate_near(*point)
    if found is None:
        raise Open311Error(400, _("这个位置 300 米以内没有登记的小区，无法受理。"))
    return found[0], *point


def _point(lat_text: str, lon_text: str) -> tuple[Decimal, Decimal]:
    if not lat_text or not lon_text:
        raise Open311Error(400, _("lat 和 long 要一起给出。"))
    lat = open311.parse_coordinate(lat_text, 90)
    lon = open311.parse_coordinate(lon_text, 180)
    if lat is None or lon is None:
        raise Open311Error(400, _("lat/long 应为 WGS-84 十进制度数（纬度 ±90，经度 ±180）。"))
    places = Decimal("0.000001")
    return lat.quantize(places), lon.quantize(places)


def _near(estate: Estate, point: tuple[Decimal, Decimal]) -> bool:
    if estate.latitude is None or estate.longitude is None:
        return True
    distance = open311.haversine_m(
        float(point[0]), float(point[1]), float(estate.latitude), float(estate.longitude)
    )
    return distance <= open311.NEAR_METRES


def _answers(category: WorkOrderCategory, form: QueryDict) -> dict[str, Any]:
    submitted = open311.attribute_answers(form.lists())
    answers, problems = open311.answers_clean(category.attributes or [], submitted)
    if problems:
        described = {d["code"]: d["description"] for d in selectors.service_attributes(category)}
        raise Open311Error(400, *[_problem(p, category, described) for p in problems])
    return {"answers": answers} if answers else {}


def _problem(
    problem: open311.Problem, category: WorkOrderCategory, described: dict[str, str]
) -> str:
    words = {
        "unknown": _("服务 %(service)s 没有附加信息 %(code)s。"),
        "required": _("缺少必填的附加信息 %(code)s（%(description)s）。"),
        "one_value": _("附加信息 %(code)s 只能有一个值。"),
        "value": _("附加信息 %(code)s 的值 %(value)s 不在可选项中。"),
        "number": _("附加信息 %(code)s 应为数字。"),
        "datetime": _("附加信息 %(code)s 应为 ISO 8601 日期时间。"),
        "too_long": _("附加信息 %(code)s 太长了。"),
        "line_break": _("附加信息 %(code)s 不能换行。"),
    }
    return words.get(problem.code, _("附加信息 %(code)s 有误。")) % {
        "service": category.code,
        "code": problem.attribute[:40],
        "value": problem.value[:40],
        "description": described.get(problem.attribute, ""),
    }


def _name(first: str, last: str) -> str:
    """The reporter's name: family name first for a Chinese name, else "first last"."""
    first, last = first.strip(), last.strip()
    name = f"{last}{first}" if _CJK.search(first + last) else f"{first} {last}".strip()
    if len(name) > NAME_MAX:
        raise Open311Error(400, _("first_name 和 last_name 太长了，合计最多 64 字。"))
    return name


def _phone(text: str) -> str:
    phone = normalize_phone(text or "")
    if phone and not _PHONE.match(phone):
        raise Open311Error(400, _("phone 应为 7 到 15 位数字的电话号码。"))
    return phone


def _media_url(text: str) -> str:
    url = (text or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = urlsplit("")
    if len(url) > MEDIA_URL_MAX or parts.scheme not in ("http", "https") or not parts.netloc:
        raise Open311Error(400, _("media_url 应为 http 或 https 网址，最多 500 个字符。"))
    return url
