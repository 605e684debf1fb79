"""Open311 GeoReport v2 under /open311/v2/, through Django's test client: services and their
definitions, posting work orders with a key (location, region, attributes, the reporter),
reading them back in JSON and XML, every error in both formats with nothing written, what
public reads never show, the events a post writes, and `xiaoqu open311 key`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from io import StringIO
from urllib.parse import urlencode

import pytest
import xmltodict
from django.core.cache import cache
from django.core.management import CommandError, base, call_command
from django.utils import timezone

from tests.factories import make_estate, make_person, make_user, make_work_order, region_chain
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Residency
from xiaoqu.stewardship import open311_selectors
from xiaoqu.stewardship.management.commands.open311 import Command as Open311Command
from xiaoqu.stewardship.models import (
    Notice,
    Open311Key,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderEvent,
)
from xiaoqu.stewardship.services import orders
from xiaoqu.stewardship.services.open311 import open311_key_create, open311_key_revoke

pytestmark = pytest.mark.django_db

ROOT = "/open311/v2"
# 碧波水岸小区 (石阡县泉都街道大关社区) and an estate in 贵阳市云岩区, with WGS-84 positions.
BIBO = (26.5218, 108.2337)
GUIYANG = (26.5836, 106.7132)
METRE = 1 / 111_195  # degrees of latitude in a metre


@pytest.fixture(autouse=True)
def fresh_lists():
    """Lists of requests are cached a few seconds per process: each test starts without."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    orders.categories_ensure()
    shiqian = region_chain(("贵州省", "铜仁市", "石阡县", "泉都街道", "大关社区"))
    guiyang = region_chain(("贵州省", "贵阳市", "云岩区", "盐务街街道", "金仓社区"))
    for region, code in ((shiqian[2], "520623"), (guiyang[2], "520103")):
        region.code = code
        region.save()
    bibo = make_estate(shiqian[-1], name="碧波水岸小区", buildings=2)
    bibo.latitude, bibo.longitude = BIBO
    bibo.save()
    jincang = make_estate(guiyang[-1], name="金仓小区")
    jincang.latitude, jincang.longitude = GUIYANG
    jincang.save()
    manager = make_user("property_manager", estate=bibo, password=None)
    hotline, raw = open311_key_create(name="石阡12345热线", region=shiqian[2])
    anywhere, raw_anywhere = open311_key_create(name="随手拍")
    return {
        "bibo": bibo,
        "jincang": jincang,
        "manager": manager,
        "key": hotline,
        "raw": raw,
        "raw_anywhere": raw_anywhere,
        "shiqian": shiqian,
    }


