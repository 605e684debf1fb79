"""Open311's pure parts, without a database: distances and the nearest estate, attribute
definitions and answers, input as the specification writes it, masking numbers in public
text, and the JSON and XML documents exactly as GeoReport v2 writes them."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import xmltodict
from hypothesis import given
from hypothesis import strategies as st

from xiaoqu.stewardship import open311
from xiaoqu.stewardship import open311_format as fmt
from xiaoqu.stewardship.sla import SHANGHAI

ELEVATOR = [
    {
        "code": "entrance",
        "datatype": "string",
        "required": True,
        "order": 1,
        "description": "被困电梯在哪栋哪个单元？",
    },
    {
        "code": "people",
        "datatype": "singlevaluelist",
        "required": True,
        "order": 2,
        "description": "有人被困吗？",
        "values": [{"key": "yes", "name": "有人"}, {"key": "no", "name": "无人"}],
    },
]


# --- distances --------------------------------------------------------------------------------


def test_haversine_of_a_known_distance():
    """One degree of latitude on the sphere of radius 6,371,008.8 m is about 111,195 m."""
    assert open311.haversine_m(26.0, 106.7, 27.0, 106.7) == pytest.approx(111_195, abs=1)
    assert open311.haversine_m(26.5, 106.7, 26.5, 106.7) == 0


def test_nearest_takes_the_closest_within_300_metres():
    """Of two estates within 300 m the nearer wins; one 310 m away does not count."""
    lat, lon = 26.58, 106.71
    step = 1 / 111_195  # degrees of latitude per metre
    candidates = [
        ("far", lat + 310 * step, lon),
        ("b", lat + 200 * step, lon),
        ("a", lat - 100 * step, lon),
    ]
    key, distance = open311.nearest(lat, lon, candidates)
    assert key == "a" and distance == pytest.approx(100, abs=0.5)
    assert open311.nearest(lat, lon, [candidates[0]]) is None


@given(
    lat=st.floats(min_value=-80, max_value=80),
    lon=st.floats(min_value=-179, max_value=179),
    bearing=st.floats(min_value=0, max_value=6.283),
    metres=st.floats(min_value=0, max_value=300),
)
def test_the_bounding_box_holds_every_point_within_the_distance(lat, lon, bearing, metres):
    """A point at most 300 m away always lies inside the box used to pre-select estates."""
    import math

    d = metres / open311.EARTH_RADIUS_M
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    south, north, west, east = open311.bbox(lat, lon, 300)
    assert south <= math.degrees(p2) <= north
    assert west <= math.degrees(l2) <= east


def test_coordinates_must_be_finite_degrees_in_range():
    """Latitude within ±90, longitude within ±180, numbers only."""
    assert open311.parse_coordinate("26.58", 90) == Decimal("26.58")
    assert open311.parse_coordinate("-180", 180) == Decimal("-180")
    for bad in ("", "abc", "91", "NaN", "Infinity", "1e400"):
        assert open311.parse_coordinate(bad, 90) is None


# --- input as the specification writes it -----------------------------------------------------


def test_w3_datetimes_with_and_without_offsets():
    """Z and offsets are kept; a time without one, or a bare date, is Beijing time."""
    assert open311.parse_w3("2010-01-01T00:00:00Z") == dt.datetime(2010, 1, 1, tzinfo=dt.UTC)
    assert open311.parse_w3("2026-10-08T17:00:00+08:00") == dt.datetime(
        2026, 10, 8, 17, tzinfo=SHANGHAI
    )
    assert open311.parse_w3("2026-10-08") == dt.datetime(2026, 10, 8, tzinfo=SHANGHAI)
    for bad in ("", "yesterday", "2026-13-01", "2026-10-08T25:00"):
        assert open311.parse_w3(bad) is None


def test_comma_lists_and_ids():
    """Comma lists are stripped and deduplicated; ids are positive integers, up to a limit."""
    assert open311.split_list(" open, closed,,open ") == ["open", "closed"]
    assert open311.parse_ids("3, 1,3", 10) == [3, 1]
    assert open311.parse_ids("1,x", 10) is None
    assert open311.parse_ids("0", 10) is None
    assert open311.parse_ids("1,2,3", 2) is None
    assert open311.parse_ids("１", 10) is None  # a full-width digit is not one


def test_attribute_answers_from_form_fields():
    """attribute[code]=v and attribute[code][]=v1&…=v2 are read; other fields are not."""
    fields = [
        ("attribute[entrance]", ["2单元"]),
        ("attribute[kinds][]", ["a", "b"]),
        ("attribute[]", ["x"]),
        ("description", ["坏了"]),
    ]
    assert open311.attribute_answers(fields) == {
        "entrance": ["2单元"],
        "kinds": ["a", "b"],
        "": ["x"],
    }


# --- attributes -------------------------------------------------------------------------------


def test_usable_definitions_have_no_problems():
    """The elevator's definitions are well formed."""
    assert open311.definition_problems(ELEVATOR) == []


