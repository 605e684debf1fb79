"""What every app's API shares: id and page bounds, and the error answers (docs/api.md).

Every integer the API reads is bounded by what the database can hold, so an id or offset
beyond a 64-bit integer (or below 1, for an id) is refused with 422 by validation instead of
reaching the database, where it would raise an overflow error.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator

# The largest value of a primary key and of an offset (PostgreSQL bigint, SQLite INTEGER).
DB_INT_MAX = 2**63 - 1

# A page is never longer than this, whatever the client asks for: a province holds about a
# million dwellings and one request must not try to serialise them all.
PAGE_MAX = 500
PAGE_DEFAULT = 50

Id = Annotated[int, Field(ge=1, le=DB_INT_MAX, description="编号（正整数）")]
"""A primary key in a path, a filter or a body: 1 … 2^63 − 1, anything else is a 422."""


def _storable(value: str) -> str:
    """Refuse text no database stores as it is: a NUL character (PostgreSQL refuses it) or a
    lone surrogate from a ``\\ud800`` escape in JSON (not encodable as UTF-8)."""
    if "\x00" in value:
        raise ValueError(_("文字中含有空字符（\\0），无法保存。"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("文字中含有无效的字符（不成对的代理码位）。")) from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
"""Text from a query or a body: any string the database can store (see ``_storable``)."""


class PageIn(Schema):
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX, description=f"每页条数（1–{PAGE_MAX}）")
    offset: int = Field(0, ge=0, le=DB_INT_MAX, description="跳过的条数（0–2^63−1）")


class ErrorOut(Schema):
    """Every error answer of the API: a sentence for people and a stable code for programs."""

    detail: str = Field(description="给人看的说明")
    code: str = Field(description="稳定的错误代码，如 not_found、bad_json、unauthenticated")


class FieldErrorOut(Schema):
    type: str = Field(description="错误类型（pydantic 的错误代码）")
    loc: list[str | int] = Field(description='出错的位置，如 ["query", "offset"]')
    msg: str = Field(description="说明（英文）")
    ctx: dict[str, Any] | None = Field(None, description='限制的取值，如 {"le": 500}')


class ValidationErrorOut(Schema):
    """422: the request's parameters or body do not fit the schema."""

    detail: list[FieldErrorOut] = Field(description="每个出错字段一条")
    message: str = Field(description="给人看的说明，列出出错的字段")
    code: str = Field(description="固定为 invalid")


# The errors every operation may answer, declared on each one in the OpenAPI schema
# (config/api.py adds them): 401 without a valid token or session, 404 for an object that is
# missing or outside the caller's scope, 422 for parameters that do not fit.
COMMON_ERRORS: dict[int, type[Schema]] = {
    401: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}
# And those of an operation that reads a body: 400 for a body that is not JSON or that the
# service refuses (with the service's code), 413 for one over the size limit.
BODY_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 413: ErrorOut}
