"""Schemas of the access-device API (``access_api``): what a device posts and what it gets.

A device posts one event object or an array of them. No field may carry biometric data: a
face event is ``{"method": "face", "person_id": N}`` (matched) or ``{"method": "face",
"face": "unknown"}``, never an image or a template (PIPL Art. 26, 28).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr, TypeAdapter, model_validator

from xiaoqu.stewardship.services.access import BATCH_MAX, EVENT_KEY_MAX


class AccessEventIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: StrictStr | StrictInt = Field(
        description="设备自己的事件编号（1–64 个字符或整数）；同一设备重复上传同一编号只存一次"
    )
    at: dt.datetime = Field(description="通行时间，ISO 8601；不带时区按北京时间")
    method: Literal["card", "code", "qr", "face"] = Field(
        description="通行方式：card 刷卡、code 密码、qr 二维码、face 人脸比对"
    )
    credential: StrictStr | None = Field(
        None, min_length=1, max_length=255, description="卡号、密码或二维码内容（card/code/qr）"
    )
    person_id: StrictInt | None = Field(None, description="人脸比对命中的人员编号（face）")
    face: Literal["unknown"] | None = Field(None, description="人脸未识别时为 unknown（face）")
    granted: StrictBool = Field(description="是否放行")

    @model_validator(mode="after")
    def _method_fields(self) -> AccessEventIn:
        if self.method == "face":
            if (self.person_id is None) == (self.face is None):
                raise ValueError("a face event has either person_id or face: unknown")
            if self.credential is not None:
                raise ValueError("a face event has no credential")
        else:
            if self.credential is None:
                raise ValueError("a card, code or qr event needs its credential")
            if self.person_id is not None or self.face is not None:
                raise ValueError("only a face event has person_id or face")
        key = str(self.id)
        if not key or len(key) > EVENT_KEY_MAX:
            raise ValueError("id must be 1-64 characters")
        return self


# What the body may be (for the OpenAPI document), and what it is validated as once a single
# event has been wrapped in a list.
EVENTS = TypeAdapter(AccessEventIn | list[AccessEventIn])
EVENT_LIST = TypeAdapter(list[AccessEventIn])


class IngestOut(Schema):
    stored: list[str] = Field(description="新存下的事件编号")
    duplicates: list[str] = Field(description="已经收到过的事件编号（重复上传，不再存）")
    expired: list[str] = Field(description="早于保留期限、不再存的事件编号")
    anomalies: int = Field(description="标出的异常条数")


class DeviceErrorOut(Schema):
    detail: str = Field(description="给人看的说明")
    code: str = Field(description="稳定的错误代码")
    event: str | None = Field(None, description="出错的事件编号（如有）")
    fields: list[str] | None = Field(None, description="出错的字段位置（如有）")


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """The schema with its local ``$ref``s replaced by their definitions."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def events_body_schema() -> dict[str, Any]:
    """The request body for the OpenAPI document (the endpoint reads the body itself, so it
    can refuse biometric data before anything else)."""
    schema = EVENTS.json_schema()
    inlined = _inline(schema, schema.get("$defs", {}))
    inlined["description"] = (
        f"一条事件，或最多 {BATCH_MAX} 条事件的数组。不得含人脸图像、特征值等生物识别数据。"
    )
    return inlined