@pytest.mark.parametrize(
    ("definitions", "code"),
    [
        ({"code": "x"}, "not_a_list"),
        (["x"], "not_an_object"),
        ([{"code": "a b", "datatype": "string", "description": "q"}], "code"),
        ([{"code": "a", "datatype": "colour", "description": "q"}], "datatype"),
        ([{"code": "a", "datatype": "string", "description": ""}], "description"),
        ([{"code": "a", "datatype": "string", "description": "q", "required": "yes"}], "flag"),
        ([{"code": "a", "datatype": "string", "description": "q", "order": 0}], "order"),
        ([{"code": "a", "datatype": "singlevaluelist", "description": "q"}], "values"),
        (
            [
                {"code": "a", "datatype": "string", "description": "q"},
                {"code": "a", "datatype": "string", "description": "q"},
            ],
            "code_twice",
        ),
        (
            [
                {
                    "code": "a",
                    "datatype": "multivaluelist",
                    "description": "q",
                    "values": [{"key": "1", "name": "x"}, {"key": 1, "name": "y"}],
                }
            ],
            "value_twice",
        ),
    ],
)
def test_definition_problems_are_named(definitions, code):
    """Each kind of mistake in a category's attributes is reported with its code."""
    assert code in [p.code for p in open311.definition_problems(definitions)]


def test_definitions_come_out_complete_and_in_order():
    """Every field of the specification, defaults filled in, sorted by order."""
    shaped = open311.definitions_ordered(list(reversed(ELEVATOR)))
    assert [d["code"] for d in shaped] == ["entrance", "people"]
    assert list(shaped[0]) == list(fmt.ATTRIBUTE_FIELDS)
    assert shaped[0]["variable"] is True and shaped[0]["datatype_description"] is None
    assert shaped[0]["values"] == []
    assert shaped[1]["values"] == [{"key": "yes", "name": "有人"}, {"key": "no", "name": "无人"}]


def test_good_answers_are_kept():
    """Answers matching the definitions come back cleaned, with no problem."""
    answers, problems = open311.answers_clean(
        ELEVATOR, {"entrance": [" 3栋2单元 "], "people": ["yes"]}
    )
    assert problems == []
    assert answers == {"entrance": "3栋2单元", "people": "yes"}


@pytest.mark.parametrize(
    ("submitted", "code"),
    [
        ({"people": ["yes"]}, "required"),
        ({"entrance": ["   "], "people": ["yes"]}, "required"),
        ({"entrance": ["1"], "people": ["maybe"]}, "value"),
        ({"entrance": ["1"], "people": ["yes", "no"]}, "one_value"),
        ({"entrance": ["1"], "people": ["yes"], "colour": ["red"]}, "unknown"),
        ({"entrance": ["1\n2"], "people": ["yes"]}, "line_break"),
        ({"entrance": ["x" * 201], "people": ["yes"]}, "too_long"),
    ],
)
def test_bad_answers_are_problems(submitted, code):
    """A missing required answer, a value not listed, two values for one, an unknown
    attribute, a line break or too long a string: each is a problem, and nothing is kept
    for it."""
    _answers, problems = open311.answers_clean(ELEVATOR, submitted)
    assert code in [p.code for p in problems]


def test_numbers_datetimes_and_multiple_values():
    """number and datetime answers are checked; a multivaluelist keeps its values once each."""
    definitions = [
        {"code": "n", "datatype": "number", "description": "q"},
        {"code": "t", "datatype": "datetime", "description": "q"},
        {
            "code": "m",
            "datatype": "multivaluelist",
            "description": "q",
            "values": [{"key": "a", "name": "A"}, {"key": "b", "name": "B"}],
        },
        {"code": "info", "datatype": "string", "description": "说明", "variable": False},
    ]
    answers, problems = open311.answers_clean(
        definitions,
        {"n": ["2.50"], "t": ["2026-10-08T17:00:00+08:00"], "m": ["b", "a", "b"], "info": ["x"]},
    )
    assert problems == []
    assert answers == {"n": "2.50", "t": "2026-10-08T17:00:00+08:00", "m": ["b", "a"]}
    _answers, problems = open311.answers_clean(
        definitions, {"n": ["two"], "t": ["tomorrow"], "m": ["c"]}
    )
    assert sorted(p.code for p in problems) == ["datetime", "number", "value"]


# --- public text ------------------------------------------------------------------------------


