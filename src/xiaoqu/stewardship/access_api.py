"""The access-device endpoint: ``POST /api/v1/access/events``.

A reader at a gate posts what happened there with its own key in the ``X-Device-Key``
header (``xiaoqu access device`` or the estate's access page makes one; only its digest is
stored). It is the only endpoint a device reaches, and the device's key reaches nothing
else; a user's API token is not a device key. Answers:

* 401 ``unknown_device`` — no key, or a key nobody issued; 403 ``revoked_device`` — a revoked
  key; 403 ``point_inactive`` — the device's point was switched off. Nothing is stored.
* 400 ``bad_json`` — the body is not JSON.
* 422 ``biometric_data`` — a field looks like biometric data (a face image, template or
  feature vector, a long base64 blob; ``watch.biometric_fields``): the whole post is refused
  and nothing is stored (PIPL Art. 26, 28).
* 422 ``invalid`` (with ``fields``) — a field is missing, unknown or of the wrong kind;
  422 with the service's code — ``future_time``, ``unknown_person``, ``batch_too_large``…
  naming the event. Nothing is stored.
* 200 ``{"stored", "duplicates", "expired", "anomalies"}`` — the new events stored, the
  replays that were already there, those older than the retention period (not stored), and
  how many anomalies were flagged. Posting the same events again stores nothing new.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import HttpError
from ninja.security import APIKeyHeader
from pydantic import ValidationError as PydanticValidationError

from xiaoqu.stewardship import watch
from xiaoqu.stewardship.access_schemas import (
    EVENT_LIST,
    AccessEventIn,
    DeviceErrorOut,
    IngestOut,
    events_body_schema,
)
from xiaoqu.stewardship.models import AccessDevice
from xiaoqu.stewardship.services import access as services

router = Router(tags=["access"])


class DeviceRefused(HttpError):
    """A device the endpoint does not accept (config/api.py answers it as JSON)."""

    def __init__(self, status_code: int, message: str, code: str) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.message = message


class DeviceKeyAuth(APIKeyHeader):
    """``X-Device-Key: dev_…``: a live device whose point is in use."""

    param_name = "X-Device-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> AccessDevice:
        device = services.device_for_key(key or "")
        if device is None:
            raise DeviceRefused(
                401,
                _("设备密钥无效：请在请求头 X-Device-Key 中提供已登记设备的密钥。"),
                "unknown_device",
            )
        if device.revoked_at is not None:
            raise DeviceRefused(403, _("设备密钥已吊销。"), "revoked_device")
        if not device.point.active:
            raise DeviceRefused(403, _("设备所在的门禁点已停用。"), "point_inactive")
        return device


def _error(code: str, detail: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    return 422, {"detail": detail, "code": code, **extra}


def _error_fields(exc: PydanticValidationError) -> list[str]:
    """Where the errors are, as ``[0].granted`` (``[0]`` for the event as a whole)."""
    fields: list[str] = []
    for error in exc.errors():
        name = ""
        for part in error.get("loc", ()):
            name += f"[{part}]" if isinstance(part, int) else f".{part}"
        name = name or "$"
        if name not in fields:
            fields.append(name)
    return fields


def _event_in(item: AccessEventIn) -> services.EventIn:
    at = item.at if timezone.is_aware(item.at) else timezone.make_aware(item.at)
    return services.EventIn(
        key=str(item.id),
        at=at,
        method=item.method,
        granted=item.granted,
        credential=item.credential or "",
        person_id=item.person_id,
    )


@router.post(
    "/access/events",
    auth=DeviceKeyAuth(),
    response={
        200: IngestOut,
        400: DeviceErrorOut,
        401: DeviceErrorOut,
        403: DeviceErrorOut,
        422: DeviceErrorOut,
    },
    operation_id="access_events_ingest",
    url_name="access_events_ingest",
    summary="门禁设备上传通行事件",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": events_body_schema()}},
        }
    },
)
def access_events_ingest(request: HttpRequest) -> Any:
    """门禁设备用自己的密钥（请求头 `X-Device-Key`）上传一条或多条通行事件。同一设备的同一事件
    编号只存一次；含人脸图像、特征值等生物识别数据的请求整批拒收（422 biometric_data）。"""
    device: AccessDevice = request.auth  # type: ignore[attr-defined]
    try:
        payload = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return 400, {"detail": _("请求体不是有效的 JSON。"), "code": "bad_json"}
    biometric = watch.biometric_fields(payload)
    if biometric:
        return _error(
            "biometric_data",
            _(
                "请求含疑似生物识别数据（人脸图像、特征值等），整批拒收：平台不接收也不存储"
                "人脸信息（个人信息保护法第二十六、二十八条），人脸事件只报“匹配人员编号”或“unknown”。"
            ),
            fields=biometric,
        )
    if isinstance(payload, dict):
        payload = [payload]
    if isinstance(payload, list) and len(payload) > services.BATCH_MAX:
        return _error(
            "batch_too_large", _("一次最多上传 %(n)d 条事件。") % {"n": services.BATCH_MAX}
        )
    try:
        items = EVENT_LIST.validate_python(payload)
    except PydanticValidationError as exc:
        fields = _error_fields(exc)
        return _error(
            "invalid",
            _("事件格式不正确：%(fields)s") % {"fields": "、".join(fields)},
            fields=fields,
        )
    try:
        result = services.events_ingest(device=device, events=[_event_in(i) for i in items])
    except services.IngestError as error:
        return _error(error.code, error.message, event=error.event)
    return 200, {
        "stored": result.stored,
        "duplicates": result.duplicates,
        "expired": result.expired,
        "anomalies": result.anomalies,
    }
