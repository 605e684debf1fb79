"""Parsing one cell of the register; each parser returns the value or raises ``Bad``.

Plain Python with no database access: the importer calls these about ten million times for a
province, so they are kept small.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from xiaoqu.core.pii import (
    id_check_digit,
    id_number_is_valid,
    normalize_id_number,
    normalize_phone,
)


class Bad(Exception):
    """A cell's value is wrong; the argument is the Chinese message."""


_Q = {n: Decimal(1).scaleb(-n) for n in range(0, 9)}
PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
PHONE_LENGTH = 11
# Six places is about ten centimetres; more is noise from a conversion.
COORDINATE_PLACES = 6
_DIGITS_RE = re.compile(r"^[0-9]+$")


def text(value: str, limit: int) -> str:
    if len(value) > limit:
        raise Bad(_("不能超过%(n)d个字符") % {"n": limit})
    return value


def integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        pass
    # "6.0" comes from spreadsheets that store every number as a float.
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Bad(_("必须是整数，而不是“%(v)s”") % {"v": value}) from None
    if number.is_finite() and number == number.to_integral_value():
        return int(number)
    raise Bad(_("必须是整数，而不是“%(v)s”") % {"v": value})


def decimal(value: str, places: int, max_digits: int, *, positive: bool = True) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Bad(_("必须是数字，而不是“%(v)s”") % {"v": value}) from None
    if not number.is_finite():
        raise Bad(_("必须是数字，而不是“%(v)s”") % {"v": value})
    if positive and number <= 0:
        raise Bad(_("必须大于0"))
    try:
        # Exact unless the number has more places: then it changes ("52.900" does not).
        rounded = number.quantize(_Q[places])
    except InvalidOperation:
        # More digits than a decimal holds (28): far too large for any field.
        raise Bad(_("数值过大")) from None
    if rounded != number:
        raise Bad(_("最多%(n)d位小数") % {"n": places})
    if rounded.adjusted() >= max_digits - places:
        raise Bad(_("数值过大"))
    return rounded


def coordinate(value: str, limit: int, places: int = COORDINATE_PLACES) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Bad(_("必须是数字，而不是“%(v)s”") % {"v": value}) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise Bad(_("必须在-%(n)d到%(n)d之间") % {"n": limit})
    return number.quantize(_Q[places])


def word(value: str, words: dict[str, str]) -> str:
    found = words.get(value)
    if found is None:
        found = words.get(value.lower())
        if found is None:
            raise Bad(
                _("“%(v)s”不是有效的值，应为：%(choices)s")
                % {"v": value, "choices": "、".join(k for k in words if not k.isascii())}
            )
    return found


def boolean(value: str, words: dict[str, bool]) -> bool:
    found = words.get(value.lower())
    if found is None:
        raise Bad(_("应为“是”或“否”，而不是“%(v)s”") % {"v": value})
    return found


def phone(value: str) -> str:
    number = normalize_phone(value)
    if not PHONE_RE.match(number):
        raise Bad(_("“%(v)s”不是有效的手机号（应为1开头的11位数字）") % {"v": value})
    return number


_ID18_RE = re.compile(r"^[0-9]{17}[0-9X]$")


def id_number(value: str) -> str:
    number = value.upper() if " " not in value else normalize_id_number(value)
    # The common case checked inline (same rule as xiaoqu.core.pii.id_number_is_valid).
    if _ID18_RE.match(number):
        if id_check_digit(number[:17]) == number[17]:
            return number
    elif id_number_is_valid(number):
        return number
    raise Bad(_("证件号码无效（应为18位且校验位正确，或15位数字）"))


def digits(value: str) -> str:
    if not _DIGITS_RE.match(value):
        raise Bad(_("应为数字代码，而不是“%(v)s”") % {"v": value})
    return value


def date(value: str) -> dt.date:
    cleaned = value.replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(cleaned)
    except ValueError:
        pass
    parts = cleaned.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except (ValueError, OverflowError):  # no such day; a number beyond any calendar
            pass
    raise Bad(_("日期格式应为 2020-01-31，而不是“%(v)s”") % {"v": value})
