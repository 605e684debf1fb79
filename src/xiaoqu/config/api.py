"""The HTTP API: only this module mounts the apps' routers (see docs/architecture.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from xiaoqu.accounts.api import auth_methods
from xiaoqu.needs.api import router as needs_router
from xiaoqu.registry.api import router as registry_router
from xiaoqu.stewardship.access_api import DeviceRefused
from xiaoqu.stewardship.access_api import router as access_router

api = NinjaAPI(
    title="Xiaoqu API",
    version="1.0.0",
    description=(
        "小区：老旧小区改造与治理平台接口。机器调用请在请求头中携带 "
        "`Authorization: Bearer <令牌>` 或 `X-Api-Token: <令牌>`（令牌用 "
        "`xiaoqu token create` 生成）；页面内调用可使用登录会话。"
        "所有数据按调用者的角色范围过滤，范围外与不存在的对象一律返回 404。"
        "门禁设备上传通行事件（POST /api/v1/access/events）使用设备密钥 `X-Device-Key`。"
    ),
    auth=auth_methods,
    urls_namespace="api-1.0.0",
)
api.add_router("/", registry_router)
api.add_router("/", needs_router)
api.add_router("/", access_router)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One fixed answer: the exception's own text could tell "missing" from "not yours".
    return api.create_response(request, {"detail": _("未找到")}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("需要登录或有效的接口令牌")}, status=exc.status_code
    )


@api.exception_handler(DeviceRefused)
def device_refused(request: HttpRequest, exc: DeviceRefused) -> HttpResponse:
    """An access device without a live key (stewardship.access_api): its code and message."""
    return api.create_response(
        request, {"detail": exc.message, "code": exc.code}, status=exc.status_code
    )


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with ninja's per-field ``detail`` plus one sentence naming the bad fields."""
    fields = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path")]
        name = ".".join(loc) or str(error.get("loc", ["?"])[0])
        if name not in fields:
            fields.append(name)
    message = _("请求参数不正确：%(fields)s") % {"fields": "、".join(fields)}
    return api.create_response(request, {"detail": exc.errors, "message": message}, status=422)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """413 with a message instead of Django's bare 400 page when a body is over the limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    message = _("提交的内容太大（最大 %(mb)d MB）。") % {"mb": limit // (1024 * 1024)}
    return api.create_response(request, {"detail": message, "code": "too_large"}, status=413)
