"""Access-control pages (门禁): an estate's points and devices, residents' credentials, the
event log, the anomalies; and a resident's own credentials and passes (我的门禁).

Staff pages need ``stewardship.view_access`` on the estate; every action
``stewardship.manage_access`` (one URL and form each). A new device's key, and a code or QR
payload the platform generated, are shown once on the page that answers the form — they are
never stored, put in a message or a cookie, or shown again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import AUTHENTICATED, Lookup, object_pk, permitted_or_error, requires
from xiaoqu.registry.models import Entrance, Estate
from xiaoqu.stewardship import access_selectors as selectors
from xiaoqu.stewardship.models import (
    AccessAnomaly,
    AccessCredential,
    AccessDevice,
    AccessPoint,
    AccessPointKind,
    CredentialKind,
)
from xiaoqu.stewardship.rules import MANAGE_ACCESS, VIEW_ACCESS
from xiaoqu.stewardship.services import access as services

ESTATE = Lookup(Estate, "estate_id")
EVENTS_PER_PAGE = 50


@require_GET
@requires(VIEW_ACCESS, find=ESTATE)
def estate_access(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    manages = MANAGE_ACCESS.has(request.user, estate)
    context: dict[str, Any] = {
        "estate": estate,
        "points": selectors.points_of(estate),
        "open_anomalies": selectors.open_anomaly_count(estate),
        "can_manage": manages,
        "retention_days": services.retention().days,
    }
    if manages:
        context |= {
            "credentials": selectors.credentials_of(estate, live=True),
            "revoked": selectors.credentials_of(estate, live=False)[:50],
            "holders": selectors.holders_of(estate),
            "point_kinds": AccessPointKind.choices,
            "credential_kinds": CredentialKind.choices,
            "entrances": Entrance.objects.filter(building__estate=estate).select_related(
                "building"
            ),
        }
    return render(request, "stewardship/access/estate_access.html", context)


def _back(estate: Estate, anchor: str = "") -> HttpResponse:
    response = redirect("stewardship:estate_access", estate_id=estate.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _time(value: str | None, label: str) -> dt.time | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise DomainError(
            _("%(label)s格式不对（应为 时:分）。") % {"label": label}, code="time"
        ) from None


def _shown_once(request: AuthenticatedRequest, estate: Estate, **context: Any) -> HttpResponse:
    response = render(request, "stewardship/access/shown_once.html", {"estate": estate, **context})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@requires(MANAGE_ACCESS, find=ESTATE)
def point_add(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    try:
        entrance = None
        if data.get("entrance"):
            entrance = permitted_or_error(
                request.user,
                MANAGE_ACCESS,
                Entrance.objects.filter(building__estate=estate).select_related("building"),
                data["entrance"],
                _("所选单元不是本小区的。"),
            )
        point = services.point_add(
            estate=estate,
            name=data.get("name", ""),
            kind=data.get("kind", ""),
            entrance=entrance,
            opens_at=_time(data.get("opens_at"), _("开放时间")),
            closes_at=_time(data.get("closes_at"), _("关闭时间")),
            actor=request.user,
        )
        messages.success(request, _("已添加门禁点“%(name)s”。") % {"name": point.name})
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate, "points")


@require_POST
@requires(MANAGE_ACCESS, find=ESTATE)
def device_add(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        point = permitted_or_error(
            request.user,
            MANAGE_ACCESS,
            AccessPoint.objects.filter(estate=estate),
            request.POST.get("point"),
            _("门禁点不存在。"),
        )
        device, key = services.device_add(
            point=point, name=request.POST.get("name", ""), actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back(estate, "points")
    return _shown_once(request, estate, device=device, key=key)


@require_POST
@requires(MANAGE_ACCESS, find=ESTATE)
def device_revoke(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        device = permitted_or_error(
            request.user,
            MANAGE_ACCESS,
            AccessDevice.objects.filter(point__estate=estate),
            request.POST.get("device"),
            _("设备不存在。"),
        )
        services.device_revoke(device=device, actor=request.user)
        messages.success(request, _("已吊销设备“%(name)s”的密钥。") % {"name": device.name})
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate, "points")


def _holder(estate: Estate, value: str) -> selectors.Holder:
    found = next((h for h in selectors.holders_of(estate) if h.value == value), None)
    if found is None:
        raise DomainError(_("请选择本小区的业主或居住人及其房屋。"), code="holder")
    return found


@require_POST
@requires(MANAGE_ACCESS, find=ESTATE)
def credential_issue(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    try:
        holder = _holder(estate, data.get("holder", ""))
        credential, generated = services.credential_issue(
            estate=estate,
            person=holder.person,
            dwelling=holder.dwelling,
            kind=data.get("kind", ""),
            value=data.get("value", ""),
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back(estate, "credentials")
    if generated:
        return _shown_once(request, estate, credential=credential, value=generated)
    messages.success(
        request,
        _("已为 %(name)s 发放%(credential)s。")
        % {"name": holder.person.name, "credential": credential},
    )
    return _back(estate, "credentials")


@require_POST
@requires(MANAGE_ACCESS, find=ESTATE)
def credential_revoke(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        credential = permitted_or_error(
            request.user,
            MANAGE_ACCESS,
            AccessCredential.objects.filter(estate=estate),
            request.POST.get("credential"),
            _("凭证不存在。"),
        )
        services.credential_revoke(
            credential=credential, reason=request.POST.get("reason", ""), actor=request.user
        )
        messages.success(request, _("已注销%(credential)s。") % {"credential": credential})
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate, "credentials")


@require_POST
@requires(MANAGE_ACCESS, find=ESTATE)
def credentials_sweep(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    revoked = services.credentials_sweep(estate=estate, actor=request.user)
    messages.success(request, _("已注销 %(n)d 张迁出人员的凭证。") % {"n": revoked})
    return _back(estate, "credentials")


def _filters(request: AuthenticatedRequest) -> selectors.EventFilters:
    data = request.GET
    point = None
    if data.get("point"):
        try:
            point = object_pk(data["point"])
        except Http404:
            point = None
    day = None
    if data.get("day"):
        try:
            day = dt.date.fromisoformat(data["day"])
        except ValueError:
            day = None
    return selectors.EventFilters(point=point, day=day, anomalies_only=data.get("anomalies") == "1")


@require_GET
@requires(VIEW_ACCESS, find=ESTATE)
def access_events(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The event log, newest first, 50 a page; people named only for those who manage."""
    filters = _filters(request)
    names = MANAGE_ACCESS.has(request.user, estate)
    page = Paginator(selectors.events_of(estate, filters), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "stewardship/access/events.html",
        {
            "estate": estate,
            "page": page,
            "rows": [selectors.event_row(e, names=names) for e in page],
            "filters": filters,
            "points": AccessPoint.objects.filter(estate=estate).order_by("name"),
            "names": names,
            "retention_days": services.retention().days,
        },
    )