def post(client, world, fmt="json", **fields):
    data = {
        "api_key": world["raw"],
        "service_code": "stair-light",
        "lat": str(BIBO[0] + 50 * METRE),
        "long": str(BIBO[1]),
        "description": "2单元3楼楼道灯不亮",
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{ROOT}/requests.{fmt}", data)


def parse(response, fmt: str):
    if fmt == "json":
        return response.json()
    return xmltodict.parse(response.content)


def counts() -> tuple[int, int, int, int]:
    return (
        WorkOrder.objects.count(),
        WorkOrderEvent.objects.count(),
        Notice.objects.count(),
        AuditLog.objects.filter(action="stewardship.order_report").count(),
    )


# --- services ---------------------------------------------------------------------------------


def test_services_list_the_active_categories_in_json(client, world):
    """GET services.json: an array of every active category with the spec's fields; an
    inactive category is not offered; the elevator asks for more (metadata true)."""
    WorkOrderCategory.objects.filter(code="greenery").update(active=False)
    response = client.get(f"{ROOT}/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = {s["service_code"]: s for s in response.json()}
    assert "greenery" not in services and "stair-light" in services
    assert list(services["stair-light"]) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert services["stair-light"]["service_name"] == "楼道灯不亮"
    assert services["stair-light"]["metadata"] is False
    assert services["stair-light"]["type"] == "realtime"
    assert services["elevator-trapped"]["metadata"] is True


def test_services_in_xml(client, world):
    """GET services.xml: <services><service>… as text/xml with the XML declaration."""
    response = client.get(f"{ROOT}/services.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?><services>')
    services = xmltodict.parse(response.content)["services"]["service"]
    elevator = next(s for s in services if s["service_code"] == "elevator-trapped")
    assert elevator["metadata"] == "true" and elevator["service_name"] == "电梯困人"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_definition_lists_its_attributes(client, world, fmt):
    """GET services/elevator-trapped: which entrance (required string), and whether someone
    is trapped (a required single-value list with its keys and names)."""
    response = client.get(f"{ROOT}/services/elevator-trapped.{fmt}")
    assert response.status_code == 200
    doc = parse(response, fmt)
    if fmt == "json":
        assert doc["service_code"] == "elevator-trapped"
        entrance, people = doc["attributes"]
        assert entrance["required"] is True and entrance["datatype"] == "string"
        assert people["values"][0] == {"key": "yes", "name": "有人被困"}
    else:
        definition = doc["service_definition"]
        entrance, people = definition["attributes"]["attribute"]
        assert entrance["required"] == "true" and entrance["order"] == "1"
        assert people["datatype"] == "singlevaluelist"
        assert people["values"]["value"][0] == {"key": "yes", "name": "有人被困"}


def test_a_service_without_attributes_has_an_empty_definition(client, world):
    """A category that asks for nothing more has an empty attributes list."""
    doc = client.get(f"{ROOT}/services/stair-light.json").json()
    assert doc == {"service_code": "stair-light", "attributes": []}
    assert b"<attributes/>" in client.get(f"{ROOT}/services/stair-light.xml").content


# --- posting ----------------------------------------------------------------------------------


def test_a_post_at_a_position_makes_a_work_order_of_the_nearest_estate(client, world):
    """lat/long 50 m from 碧波水岸小区: an order of that estate through Open311, attributable
    to the key, with the reporter's name and phone (to call back) and the position kept."""
    response = post(
        client,
        world,
        first_name="明",
        last_name="王",
        phone="138-0000-1234",
        email="wang@example.com",
        media_url="https://example.com/light.jpg",
        address_string="2单元门口",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body[0]) == ["service_request_id", "service_notice", "account_id"]
    assert body[0]["account_id"] is None and "8 个工作小时" in body[0]["service_notice"]
    order = WorkOrder.objects.get(pk=body[0]["service_request_id"])
    assert (order.estate, order.channel, order.open311_key) == (
        world["bibo"],
        "open311",
        world["key"],
    )
    assert order.category.code == "stair-light" and order.text == "2单元3楼楼道灯不亮"
    assert (order.reporter_name, order.reporter_phone, order.contact_ok) == (
        "王明",
        "13800001234",
        True,
    )
    assert order.reporter is None and order.place == "2单元门口"
    assert float(order.latitude) == pytest.approx(BIBO[0] + 50 * METRE, abs=1e-6)
    assert order.attributes == {"media_url": "https://example.com/light.jpg"}
    assert order.party == "manager" and order.due_at > order.created_at
    assert "wang@example.com" not in json.dumps(list(WorkOrder.objects.values()), default=str)


def test_a_post_writes_the_same_events_notices_and_audit_as_a_hotline_call(client, world):
    """The "submitted" event, the notice to the managing body and the audit row: the same as
    for an order staff enter from a hotline call (the actor is empty: no person acts)."""
    body = post(client, world).json()
    posted = WorkOrder.objects.get(pk=body[0]["service_request_id"])
    staff = make_user("community_staff", region=world["shiqian"][-1], password=None)
    called = orders.order_record(
        actor=staff,
        estate=world["bibo"],
        category=posted.category,
        channel="hotline",
        text="楼道灯不亮",
    )

    def trail(order):
        events = [(e.kind, e.from_status, e.to_status, e.party) for e in order.events.all()]
        notices = sorted(order.notices.values_list("user_id", flat=True))
        audit = AuditLog.objects.get(object_type="stewardship.workorder", object_id=str(order.pk))
        return events, notices, audit.action

    assert trail(posted) == trail(called)
    assert trail(posted)[1] == [world["manager"].pk]
    assert posted.events.get().actor is None
    audit = AuditLog.objects.get(object_type="stewardship.workorder", object_id=str(posted.pk))
    assert audit.actor is None and audit.after["open311_key"] == world["key"].pk


def test_a_post_by_address_id_and_in_xml(client, world):
    """address_id = the estate's id; the answer in XML is <service_requests><request>…."""
    response = post(client, world, fmt="xml", lat=None, long=None, address_id=world["bibo"].pk)
    assert response.status_code == 200, response.content
    request = xmltodict.parse(response.content)["service_requests"]["request"]
    order = WorkOrder.objects.get(pk=int(request["service_request_id"]))
    assert order.estate == world["bibo"] and order.latitude is None
    assert request["account_id"] is None


def test_a_post_with_attributes_keeps_the_answers(client, world):
    """The elevator's attributes, as attribute[code]=value, are stored with the order and
    shown to staff on the order page as question and answer."""
    response = post(
        client,
        world,
        service_code="elevator-trapped",
        description=None,
        **{"attribute[entrance]": "1栋2单元", "attribute[people]": "yes"},
    )
    assert response.status_code == 200, response.content
    order = WorkOrder.objects.get()
    assert order.attributes == {"answers": {"entrance": "1栋2单元", "people": "yes"}}
    assert order.text == "电梯困人"  # no description: the service's name
    assert order.due_at - order.created_at == dt.timedelta(hours=1)
    extra = open311_selectors.order_extra(order)
    assert extra["system"] == "石阡12345热线"
    assert ("轿厢里有人被困吗？", "有人被困") in extra["answers"]


def test_staff_see_the_source_the_answers_and_the_phone_to_call_back(client, world):
    """On the staff's order page: which system posted it, the attributes as question and
    answer, the picture link, and the phone in full (sent to be called back)."""
    post(
        client,
        world,
        service_code="elevator-trapped",
        phone="13800001234",
        media_url="https://example.com/e.jpg",
        **{"attribute[entrance]": "1栋2单元", "attribute[people]": "yes"},
    )
    order = WorkOrder.objects.get()
    client.force_login(world["manager"])
    html = client.get(f"/stewardship/orders/{order.pk}/").content.decode()
    assert "石阡12345热线" in html and "轿厢里有人被困吗？" in html and "有人被困" in html
    assert "https://example.com/e.jpg" in html and "13800001234" in html


def test_a_key_without_a_region_posts_anywhere(client, world):
    """A key made without --region reaches every estate."""
    response = post(
        client,
        world,
        api_key=world["raw_anywhere"],
        lat=str(GUIYANG[0]),
        long=str(GUIYANG[1]),
    )
    assert response.status_code == 200, response.content
    assert WorkOrder.objects.get().estate == world["jincang"]


ERRORS = [
    # (what, fields, HTTP status, words in the description)
    ("missing key", {"api_key": None}, 403, "api_key"),
    ("unknown key", {"api_key": "o311_nope"}, 403, "api_key"),
    ("missing service", {"service_code": None}, 400, "service_code"),
    ("unknown service", {"service_code": "potholes"}, 404, "potholes"),
    ("no location", {"lat": None, "long": None}, 400, "address_id"),
    (
        "address string only",
        {"lat": None, "long": None, "address_string": "四通街8号"},
        400,
        "address_string",
    ),
    ("outside every estate", {"lat": str(BIBO[0] + 310 * METRE)}, 400, "300"),
    ("lat without long", {"long": None}, 400, "lat"),
    ("lat out of range", {"lat": "95"}, 400, "WGS-84"),
    ("lat not a number", {"lat": "北纬26度"}, 400, "WGS-84"),
    ("unknown address_id", {"lat": None, "long": None, "address_id": "999999"}, 400, "address_id"),
    ("position away from address_id", {"address_id": "__jincang__"}, 400, "300"),
    ("outside the key's region", {"lat": str(GUIYANG[0]), "long": str(GUIYANG[1])}, 400, "石阡县"),
    (
        "missing required attribute",
        {"service_code": "elevator-trapped", "attribute[people]": "yes"},
        400,
        "entrance",
    ),
    (
        "bad attribute value",
        {
            "service_code": "elevator-trapped",
            "attribute[entrance]": "1",
            "attribute[people]": "maybe",
        },
        400,
        "maybe",
    ),
    ("unknown attribute", {"attribute[colour]": "red"}, 400, "colour"),
    ("description too long", {"description": "灯" * 4001}, 400, "4000"),
    ("bad phone", {"phone": "call me"}, 400, "phone"),
    ("bad media_url", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ("name too long", {"first_name": "名" * 40, "last_name": "姓" * 30}, 400, "first_name"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("what", "fields", "status", "words"), ERRORS, ids=[e[0] for e in ERRORS])
def test_a_bad_post_is_refused_and_writes_nothing(client, world, fmt, what, fields, status, words):
    """Each bad post gets the spec's error document with its HTTP status as code, a clear
    description, and nothing is written."""
    if fields.get("address_id") == "__jincang__":
        fields = {**fields, "address_id": str(world["jincang"].pk)}
    before = counts()
    response = post(client, world, fmt=fmt, **fields)
    assert response.status_code == status, response.content
    assert counts() == before
    if fmt == "json":
        errors = response.json()
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert errors[0]["code"] == status
        assert any(words in e["description"] for e in errors), errors
    else:
        error = xmltodict.parse(response.content)["errors"]["error"]
        errors = error if isinstance(error, list) else [error]
        assert errors[0]["code"] == str(status)
        assert any(words in e["description"] for e in errors), errors


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_revoked_key_is_refused(client, world, fmt):
    """Once revoked, a key posts nothing (403)."""
    open311_key_revoke(key=world["key"])
    response = post(client, world, fmt=fmt)
    assert response.status_code == 403
    assert "吊销" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_two_attribute_problems_are_two_errors(client, world):
    """The error array lists every problem with the attributes."""
    response = post(client, world, service_code="elevator-trapped")
    assert response.status_code == 400
    assert len(response.json()) == 2


def test_a_post_must_be_form_encoded(client, world):
    """A JSON body is not what the spec sends: 400, nothing written."""
    response = client.post(
        f"{ROOT}/requests.json",
        json.dumps({"api_key": world["raw"], "service_code": "stair-light"}),
        content_type="application/json",
    )
    assert (
        response.status_code == 400 and "x-www-form-urlencoded" in response.json()[0]["description"]
    )
    assert not WorkOrder.objects.exists()


def test_posts_need_no_csrf_token(world):
    """An outside system has no session or CSRF cookie: the POST still works."""
    from django.test import Client

    response = post(Client(enforce_csrf_checks=True), world)
    assert response.status_code == 200


# --- reading ----------------------------------------------------------------------------------


def posted(client, world, **fields) -> WorkOrder:
    body = post(client, world, **fields).json()
    return WorkOrder.objects.get(pk=body[0]["service_request_id"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_posted_request_reads_back(client, world, fmt):
    """GET requests/{id}: every field of the spec, open, the estate as address, the
    deadline as expected_datetime, times with +08:00."""
    order = posted(client, world, media_url="https://example.com/a.jpg")
    response = client.get(f"{ROOT}/requests/{order.pk}.{fmt}")
    assert response.status_code == 200
    doc = parse(response, fmt)
    request = doc[0] if fmt == "json" else doc["service_requests"]["request"]
    assert str(request["service_request_id"]) == str(order.pk)
    assert request["status"] == "open" and request["status_notes"] == "已提交"
    assert request["service_code"] == "stair-light" and request["service_name"] == "楼道灯不亮"
    assert request["description"] == "2单元3楼楼道灯不亮"
    assert request["address"] == "石阡县泉都街道大关社区碧波水岸小区"
    assert str(request["address_id"]) == str(world["bibo"].pk)
    assert request["agency_responsible"] == "物业执行"
    assert request["requested_datetime"].endswith("+08:00")
    assert request["expected_datetime"].endswith("+08:00")
    assert request["media_url"] == "https://example.com/a.jpg"
    assert float(request["lat"]) == pytest.approx(float(order.latitude))
    if fmt == "json":
        assert list(request)[:3] == ["service_request_id", "status", "status_notes"]
        assert request["zipcode"] is None


def test_public_reads_never_show_name_phone_or_email(client, world):
    """Posted with a name, phone and email, and a resident's order at their flat: neither
    the list nor the single request shows the name, the phone, the email, the flat or the
    resident's phone position; a phone number typed in the description is masked."""
    order = posted(
        client,
        world,
        first_name="明",
        last_name="王",
        phone="13800001234",
        email="wang@example.com",
        description="灯坏了，电话13800001234",
    )
    person = make_person("居民乙", phone="13911112222")
    dwelling = world["bibo"].dwellings.order_by("pk").last()
    Residency.objects.create(person=person, dwelling=dwelling, relation="owner")
    resident = make_user(person=person, password=None)
    home, _created = orders.order_report(
        reporter=resident,
        estate=world["bibo"],
        category=WorkOrderCategory.objects.get(code="drain"),
        text="厨房下水道堵了",
        dwelling=dwelling,
        latitude=BIBO[0] + 0.0001234,
        longitude=BIBO[1],
        contact_ok=True,
    )
    pages = [client.get(f"{ROOT}/requests.{fmt}").content.decode() for fmt in ("json", "xml")] + [
        client.get(f"{ROOT}/requests/{pk}.{fmt}").content.decode()
        for pk in (order.pk, home.pk)
        for fmt in ("json", "xml")
    ]
    for text in pages:
        for secret in (
            "王明",
            "13800001234",
            "wang@example.com",
            resident.name,
            "13911112222",
            dwelling.label,
            "0001234",
        ):
            assert secret not in text, (secret, text[:300])
    listed = {r["service_request_id"]: r for r in client.get(f"{ROOT}/requests.json").json()}
    assert listed[order.pk]["description"] == "灯坏了，电话138****1234"
    assert listed[home.pk]["address"].endswith("碧波水岸小区2栋")
    assert listed[home.pk]["lat"] == pytest.approx(BIBO[0])  # the estate's, not the phone's


def test_status_and_notes_follow_the_orders_life(client, world):
    """Open for every open state (escalation noted); closed when resolved (with the result),
    confirmed, rejected (with the reason) or merged (naming the order it joined)."""
    manager = world["manager"]
    target = posted(client, world)
    duplicate = posted(client, world)
    refused = posted(client, world)
    resolved = posted(client, world)
    escalated = posted(client, world)
    orders.order_merge(order=duplicate, target=target, actor=manager)
    orders.order_reject(order=refused, actor=manager, reason="不属于物业维修范围")
    orders.order_accept(order=resolved, actor=manager)
    orders.order_resolve(order=resolved, actor=manager, note="已更换灯泡")
    WorkOrder.objects.filter(pk=escalated.pk).update(party="community", escalations=1)
    rows = {r["service_request_id"]: r for r in client.get(f"{ROOT}/requests.json").json()}
    assert rows[target.pk]["status"] == "open"
    assert rows[duplicate.pk]["status"] == "closed"
    assert str(target.pk) in rows[duplicate.pk]["status_notes"]
    assert rows[refused.pk]["status"] == "closed"
    assert rows[refused.pk]["status_notes"] == "不予受理：不属于物业维修范围"
    assert rows[resolved.pk]["status"] == "closed"
    assert rows[resolved.pk]["status_notes"] == "已处理：已更换灯泡"
    assert rows[resolved.pk]["expected_datetime"] is None
    assert rows[resolved.pk]["updated_datetime"] >= rows[resolved.pk]["requested_datetime"]
    assert "社区落实" in rows[escalated.pk]["status_notes"]
    assert rows[escalated.pk]["agency_responsible"] == "社区落实"


def test_the_list_filters_by_id_code_status_and_dates(client, world):
    """service_request_id (overriding the rest), service_code, status and the date window,
    each as the spec defines them; newest first."""
    light = posted(client, world)
    drain = posted(client, world, service_code="drain")
    manager = world["manager"]
    orders.order_reject(order=light, actor=manager, reason="重复")
    old = make_work_order(world["bibo"], created_at=timezone.now() - dt.timedelta(days=120))

    def ids(query: str) -> list[int]:
        response = client.get(f"{ROOT}/requests.json?{query}")
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids("") == [drain.pk, light.pk]  # the last 90 days, newest first
    assert ids("service_code=drain") == [drain.pk]
    assert ids("service_code=drain,stair-light&status=closed") == [light.pk]
    assert ids("status=open") == [drain.pk]
    assert ids("status=open,closed") == [drain.pk, light.pk]
    assert ids(f"service_request_id={old.pk},{light.pk}&status=open") == [light.pk, old.pk]
    start = (timezone.now() - dt.timedelta(days=150)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    end = (timezone.now() - dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert ids(urlencode({"start_date": start, "end_date": end})) == [old.pk]
    assert ids(urlencode({"start_date": start})) == [old.pk]  # 90 days from the start
    # A "+" left unencoded in the query arrives as a space: still read as the offset.
    assert ids(f"start_date={start}") == [old.pk]
    assert ids("service_code=potholes") == []


def test_the_list_holds_at_most_the_maximum(client, world, monkeypatch):
    """At most 1000 requests (here the limit lowered to 2): the newest."""
    monkeypatch.setattr(open311_selectors, "MAX_REQUESTS", 2)
    made = [posted(client, world) for _ in range(3)]
    got = [r["service_request_id"] for r in client.get(f"{ROOT}/requests.json").json()]
    assert got == [made[2].pk, made[1].pk]


def test_lists_are_cached_briefly_and_reads_by_id_are_fresh(client, world):
    """The same list asked again within LIST_CACHE_SECONDS is the same answer; a request read
    by its id (alone or in a list of ids) is always fresh."""
    order = posted(client, world)
    first = client.get(f"{ROOT}/requests.json?status=open").json()
    orders.order_reject(order=order, actor=world["manager"], reason="重复")
    assert client.get(f"{ROOT}/requests.json?status=open").json() == first
    assert client.get(f"{ROOT}/requests/{order.pk}.json").json()[0]["status"] == "closed"
    by_id = client.get(f"{ROOT}/requests.json?service_request_id={order.pk}").json()
    assert by_id[0]["status"] == "closed"
    cache.clear()
    assert client.get(f"{ROOT}/requests.json?status=open").json() == []


READ_ERRORS = [
    ("unknown request", "requests/999999", 404),
    ("request id not a number", "requests/abc", 404),
    ("unknown token", "tokens/00000000-0000-0000-0000-000000000000", 404),
    ("token not a uuid", "tokens/abc", 404),
    ("unknown service", "services/potholes", 404),
    ("bad start date", "requests?start_date=yesterday", 400),
    ("bad end date", "requests?end_date=2026-13-40", 400),
    ("start after end", "requests?start_date=2026-05-01&end_date=2026-04-01", 400),
    ("more than 90 days", "requests?start_date=2026-01-01&end_date=2026-06-01", 400),
    ("bad status", "requests?status=pending", 400),
    ("bad ids", "requests?service_request_id=1,x", 400),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("what", "path", "status"), READ_ERRORS, ids=[e[0] for e in READ_ERRORS])
def test_bad_reads_get_the_error_document(client, world, fmt, what, path, status):
    """Unknown ids, tokens and services are 404; bad dates, statuses and ids are 400 — in
    the spec's error format of the requested notation."""
    base, _, query = path.partition("?")
    response = client.get(f"{ROOT}/{base}.{fmt}" + (f"?{query}" if query else ""))
    assert response.status_code == status, response.content
    if fmt == "json":
        assert response.json()[0]["code"] == status
    else:
        assert xmltodict.parse(response.content)["errors"]["error"]["code"] == str(status)


def test_an_unknown_format_is_a_404_in_json(client, world):
    """Only .json and .xml exist: anything else is 404, the error written in JSON."""
    response = client.get(f"{ROOT}/services.csv")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404 and ".csv" in response.json()[0]["description"]


def test_other_methods_are_refused(client, world):
    """Only GET (and POST on requests) exist."""
    response = client.post(f"{ROOT}/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    assert client.delete(f"{ROOT}/requests.xml").status_code == 405


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_gives_the_request_id(client, world, fmt):
    """tokens/{token}: the order's client key gives its id."""
    order = posted(client, world)
    response = client.get(f"{ROOT}/tokens/{order.client_key}.{fmt}")
    assert response.status_code == 200
    doc = parse(response, fmt)
    found = doc[0] if fmt == "json" else doc["service_requests"]["request"]
    assert str(found["service_request_id"]) == str(order.pk)
    assert found["token"] == str(order.client_key)


# --- the command ------------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("open311", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_key_is_the_last_line_and_only_its_digest_is_stored(world):
    """`xiaoqu open311 key --name N --region CODE`: the key is the last line of stdout; the
    database holds its SHA-256 digest, never the key; the key works at once."""
    out, _err = run("key", "--name", "铜仁12345", "--region", "520623")
    raw = out.strip().splitlines()[-1]
    key = Open311Key.objects.get(name="铜仁12345")
    assert key.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert key.region == world["shiqian"][2]
    stored = json.dumps(list(Open311Key.objects.values()), default=str)
    assert raw not in stored
    assert open311_selectors.live_key(raw) == key
    assert "不会再次显示" in out


def test_a_key_without_region_reaches_everywhere(world):
    """Without --region the key has no region."""
    out, _err = run("key", "--name", "随手拍App")
    assert Open311Key.objects.get(name="随手拍App").region is None
    assert open311_selectors.live_key(out.strip().splitlines()[-1]) is not None


def test_an_unknown_region_exits_2_with_a_message_on_stderr(world, capsys, monkeypatch):
    """An unknown region code: exit code 2, the message on stderr, no key made."""
    before = Open311Key.objects.count()
    with pytest.raises(CommandError) as raised:
        run("key", "--name", "x", "--region", "999999")
    assert raised.value.returncode == 2
    # The command line's own path (what `xiaoqu open311 …` runs), which would otherwise close
    # the test's database connection when it ends.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exited:
        Open311Command().run_from_argv(
            ["xiaoqu", "open311", "key", "--name", "x", "--region", "999999"]
        )
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "999999" in captured.err and captured.out == ""
    assert Open311Key.objects.count() == before


def test_list_and_revoke(world, client):
    """`list` shows the keys without the keys themselves; `revoke` by id stops a key."""
    out, _err = run("list")
    assert "石阡12345热线" in out and world["raw"] not in out
    out, _err = run("revoke", str(world["key"].pk))
    assert "已吊销" in out
    world["key"].refresh_from_db()
    assert world["key"].revoked_at is not None
    assert post(client, world).status_code == 403
    with pytest.raises(CommandError):
        run("revoke", "nosuchkey")


def test_the_admin_revokes_and_shows_no_add(world, client):
    """An administrator lists keys in the admin, cannot add one there, and revokes them."""
    admin_user = make_user("admin", password=None)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    assert client.get("/admin/stewardship/open311key/").status_code == 200
    assert client.get("/admin/stewardship/open311key/add/").status_code == 403
    response = client.post(
        "/admin/stewardship/open311key/",
        {"action": "revoke", "_selected_action": [world["key"].pk]},
    )
    assert response.status_code == 302
    world["key"].refresh_from_db()
    assert world["key"].revoked_at is not None


def test_the_admin_refuses_malformed_attributes(world, client):
    """A category's attributes are checked when an administrator saves them."""
    admin_user = make_user("admin", password=None)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    category = WorkOrderCategory.objects.get(code="drain")
    response = client.post(
        f"/admin/stewardship/workordercategory/{category.pk}/change/",
        {
            "code": "drain",
            "name": "下水道堵塞",
            "hours": "8",
            "description": "",
            "attributes": json.dumps(
                [{"code": "floor", "datatype": "singlevaluelist", "description": "几楼？"}]
            ),
            "active": "on",
        },
    )
    assert response.status_code == 200 and "values" in response.content.decode()
    category.refresh_from_db()
    assert category.attributes == []
