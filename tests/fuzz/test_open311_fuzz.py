"""Open311 GeoReport v2 under generated input (it is not in the OpenAPI schema, so Hypothesis
drives it directly): query parameters, form bodies, api keys, ids and tokens in the path.

Every answer is no server error, in the format the URL asked for, and every error is the
specification's error document — ``[{"code": status, "description": …}]`` or
``<errors><error><code>status</code><description>…`` — with its code as the HTTP status. A
refused POST writes nothing.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
import xmltodict
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import make_estate, region_chain
from tests.fuzz.budget import FUZZ, seeded
from tests.fuzz.strategies import nasty_text, numberish
from xiaoqu.stewardship.models import WorkOrder, WorkOrderCategory
from xiaoqu.stewardship.services import orders
from xiaoqu.stewardship.services.open311 import open311_key_create

pytestmark = pytest.mark.django_db

ROOT = "/open311/v2"
BIBO = (26.5218, 108.2337)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """An estate with a position, the categories and a live key; rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        orders.categories_ensure()
        chain = region_chain(("贵州省", "铜仁市", "石阡县", "泉都街道", "大关社区"))
        estate = make_estate(chain[-1], name="碧波水岸小区")
        estate.latitude, estate.longitude = BIBO
        estate.save()
        _key, raw = open311_key_create(name="石阡12345热线", region=chain[2])
        codes = list(WorkOrderCategory.objects.values_list("code", flat=True))
        yield {"estate": estate, "raw": raw, "codes": codes}
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def fresh_lists():
    cache.clear()
    yield
    cache.clear()


def assert_georeport(response, fmt: str) -> None:
    """No 500; the answer in the URL's format; an error in the specification's shape."""
    status = response.status_code
    assert status < 500, response.content[:500]
    content_type = response["Content-Type"]
    body = response.content.decode("utf-8")
    if fmt == "xml":
        assert content_type.startswith(("text/xml", "application/xml")), content_type
        document = xmltodict.parse(body)
    else:
        assert content_type.startswith("application/json"), content_type
        document = json.loads(body)
    if status < 400:
        return
    if fmt == "xml":
        errors = document["errors"]["error"]
        errors = errors if isinstance(errors, list) else [errors]
        for error in errors:
            assert int(error["code"]) == status and error["description"]
    else:
        assert isinstance(document, list) and document
        for error in document:
            assert set(error) == {"code", "description"}
            assert error["code"] == status and isinstance(error["description"], str)


fmts = st.sampled_from(["json", "xml"])
w3_dates = st.one_of(
    st.just(""),
    nasty_text(40),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(
        ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "2026-02-30T00:00:00+08:00"]
    ),
)


@FUZZ
@seeded
@given(
    fmt=fmts,
    params=st.fixed_dictionaries(
        {},
        optional={
            "service_request_id": st.one_of(numberish(), nasty_text(60)),
            "service_code": nasty_text(40),
            "status": st.one_of(st.sampled_from(["open", "closed", "open,closed"]), nasty_text()),
            "start_date": w3_dates,
            "end_date": w3_dates,
            "api_key": nasty_text(60),
        },
    ),
)
def test_listing_requests_with_any_parameters_answers_georeport(world, fmt, params):
    response = Client().get(f"{ROOT}/requests.{fmt}", params)
    assert_georeport(response, fmt)


@FUZZ
@seeded
@given(
    fmt=fmts,
    kind=st.sampled_from(["services", "requests", "tokens"]),
    ident=st.one_of(numberish(), nasty_text(80)),
)
def test_reading_one_thing_by_any_id_answers_georeport(world, fmt, kind, ident):
    ident = ident.replace("/", "") or "x"
    response = Client().get(f"{ROOT}/{kind}/{quote(ident, safe='')}.{fmt}")
    if response.status_code == 404 and response["Content-Type"].startswith("text/html"):
        # A path Django's URL patterns do not reach (an empty or dotted segment) is no
        # Open311 resource at all.
        return
    assert_georeport(response, fmt)


def coordinates():
    near = st.tuples(
        st.floats(BIBO[0] - 0.002, BIBO[0] + 0.002), st.floats(BIBO[1] - 0.002, BIBO[1] + 0.002)
    ).map(lambda p: (repr(p[0]), repr(p[1])))
    anything = st.tuples(numberish(), numberish())
    return st.one_of(near, anything)


@FUZZ
@seeded
@given(
    fmt=fmts,
    data=st.data(),
    key=st.sampled_from(["live", "missing", "forged"]),
    place=coordinates(),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "description": nasty_text(3000),
            "address_string": nasty_text(300),
            "address_id": st.one_of(numberish(), nasty_text(30)),
            "first_name": nasty_text(80),
            "last_name": nasty_text(80),
            "phone": st.one_of(numberish(), nasty_text(30)),
            "email": nasty_text(80),
            "media_url": st.one_of(
                nasty_text(600), st.sampled_from(["http://", "https://[::1", "ftp://x/y"])
            ),
            "attribute[floor]": nasty_text(40),
            "attribute[entrance]": nasty_text(40),
        },
    ),
    encoding=st.sampled_from(["form", "multipart", "json", "gbk-form"]),
)
def test_posting_any_form_answers_georeport_and_a_refusal_writes_nothing(
    world, fmt, data, key, place, fields, encoding
):
    code = data.draw(st.one_of(st.sampled_from(world["codes"]), nasty_text(30)))
    form = {"service_code": code, "lat": place[0], "long": place[1], **fields}
    if key == "live":
        form["api_key"] = world["raw"]
    elif key == "forged":
        form["api_key"] = data.draw(nasty_text(60))
    before = WorkOrder.objects.count()
    client = Client()
    url = f"{ROOT}/requests.{fmt}"
    if encoding == "multipart":
        response = client.post(url, {k: v.replace("\x00", "") for k, v in form.items()})
    elif encoding == "json":
        response = client.post(url, json.dumps(form), content_type="application/json")
    elif encoding == "gbk-form":
        body = urlencode({k: v.encode("gbk", "replace") for k, v in form.items()})
        response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(
            url, urlencode(form), content_type="application/x-www-form-urlencoded"
        )
    assert_georeport(response, fmt)
    if response.status_code != 200:
        assert WorkOrder.objects.count() == before