@require_GET
@requires(VIEW_ACCESS, find=ESTATE)
def access_anomalies(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    names = MANAGE_ACCESS.has(request.user, estate)
    page = Paginator(
        selectors.anomalies_of(estate, open_only=not show_all), EVENTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "stewardship/access/anomalies.html",
        {
            "estate": estate,
            "page": page,
            "rows": [selectors.anomaly_row(a, names=names) for a in page],
            "show_all": show_all,
            "can_manage": names,
        },
    )


@require_POST
@requires(MANAGE_ACCESS, find=ESTATE)
def anomaly_resolve(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        anomaly = permitted_or_error(
            request.user,
            MANAGE_ACCESS,
            AccessAnomaly.objects.filter(event__point__estate=estate),
            request.POST.get("anomaly"),
            _("异常记录不存在。"),
        )
        services.anomaly_resolve(anomaly=anomaly, actor=request.user)
        messages.success(request, _("已标记为处理完毕。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("stewardship:access_anomalies", estate_id=estate.pk)


@require_GET
@requires(AUTHENTICATED)
def my_access(request: AuthenticatedRequest) -> HttpResponse:
    """我的门禁 — the signed-in resident's credentials and latest passes."""
    return render(
        request,
        "stewardship/access/my_access.html",
        {
            "credentials": selectors.my_credentials(request.user),
            "events": selectors.my_events(request.user),
            "retention_days": services.retention().days,
        },
    )
