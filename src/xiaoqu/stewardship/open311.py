"""Open311 GeoReport v2: the rules that need no database (pure; docs/stewardship.md#open311).

* Where a report is: the great-circle distance (haversine, on the sphere of radius
  6,371,008.8 m), a bounding box to pre-select candidates, and the nearest candidate within
  300 m.
* What a service asks: a category's attribute definitions (the GeoReport shape: code,
  datatype, required, values …), checked when an administrator saves them, put in the
  specification's order for output, and the answers a POST sends (``attribute[code]=value``,
  ``attribute[code][]=v1&attribute[code][]=v2``) checked against them.
* Input as the specification writes it: w3 date-times, comma lists, coordinates.
* Public text: telephone and ID numbers inside free text are masked before a description is
  published.

Problems are returned as :class:`Problem` values with a stable code; the Django side turns
them into translated messages.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from xiaoqu.stewardship.sla import SHANGHAI

EARTH_RADIUS_M = 6_371_008.8
NEAR_METRES = 300.0
# Metres in a degree of latitude, rounded down so that a bounding box errs on the large side.
_METRES_PER_DEGREE = 111_000.0

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
STRING_MAX = 200
TEXT_MAX = 2000

K = TypeVar("K")


@dataclass(frozen=True)
class Problem:
    """Something wrong with input, by a stable ``code``; ``attribute`` names the attribute
    concerned, ``value`` the offending value."""

    code: str
    attribute: str = ""
    value: str = ""


# --- where ----------------------------------------------------------------------------------


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two WGS-84 points (degrees)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bbox(lat: float, lon: float, metres: float) -> tuple[float, float, float, float]:
    """(south, north, west, east): a box holding every point within ``metres`` of the point
    (somewhat larger, never smaller)."""
    dlat = metres / _METRES_PER_DEGREE
    cos = max(math.cos(math.radians(min(abs(lat) + dlat, 90.0))), 1e-6)
    dlon = min(metres / (_METRES_PER_DEGREE * cos), 180.0)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def nearest(
    lat: float,
    lon: float,
    candidates: Iterable[tuple[K, float, float]],
    within: float = NEAR_METRES,
) -> tuple[K, float] | None:
    """The candidate ``(key, lat, lon)`` nearest the point and its distance, if any lies within
    ``within`` metres (a tie goes to the first given)."""
    best: tuple[K, float] | None = None
    for key, clat, clon in candidates:
        distance = haversine_m(lat, lon, clat, clon)
        if distance <= within and (best is None or distance < best[1]):
            best = (key, distance)
    return best


def parse_coordinate(text: str, limit: float) -> Decimal | None:
    """A latitude (``limit`` 90) or longitude (180) in decimal degrees, or None when it is not
    a finite number within ±limit."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) > limit:
        return None
    return value


# --- input as the specification writes it -----------------------------------------------------


# "+08:00" sent unencoded in a query string arrives as " 08:00".
_UNENCODED_PLUS = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$"
)


def parse_w3(text: str) -> dt.datetime | None:
    """A w3/ISO 8601 date or date-time (``2010-01-01T00:00:00Z``, ``…+08:00``, ``2010-01-01``),
    aware; one without an offset is taken as Beijing time (and ``… 08:00``, a "+" that was not
    URL-encoded, as ``…+08:00``). None when it is not one."""
    text = _UNENCODED_PLUS.sub(r"\1+\2", (text or "").strip())
    if not text or len(text) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def split_list(text: str) -> list[str]:
    """The items of a comma-delimited parameter, stripped, without empty ones or repeats."""
    return list(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


def parse_ids(text: str, limit: int) -> list[int] | None:
    """Comma-delimited request ids; None when one is not a positive integer or there are more
    than ``limit``."""
    items = split_list(text)
    if len(items) > limit or not all(item.isascii() and item.isdigit() for item in items):
        return None
    ids = [int(item) for item in items]
    return ids if all(0 < i < 2**63 for i in ids) else None


_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]*)\](\[\])?$")


def attribute_answers(fields: Iterable[tuple[str, Sequence[str]]]) -> dict[str, list[str]]:
    """The attribute answers among a form's ``(name, values)``: ``attribute[code]=value`` and,
    for a multivaluelist, ``attribute[code][]=value`` repeated; by code, values in order."""
    answers: dict[str, list[str]] = {}
    for name, values in fields:
        match = _ATTRIBUTE_KEY.match(name)
        if match:
            answers.setdefault(match.group(1), []).extend(values)
    return answers


# --- a service's attributes -------------------------------------------------------------------


def definition_problems(definitions: Any) -> list[Problem]:
    """What is wrong with a category's attribute definitions (empty when they are usable).

    A definition is ``{"code", "datatype", "description"}`` plus, optionally, ``required``
    and ``variable`` (booleans), ``datatype_description``, ``order`` (a positive integer) and,
    for the two list types, ``values``: a non-empty list of ``{"key", "name"}``.
    """
    if not isinstance(definitions, list):
        return [Problem("not_a_list")]
    problems: list[Problem] = []
    codes: set[str] = set()
    orders: set[int] = set()
    for item in definitions:
        if not isinstance(item, dict):
            problems.append(Problem("not_an_object"))
            continue
        problems += _one_definition_problems(item, codes, orders)
    return problems


