"""The API's error answers (docs/api.md): every integer within the database's range, every
error JSON with a ``code``, every operation declaring its errors in the OpenAPI schema, the
campaign filter scoped, dates held to the opinions import's rule.

The integer and body cases are generated from the OpenAPI schema itself, so an endpoint added
later is covered without a new test.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.db import transaction
from django.test import Client, override_settings

from tests.factories import make_estate, make_needs_world, make_user, region_chain
from xiaoqu.accounts.models import ApiToken
from xiaoqu.config.api import api
from xiaoqu.core.api_schemas import DB_INT_MAX
from xiaoqu.needs.models import heard_on_problem

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema()
OPERATIONS = [
    (method, path, op)
    for path, item in SCHEMA["paths"].items()
    for method, op in item.items()
    if not path.endswith("/access/events")  # a device's endpoint: its own errors, tested there
]
BODY_OPERATIONS = [(m, p, op) for m, p, op in OPERATIONS if m in ("post", "patch", "put")]
INTEGER_PARAMS = [
    (method, path, param["name"], param["in"])
    for method, path, op in OPERATIONS
    for param in op.get("parameters", [])
    if param["schema"].get("type") == "integer"
    or any(s.get("type") == "integer" for s in param["schema"].get("anyOf", []))
]
LISTS = sorted(
    {
        path
        for method, path, op in OPERATIONS
        if method == "get" and any(p["name"] == "offset" for p in op.get("parameters", []))
    }
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        chain_in = region_chain()
        chain_out = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
        estate_in = make_estate(chain_in[-1], name="界内小区")
        estate_out = make_estate(chain_out[-1], name="界外小区")
        admin = make_user("admin", password=None)
        staff = make_user("community_staff", region=chain_in[-1], password=None)
        make_needs_world(estate_in, list(estate_in.dwellings.order_by("pk")[:2]), admin)
        needs_out = make_needs_world(
            estate_out, list(estate_out.dwellings.order_by("pk")[:2]), admin
        )
        yield {
            "estate_in": estate_in,
            "estate_out": estate_out,
            "needs_out": needs_out,
            "admin": ApiToken.issue(user=admin, name="t")[1],
            "staff": ApiToken.issue(user=staff, name="t")[1],
        }
        transaction.set_rollback(True)


def call(token: str | None, method: str, path: str, **kwargs):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return getattr(Client(), method)(path, **kwargs, **headers)


def concrete(path: str, **values) -> str:
    """The path with its ``{…_id}`` parameters filled (1 unless given)."""
    import re

    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["detail"]
    return body


# --- integers within the database's range -----------------------------------------------------


@pytest.mark.parametrize("bad", [2**63, 2**64 + 5, 10**30, 0, -1])
@pytest.mark.parametrize(("method", "path", "name", "where"), INTEGER_PARAMS)
def test_every_integer_parameter_out_of_range_is_a_422(world, method, path, name, where, bad):
    """Ids and offsets beyond a 64-bit integer (or below range) are refused by validation
    with the API's error JSON, never a 500 from the database's overflow."""
    if name == "offset" and bad == 0:
        return  # offset 0 is the first page
    if where == "path":
        body = {"data": "{}", "content_type": "application/json"} if method != "get" else {}
        response = call(world["admin"], method, concrete(path, **{name: bad}), **body)
    else:
        response = call(world["admin"], method, concrete(path), data={name: bad})
    body = assert_error(response, 422, "invalid")
    assert any(error["loc"][-1] == name for error in body["detail"])
    assert name in body["message"]


@pytest.mark.parametrize("path", LISTS)
def test_the_last_possible_offset_is_an_empty_page(world, path):
    response = call(world["admin"], "get", concrete(path), data={"offset": DB_INT_MAX})
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert response.json()["items"] == [] and response.json()["offset"] == DB_INT_MAX


@pytest.mark.parametrize("path", LISTS)
def test_a_huge_page_size_is_a_422(world, path):
    response = call(world["admin"], "get", concrete(path), data={"limit": 10**12})
    assert_error(response, 422, "invalid")


def test_an_id_filter_beyond_the_range_names_the_filter(world):
    for path, name in (
        ("/api/v1/needs/campaigns", "estate_id"),
        ("/api/v1/needs/opinions", "demand_id"),
        ("/api/v1/needs/visits", "campaign_id"),
        ("/api/v1/estates", "region"),
    ):
        body = assert_error(call(world["staff"], "get", path, data={name: 2**63}), 422, "invalid")
        assert body["detail"][0]["loc"] == ["query", name]


# --- error JSON with a code -------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "op"), BODY_OPERATIONS)
def test_an_unparsable_body_is_a_400_with_the_code_bad_json(world, method, path, op):
    response = call(
        world["admin"], method, concrete(path), data=b"{not json", content_type="application/json"
    )
    assert_error(response, 400, "bad_json")


def test_missing_and_unauthenticated_answers_carry_codes(world):
    assert_error(call(world["admin"], "get", "/api/v1/estates/999999"), 404, "not_found")
    assert_error(call(None, "get", "/api/v1/estates"), 401, "unauthenticated")
    assert_error(call("xq_forged", "get", "/api/v1/estates"), 401, "unauthenticated")


def test_text_the_database_cannot_store_is_a_422(world):
    body = assert_error(
        call(world["admin"], "get", "/api/v1/estates", data={"q": "a\x00b"}), 422, "invalid"
    )
    assert body["detail"][0]["loc"] == ["query", "q"]
    response = call(
        world["admin"],
        "post",
        "/api/v1/needs/opinions",
        data=json.dumps({"estate_id": world["estate_in"].pk, "text": "漏水\ud800"}),
        content_type="application/json",
    )
    assert_error(response, 422, "invalid")


@override_settings(DEBUG=False)
def test_an_unexpected_failure_in_production_answers_json_not_the_html_page(world, monkeypatch):
    from xiaoqu.registry import api_selectors

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api_selectors, "estate_list", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/estates", HTTP_AUTHORIZATION=f"Bearer {world['admin']}")
    body = assert_error(response, 500, "server_error")
    assert "boom" not in body["detail"]


# --- the OpenAPI schema declares the errors ---------------------------------------------------


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS)
def test_every_operation_declares_its_error_answers(method, path, op):
    expected = {"401", "404", "422"} | ({"400", "413"} if method in ("post", "patch") else set())
    declared = {str(status) for status in op["responses"]}
    assert expected <= declared
    for status in expected - {"422"}:
        ref = op["responses"][int(status)]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[-1]
        assert {"detail", "code"} <= set(SCHEMA["components"]["schemas"][name]["required"])
    ref = op["responses"][422]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ValidationErrorOut") or path.endswith("/access/events")


def test_the_served_schema_declares_the_errors(client):
    served = client.get("/api/v1/openapi.json").json()
    responses = served["paths"]["/api/v1/needs/opinions"]["post"]["responses"]
    assert {"400", "401", "404", "413", "422"} <= set(responses)
    assert "ValidationErrorOut" in served["components"]["schemas"]


# --- the campaign filter is scoped ------------------------------------------------------------


def test_an_estate_outside_the_scope_filters_campaigns_like_a_missing_one(world):
    """Staff of the in-scope community asking for campaigns of the other district's estate
    get what an estate that does not exist gives: nothing, so the filter cannot tell which
    campaigns span an estate they do not see."""
    out = call(
        world["staff"], "get", "/api/v1/needs/campaigns", data={"estate_id": world["estate_out"].pk}
    )
    missing = call(world["staff"], "get", "/api/v1/needs/campaigns", data={"estate_id": 999_999})
    assert out.status_code == missing.status_code == 200
    assert out.json() == missing.json() == {"count": 0, "limit": 50, "offset": 0, "items": []}
    inside = call(
        world["staff"], "get", "/api/v1/needs/campaigns", data={"estate_id": world["estate_in"].pk}
    )
    assert inside.json()["count"] == 1


def test_a_campaign_spanning_both_estates_is_not_revealed_through_the_outer_estate(world):
    """A campaign over both estates is listed for the in-scope estate, never for the outer."""
    from xiaoqu.needs.models import Campaign

    campaign = Campaign.objects.get(estates=world["estate_in"])
    campaign.estates.add(world["estate_out"])
    try:
        out = call(
            world["staff"],
            "get",
            "/api/v1/needs/campaigns",
            data={"estate_id": world["estate_out"].pk},
        )
        assert out.json()["count"] == 0
        inside = call(
            world["staff"],
            "get",
            "/api/v1/needs/campaigns",
            data={"estate_id": world["estate_in"].pk},
        )
        names = [e["name"] for e in inside.json()["items"][0]["estates"]]
        assert names == ["界内小区"]
    finally:
        campaign.estates.remove(world["estate_out"])


# --- dates held to the import's rule ----------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "1026-03-05", "1989-12-31"])
def test_an_opinion_heard_before_1990_is_refused_as_the_import_refuses_it(world, day):
    response = call(
        world["admin"],
        "post",
        "/api/v1/needs/opinions",
        data=json.dumps(
            {"estate_id": world["estate_in"].pk, "text": "楼道灯坏了", "heard_on": day}
        ),
        content_type="application/json",
    )
    body = assert_error(response, 422, "invalid")
    problem = heard_on_problem(dt.date.fromisoformat(day))
    assert problem and problem in body["detail"][0]["msg"]


def test_an_opinion_heard_in_1990_is_taken(world):
    response = call(
        world["admin"],
        "post",
        "/api/v1/needs/opinions",
        data=json.dumps(
            {"estate_id": world["estate_in"].pk, "text": "楼道灯坏了", "heard_on": "1990-01-01"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["heard_on"] == "1990-01-01"


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00", "1900-05-01T09:00:00+08:00", "9999-12-31T23:00:00-05:00"]
)
def test_a_visit_outside_the_calendar_or_before_1990_is_a_422(world, at):
    dwelling = world["estate_in"].dwellings.order_by("pk").first()
    body = {
        "client_key": str(uuid.uuid4()),
        "dwelling_id": dwelling.pk,
        "visited_at": at,
        "outcome": "not_home",
    }
    response = call(
        world["admin"],
        "post",
        "/api/v1/needs/visits",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert_error(response, 422, "invalid")


def test_the_import_and_the_api_share_one_date_rule():
    today = dt.date(2026, 3, 5)
    assert heard_on_problem(dt.date(1989, 12, 31), today=today)
    assert heard_on_problem(dt.date(2026, 3, 6), today=today)
    assert heard_on_problem(dt.date(1990, 1, 1), today=today) is None
