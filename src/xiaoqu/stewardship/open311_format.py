"""Open311 GeoReport v2 documents, in JSON and XML exactly as the specification writes them
(pure: plain dicts in, text out; docs/stewardship.md#open311).

Every list is an array (JSON) or a root element holding one element per item (XML):
``<services><service>…``, ``<service_requests><request>…``, ``<errors><error>…``; a service
definition is one object (``<service_definition>``) whose ``attributes`` hold ``attribute``
elements, each with ``values`` holding ``value`` elements. Every field of a kind is written,
in the specification's order: a missing value is ``null`` in JSON and an empty element in
XML. Booleans are ``true``/``false``, date-times ISO 8601 with Beijing's offset
(``2026-10-08T17:00:00+08:00``), decimals (coordinates) JSON numbers. XML starts with its
declaration (``encoding="utf-8"``) and drops the characters XML 1.0 cannot hold.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from xiaoqu.stewardship.sla import SHANGHAI

JSON = "json"
XML = "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}

SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
ATTRIBUTE_FIELDS = (
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
)
VALUE_FIELDS = ("key", "name")
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
POSTED_FIELDS = ("service_request_id", "service_notice", "account_id")
TOKEN_FIELDS = ("service_request_id", "token")
ERROR_FIELDS = ("code", "description")

# Nested lists of the service definition: the element each item of them is written as.
_ITEMS = {"attributes": ("attribute", ATTRIBUTE_FIELDS), "values": ("value", VALUE_FIELDS)}
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
# Characters XML 1.0 does not allow (C0 controls but tab, newline, carriage return; surrogates;
# U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def services(items: Iterable[Mapping[str, Any]], fmt: str) -> str:
    """GET Service List: ``<services><service>…`` / an array of services."""
    return _document("services", "service", SERVICE_FIELDS, items, fmt)


def service_definition(service_code: str, attributes: Sequence[Mapping[str, Any]], fmt: str) -> str:
    """GET Service Definition: one ``service_definition`` with its ``attributes``."""
    document = {"service_code": service_code, "attributes": list(attributes)}
    if fmt == JSON:
        return _json(_shaped(document, ("service_code", "attributes")))
    return _XML_DECLARATION + _element(
        "service_definition", _shaped(document, ("service_code", "attributes"))
    )


def requests(items: Iterable[Mapping[str, Any]], fmt: str) -> str:
    """GET Service Requests / GET Service Request: ``<service_requests><request>…``."""
    return _document("service_requests", "request", REQUEST_FIELDS, items, fmt)


def posted(items: Iterable[Mapping[str, Any]], fmt: str) -> str:
    """The answer to POST Service Request: id, notice and account id of each request made."""
    return _document("service_requests", "request", POSTED_FIELDS, items, fmt)


def tokens(items: Iterable[Mapping[str, Any]], fmt: str) -> str:
    """GET service_request_id from a token."""
    return _document("service_requests", "request", TOKEN_FIELDS, items, fmt)


def errors(items: Iterable[Mapping[str, Any]], fmt: str) -> str:
    """Errors: ``[{"code": 400, "description": "…"}]`` / ``<errors><error>…``."""
    return _document("errors", "error", ERROR_FIELDS, items, fmt)


# --- the two notations ------------------------------------------------------------------------


def _document(
    root: str, item: str, fields: Sequence[str], items: Iterable[Mapping[str, Any]], fmt: str
) -> str:
    shaped = [_shaped(one, fields) for one in items]
    if fmt == JSON:
        return _json(shaped)
    body = "".join(_element(item, one) for one in shaped)
    return f"{_XML_DECLARATION}<{root}>{body}</{root}>" if body else f"{_XML_DECLARATION}<{root}/>"


def _shaped(item: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """Every field of the kind, in order; nested lists shaped the same way."""
    shaped: dict[str, Any] = {}
    for name in fields:
        value = item.get(name)
        if name in _ITEMS and value is not None:
            value = [_shaped(inner, _ITEMS[name][1]) for inner in value]
        shaped[name] = value
    return shaped


def _json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=_json_value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _element(tag: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return f"<{tag}/>"
    if isinstance(value, dict):
        inner = "".join(_element(name, v) for name, v in value.items())
    elif isinstance(value, list):
        inner = "".join(_element(_ITEMS[tag][0], v) for v in value)
    else:
        inner = escape(_NOT_XML.sub("", _text(value)))
    return f"<{tag}>{inner}</{tag}>"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    return str(value)


def datetime_text(moment: dt.datetime) -> str:
    """ISO 8601 with Beijing's offset, to the second: ``2026-10-08T17:00:00+08:00``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")
