"""The HTTP API: only this module mounts the apps' routers (see docs/architecture.md).

Every error answer is JSON with a ``code`` (docs/api.md): the handlers below give one to the
errors raised outside the endpoints (validation, an unreadable body, a missing object, no
login), and ``XiaoquAPI`` declares them on every operation of the OpenAPI schema.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from xiaoqu.accounts.api import auth_methods
from xiaoqu.core.api_schemas import BODY_ERRORS, COMMON_ERRORS
from xiaoqu.core.errors import database_unavailable, storage_full
from xiaoqu.needs.api import router as needs_router
from xiaoqu.registry.api import router as registry_router
from xiaoqu.stewardship.access_api import DeviceRefused
from xiaoqu.stewardship.access_api import router as access_router

logger = logging.getLogger("xiaoqu.api")

# Words of an error status when an endpoint raises a bare HttpError (or ninja does).
_STATUS_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}


class XiaoquAPI(NinjaAPI):
    """The API with the errors every operation can answer declared in its OpenAPI schema."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        refs: dict[type, dict[str, str]] = {}
        for model in {*COMMON_ERRORS.values(), *BODY_ERRORS.values()}:
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in found.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components.setdefault(model.__name__, found)
            refs[model] = {"$ref": f"#/components/schemas/{model.__name__}"}
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                errors = dict(COMMON_ERRORS)
                if method in ("post", "put", "patch"):
                    errors.update(BODY_ERRORS)
                responses = operation.setdefault("responses", {})
                for status, model in errors.items():
                    # ninja keys the responses by int: an operation's own declaration stays.
                    if status in responses or str(status) in responses:
                        continue
                    responses[status] = {
                        "description": _ERROR_DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": refs[model]}},
                    }
        return schema


_ERROR_DESCRIPTIONS = {
    400: "请求体不是有效的 JSON，或业务规则拒绝（code 说明原因）",
    401: "需要登录或有效的接口令牌",
    404: "对象不存在或不在调用者的范围内（两者不加区分）",
    413: "请求体超过大小限制",
    422: "参数或请求体不符合接口定义（见 detail）",
}


api = XiaoquAPI(
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
    return api.create_response(request, {"detail": _("未找到"), "code": "not_found"}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("需要登录或有效的接口令牌"), "code": "unauthenticated"},
        status=exc.status_code,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals with a code; the one it raises for a body it cannot parse (its
    text begins "Cannot parse request body") is ``bad_json``, as on the access endpoint."""
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        body = {"detail": _("请求体不是有效的 JSON。"), "code": "bad_json"}
    else:
        code = _STATUS_CODES.get(exc.status_code, "error")
        body = {"detail": str(exc), "code": code}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """An unexpected failure: in production a JSON answer in the API's shape rather than the
    site's HTML error page (the traceback goes to the log); in development the traceback.
    An unreachable database or a full disk goes on to the site's ``handler500``, which answers
    503 or 507 in the API's shape (docs/operations.md, "Faults")."""
    if settings.DEBUG or database_unavailable(exc) or storage_full(exc):
        raise exc
    logger.exception("API %s %s failed", request.method, request.path, exc_info=exc)
    body = {"detail": _("服务器出错了，请稍后再试。"), "code": "server_error"}
    return api.create_response(request, body, status=500)


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
    detail = [_field_error(error) for error in exc.errors]
    return api.create_response(
        request, {"detail": detail, "message": message, "code": "invalid"}, status=422
    )


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    """One of pydantic's errors as JSON can carry it: its ``ctx`` may hold the exception a
    validator raised, which is given as its text."""
    row: dict[str, Any] = {
        "type": str(error.get("type", "")),
        "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
        "msg": str(error.get("msg", "")),
    }
    ctx = error.get("ctx")
    if ctx:
        row["ctx"] = {
            str(key): value if isinstance(value, (int, float, str, bool)) else str(value)
            for key, value in ctx.items()
        }
    return row


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """413 with a message instead of Django's bare 400 page when a body is over the limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    message = _("提交的内容太大（最大 %(mb)d MB）。") % {"mb": limit // (1024 * 1024)}
    return api.create_response(request, {"detail": message, "code": "too_large"}, status=413)