def _one_definition_problems(
    item: dict[str, Any], codes: set[str], orders: set[int]
) -> list[Problem]:
    code = item.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        return [Problem("code", value=str(code))]
    problems: list[Problem] = []
    if code in codes:
        problems.append(Problem("code_twice", code))
    codes.add(code)
    datatype = item.get("datatype")
    if datatype not in DATATYPES:
        problems.append(Problem("datatype", code, str(datatype)))
    if not isinstance(item.get("description"), str) or not item["description"].strip():
        problems.append(Problem("description", code))
    for flag in ("required", "variable"):
        if flag in item and not isinstance(item[flag], bool):
            problems.append(Problem("flag", code, flag))
    order = item.get("order")
    if order is not None:
        if isinstance(order, bool) or not isinstance(order, int) or order < 1 or order in orders:
            problems.append(Problem("order", code, str(order)))
        else:
            orders.add(order)
    if datatype in LIST_TYPES:
        problems += _values_problems(code, item.get("values"))
    return problems


def _values_problems(code: str, values: Any) -> list[Problem]:
    if not isinstance(values, list) or not values:
        return [Problem("values", code)]
    keys = [v.get("key") if isinstance(v, dict) else None for v in values]
    names = [v.get("name") if isinstance(v, dict) else None for v in values]
    if not all(isinstance(k, str | int) and str(k).strip() for k in keys):
        return [Problem("value_key", code)]
    if not all(isinstance(n, str) and n.strip() for n in names):
        return [Problem("value_name", code)]
    if len({str(k) for k in keys}) != len(keys):
        return [Problem("value_twice", code)]
    return []


def definitions_ordered(definitions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The definitions in the specification's shape and order (by ``order``, then as listed):
    every field present, defaults filled in (variable true, required false, no
    datatype_description, values only for the list types)."""
    shaped = []
    for position, item in enumerate(definitions, start=1):
        datatype = item.get("datatype", "string")
        values = (item.get("values") or []) if datatype in LIST_TYPES else []
        shaped.append(
            {
                "variable": bool(item.get("variable", True)),
                "code": str(item.get("code", "")),
                "datatype": datatype,
                "required": bool(item.get("required", False)),
                "datatype_description": item.get("datatype_description") or None,
                "order": item.get("order") or position,
                "description": item.get("description", ""),
                "values": [{"key": str(v["key"]), "name": v["name"]} for v in values],
            }
        )
    return sorted(shaped, key=lambda d: d["order"])


def answers_clean(
    definitions: Sequence[Mapping[str, Any]], submitted: Mapping[str, Sequence[str]]
) -> tuple[dict[str, str | list[str]], list[Problem]]:
    """The answers to keep (by code: a string, or a list for a multivaluelist) and the problems
    with what was sent: an unknown attribute, a required one missing, two values for a
    single-valued one, a value not among the listed keys, a number or date-time that is not
    one, a string too long. Answers to attributes that only inform (``variable`` false) are
    dropped."""
    shaped = {d["code"]: d for d in definitions_ordered(definitions)}
    problems = [Problem("unknown", code) for code in submitted if code not in shaped]
    answers: dict[str, str | list[str]] = {}
    for code, definition in shaped.items():
        if not definition["variable"]:
            continue
        values = [v.strip() for v in submitted.get(code, ()) if v.strip()]
        if not values:
            if definition["required"]:
                problems.append(Problem("required", code))
            continue
        kept, problem = _answer(definition, values)
        if problem is not None:
            problems.append(problem)
        else:
            answers[code] = kept
    return answers, problems


def _answer(definition: Mapping[str, Any], values: list[str]) -> tuple[Any, Problem | None]:
    code, datatype = definition["code"], definition["datatype"]
    if datatype == "multivaluelist":
        keys = {v["key"] for v in definition["values"]}
        wrong = [v for v in values if v not in keys]
        if wrong:
            return None, Problem("value", code, wrong[0])
        return list(dict.fromkeys(values)), None
    if len(values) > 1:
        return None, Problem("one_value", code)
    value = values[0]
    if datatype == "singlevaluelist":
        if value not in {v["key"] for v in definition["values"]}:
            return None, Problem("value", code, value)
        return value, None
    if datatype == "number":
        return _number(code, value)
    if datatype == "datetime":
        moment = parse_w3(value)
        if moment is None:
            return None, Problem("datetime", code, value)
        return moment.isoformat(), None
    limit = TEXT_MAX if datatype == "text" else STRING_MAX
    if len(value) > limit or (datatype == "string" and ("\n" in value or "\r" in value)):
        return None, Problem("too_long" if len(value) > limit else "line_break", code)
    return value, None


def _number(code: str, value: str) -> tuple[str | None, Problem | None]:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None, Problem("number", code, value)
    if not number.is_finite() or len(value) > 40:
        return None, Problem("number", code, value)
    return str(number), None


# --- public text ----------------------------------------------------------------------------

_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:\d{11}[\dXx]|\d{9})(?![0-9A-Za-z])")
_SEVEN_DIGITS = re.compile(r"\d(?:[\s-]?\d){6}")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)")


def mask_numbers(text: str) -> str:
    """``text`` with mobile numbers shown as 138****1234, ID numbers as their last four behind
    stars, and landline numbers as their last four behind stars."""
    if not _SEVEN_DIGITS.search(text):
        return text  # most descriptions: nothing to mask, one scan instead of three
    text = _ID_NUMBER.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], text)