def test_numbers_in_public_text_are_masked():
    """Mobile numbers show as 138****1234, landlines and ID numbers as their last four."""
    text = "联系电话13812345678或+86 139-1234-5678，座机0851-86851234，身份证52010219800101001X"
    masked = open311.mask_numbers(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "139****5678" in masked
    assert "86851234" not in masked and "1234" in masked
    assert "52010219800101001X" not in masked and "001X" in masked
    assert open311.mask_numbers("3栋2单元 8 楼，2026年10月8日") == "3栋2单元 8 楼，2026年10月8日"


# --- the documents ----------------------------------------------------------------------------

SERVICE = {
    "service_code": "elevator-trapped",
    "service_name": "电梯困人",
    "description": "紧急",
    "metadata": True,
    "type": "realtime",
    "keywords": None,
    "group": "紧急",
}


def test_services_in_json_are_an_array_of_every_field():
    """An array of objects with the seven fields in order; missing values are null."""
    doc = json.loads(fmt.services([SERVICE], fmt.JSON))
    assert doc == [SERVICE]
    assert list(doc[0]) == list(fmt.SERVICE_FIELDS)


def test_services_in_xml_have_the_specifications_elements():
    """<services><service>… with booleans as true/false and empty elements for nothing."""
    text = fmt.services([SERVICE, {**SERVICE, "service_code": "drain", "metadata": False}], fmt.XML)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?><services><service>')
    root = ET.fromstring(text)
    assert root.tag == "services" and [s.tag for s in root] == ["service", "service"]
    first = root[0]
    assert [child.tag for child in first] == list(fmt.SERVICE_FIELDS)
    assert first.findtext("metadata") == "true" and root[1].findtext("metadata") == "false"
    assert first.find("keywords").text is None
    assert fmt.services([], fmt.XML).endswith("<services/>")
    assert fmt.services([], fmt.JSON) == "[]"


def test_a_service_definition_nests_attributes_and_values():
    """One service_definition with attributes/attribute and values/value, as the spec writes."""
    attributes = open311.definitions_ordered(ELEVATOR)
    doc = json.loads(fmt.service_definition("elevator-trapped", attributes, fmt.JSON))
    assert list(doc) == ["service_code", "attributes"]
    assert doc["attributes"][1]["values"] == [
        {"key": "yes", "name": "有人"},
        {"key": "no", "name": "无人"},
    ]
    parsed = xmltodict.parse(fmt.service_definition("elevator-trapped", attributes, fmt.XML))
    definition = parsed["service_definition"]
    assert definition["service_code"] == "elevator-trapped"
    people = definition["attributes"]["attribute"][1]
    assert people["required"] == "true" and people["order"] == "2"
    assert people["values"]["value"][0] == {"key": "yes", "name": "有人"}


def test_requests_carry_datetimes_with_beijing_offset_and_coordinates_as_numbers():
    """Date-times are ISO 8601 with +08:00 to the second; lat/long are JSON numbers."""
    at = dt.datetime(2026, 10, 8, 9, 0, 0, 123, tzinfo=dt.UTC)
    row = {
        "service_request_id": 7,
        "status": "open",
        "requested_datetime": at,
        "lat": Decimal("26.580000"),
        "long": Decimal("106.710000"),
    }
    doc = json.loads(fmt.requests([row], fmt.JSON))
    assert list(doc[0]) == list(fmt.REQUEST_FIELDS)
    assert doc[0]["requested_datetime"] == "2026-10-08T17:00:00+08:00"
    assert doc[0]["lat"] == 26.58 and doc[0]["long"] == 106.71
    assert doc[0]["media_url"] is None
    root = ET.fromstring(fmt.requests([row], fmt.XML))
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert root[0].findtext("requested_datetime") == "2026-10-08T17:00:00+08:00"


def test_posted_tokens_and_errors():
    """POST's answer, a token's answer and errors, in both notations."""
    posted = json.loads(
        fmt.posted([{"service_request_id": 5, "service_notice": "8 小时内"}], fmt.JSON)
    )
    assert posted == [{"service_request_id": 5, "service_notice": "8 小时内", "account_id": None}]
    assert "<account_id/>" in fmt.posted([{"service_request_id": 5}], fmt.XML)
    assert json.loads(fmt.tokens([{"service_request_id": 5, "token": "t"}], fmt.JSON)) == [
        {"service_request_id": 5, "token": "t"}
    ]
    errors = fmt.errors([{"code": 400, "description": "缺少 <lat> & long"}], fmt.XML)
    assert errors.endswith(
        "<errors><error><code>400</code><description>缺少 &lt;lat&gt; &amp; long</description>"
        "</error></errors>"
    )
    assert json.loads(fmt.errors([{"code": 403, "description": "x"}], fmt.JSON)) == [
        {"code": 403, "description": "x"}
    ]


def test_xml_drops_characters_xml_cannot_hold():
    """A control character in a description does not break the XML document."""
    text = fmt.requests([{"service_request_id": 1, "description": "坏了\x00\x07\x1b灯"}], fmt.XML)
    assert ET.fromstring(text)[0].findtext("description") == "坏了灯"
