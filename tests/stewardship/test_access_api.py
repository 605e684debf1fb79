"""The access-device endpoint, POST /api/v1/access/events, as a device calls it: its key in
X-Device-Key, one event or an array. Unknown and revoked devices, replays stored once, face
data refused, face matches, clock errors, bad JSON and the batch limit."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_person, make_user
from xiaoqu.accounts.models import ApiToken
from xiaoqu.stewardship.models import AccessAnomaly, AccessDevice, AccessEvent
from xiaoqu.stewardship.services import access

pytestmark = pytest.mark.django_db

URL = "/api/v1/access/events"


@pytest.fixture
def estate():
    return make_estate(name="四通街8号院落", buildings=1, floors=1, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community, password=None)


@pytest.fixture
def owner(estate):
    return make_owner(estate.dwellings.order_by("pk").first(), "张三")


@pytest.fixture
def gate(estate, staff):
    return access.point_add(estate=estate, name="大门", kind="gate", actor=staff)


@pytest.fixture
def device_key(gate, staff):
    return access.device_add(point=gate, name="大门读卡器", actor=staff)[1]


@pytest.fixture
def card(estate, owner, staff):
    return access.credential_issue(
        estate=estate,
        person=owner,
        dwelling=estate.dwellings.order_by("pk").first(),
        kind="card",
        value="12345678",
        actor=staff,
    )[0]


def when(seconds_ago: int = 60) -> str:
    return (timezone.now() - dt.timedelta(seconds=seconds_ago)).isoformat()


def event(key="1", **fields) -> dict:
    return {
        "id": key,
        "at": when(),
        "method": "card",
        "credential": "12345678",
        "granted": True,
        **fields,
    }


def post(body, key: str | None, **headers):
    if key is not None:
        headers["HTTP_X_DEVICE_KEY"] = key
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(URL, data=data, content_type="application/json", **headers)


def test_a_device_posts_one_event_and_it_is_stored(device_key, card):
    response = post(event(), device_key)
    assert response.status_code == 200
    assert response.json() == {"stored": ["1"], "duplicates": [], "expired": [], "anomalies": 0}
    stored = AccessEvent.objects.get()
    assert stored.credential == card and stored.person == card.person
    assert AccessDevice.objects.get().last_seen_at is not None


def test_a_replayed_post_is_stored_once(device_key, card):
    """The same events posted again (a device retrying after a lost answer) add nothing."""
    batch = [event("a"), event("b", at=when(30)), event(7, at=when(10))]
    assert post(batch, device_key).json()["stored"] == ["a", "b", "7"]
    again = post(batch + [event("c", at=when(5))], device_key).json()
    assert again["stored"] == ["c"] and again["duplicates"] == ["a", "b", "7"]
    assert AccessEvent.objects.count() == 4


@pytest.mark.parametrize("key", [None, "", "dev_not-a-key-anybody-issued"])
def test_an_unknown_device_is_refused_with_401_and_nothing_is_stored(key, card):
    response = post(event(), key)
    assert response.status_code == 401
    assert response.json()["code"] == "unknown_device"
    assert "X-Device-Key" in response.json()["detail"]
    assert not AccessEvent.objects.exists()


def test_a_revoked_device_is_refused_with_403(device_key, card):
    access.device_revoke(device=AccessDevice.objects.get())
    response = post(event(), device_key)
    assert response.status_code == 403 and response.json()["code"] == "revoked_device"
    assert not AccessEvent.objects.exists()


def test_a_device_of_a_point_switched_off_is_refused(device_key, gate, card):
    gate.active = False
    gate.save()
    response = post(event(), device_key)
    assert response.status_code == 403 and response.json()["code"] == "point_inactive"


def test_a_users_api_token_is_not_a_device_key(staff, card):
    _token, raw = ApiToken.issue(user=staff, name="同步")
    assert post(event(), None, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert post(event(), raw).status_code == 401
    assert not AccessEvent.objects.exists()


JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4).decode()


@pytest.mark.parametrize(
    "extra",
    [
        {"face_image": JPEG},
        {"photo": "https://cam.example/1.jpg"},
        {"template": "abc"},
        {"feature": [0.01] * 128},
        {"embedding": [0.5] * 512},
        {"snapshot": {"data": JPEG}},
        {"note": "data:image/jpeg;base64,/9j/4AAQSkZJRg"},
        {"face": JPEG},
    ],
    ids=lambda extra: next(iter(extra)),
)
def test_face_data_refuses_the_whole_post_and_nothing_is_stored(device_key, owner, extra):
    """PIPL Art. 26 and 28: images, templates, feature vectors or base64 blobs anywhere in a
    post refuse all of it, with the places named."""
    face = {"id": "f", "at": when(), "method": "face", "person_id": owner.pk, "granted": True}
    batch = [event("ok"), {**face, **extra}]
    response = post(batch, device_key)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "biometric_data" and "个人信息保护法" in body["detail"]
    assert body["fields"] and all(f.startswith("[1]") for f in body["fields"])
    assert not AccessEvent.objects.exists()


def test_a_face_match_and_an_unknown_face(device_key, owner):
    batch = [
        {"id": "m", "at": when(30), "method": "face", "person_id": owner.pk, "granted": True},
        {"id": "u", "at": when(20), "method": "face", "face": "unknown", "granted": False},
    ]
    response = post(batch, device_key)
    assert response.status_code == 200 and response.json()["stored"] == ["m", "u"]
    assert AccessEvent.objects.get(event_key="m").person == owner
    assert AccessEvent.objects.get(event_key="u").person is None


def test_a_face_match_of_a_stranger_is_refused(device_key, owner):
    stranger = make_person("外人")
    batch = [{"id": "s", "at": when(), "method": "face", "person_id": stranger.pk, "granted": True}]
    response = post(batch, device_key)
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_person" and response.json()["event"] == "s"
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"method": "face", "credential": None, "person_id": 1, "face": "unknown"},
        {"method": "face", "credential": None},
        {"method": "face", "credential": "1234"},
        {"method": "card", "credential": None},
        {"method": "palm"},
        {"granted": "yes"},
        {"at": "yesterday"},
        {"id": ""},
        {"id": "x" * 65},
        {"extra_field": 1},
    ],
)
def test_malformed_events_are_refused_with_the_fields_named(device_key, card, bad):
    response = post([event("ok"), {**event("bad"), **bad}], device_key)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["fields"][0].startswith("[1]")
    assert not AccessEvent.objects.exists()


def test_a_time_without_offset_is_beijing_time(device_key, card):
    local = timezone.localtime() - dt.timedelta(minutes=10)
    post(event(at=local.replace(tzinfo=None).isoformat()), device_key)
    assert abs(AccessEvent.objects.get().at - local) < dt.timedelta(seconds=1)


def test_an_event_in_the_future_is_refused(device_key, card):
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    response = post([event("ok"), event("late", at=future)], device_key)
    assert response.status_code == 422
    assert response.json()["code"] == "future_time" and response.json()["event"] == "late"
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("body", ["{not json", b"\xff\xfe", ""])
def test_a_body_that_is_not_json_is_refused_with_400(device_key, body):
    response = post(body, device_key)
    assert response.status_code == 400 and response.json()["code"] == "bad_json"


def test_a_json_that_is_not_an_event_is_refused(device_key):
    for body in ('"just text"', "42", "[1, 2]", '{"events": []}', "null"):
        response = post(body, device_key)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid"


def test_a_post_of_more_than_500_events_is_refused(device_key, card):
    batch = [event(str(i), at=when(i + 1)) for i in range(501)]
    response = post(batch, device_key)
    assert response.status_code == 422 and response.json()["code"] == "batch_too_large"
    assert not AccessEvent.objects.exists()
    assert post(batch[:500], device_key).status_code == 200
    assert AccessEvent.objects.count() == 500


def test_anomalies_are_counted_in_the_answer(device_key):
    response = post(event(credential="99998888"), device_key)
    assert response.json()["anomalies"] == 1
    assert AccessAnomaly.objects.get().kind == "unknown"


def test_the_endpoint_answers_only_post(device_key):
    response = Client().get(URL, HTTP_X_DEVICE_KEY=device_key)
    assert response.status_code == 405


def test_the_openapi_schema_documents_the_endpoint_body_and_device_key():
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/access/events"]["post"]
    assert operation["operationId"] == "access_events_ingest"
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    text = json.dumps(body)
    assert "$ref" not in text and "person_id" in text and "unknown" in text
    assert {"DeviceKeyAuth"} == {k for s in operation["security"] for k in s}
    scheme = schema["components"]["securitySchemes"]["DeviceKeyAuth"]
    assert scheme == {"type": "apiKey", "in": "header", "name": "X-Device-Key"}
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
