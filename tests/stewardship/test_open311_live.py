"""Open311 with a real client: the `georeport` package from PyPI, driven against the live
test server, lists the services, reads a service definition, and reads back a request
posted as the specification writes it (form-encoded, with attribute[code]=value), in JSON
and in XML; an error reaches it as the HTTP status with the spec's error document."""

from __future__ import annotations

import pytest
import requests
import xmltodict
from django.core.cache import cache
from georeport import GeoReport

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.stewardship.models import WorkOrder
from xiaoqu.stewardship.services.open311 import open311_key_create
from xiaoqu.stewardship.services.orders import categories_ensure

pytestmark = pytest.mark.django_db(transaction=True)

BIBO = ("26.521800", "108.233700")


@pytest.fixture
def live(live_server):
    cache.clear()  # lists of requests are cached a few seconds per process
    categories_ensure()
    chain = region_chain(("贵州省", "铜仁市", "石阡县", "泉都街道", "大关社区"))
    chain[2].code = "520623"
    chain[2].save()
    estate = make_estate(chain[-1], name="碧波水岸小区", buildings=3)
    estate.latitude, estate.longitude = BIBO
    estate.save()
    make_user("property_manager", estate=estate, password=None)
    _key, raw = open311_key_create(name="石阡12345热线", region=chain[2])
    return {"root": f"{live_server.url}/open311/v2", "key": raw, "estate": estate}


def post_as_the_spec_writes_it(root: str, fmt: str, body: str) -> requests.Response:
    """POST Service Request exactly as the specification's example: form-encoded body."""
    return requests.post(
        f"{root}/requests.{fmt}",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        timeout=30,
    )


def spec_body(key: str) -> str:
    return (
        f"api_key={key}&jurisdiction_id=tongren.gov.cn&service_code=elevator-trapped"
        f"&lat={BIBO[0]}&long={BIBO[1]}&address_string=3%E6%A0%8B2%E5%8D%95%E5%85%83"
        "&email=smit333%40example.com&device_id=tt222111&account_id=123456"
        "&first_name=%E6%98%8E&last_name=%E7%8E%8B&phone=13800001234"
        "&description=%E7%94%B5%E6%A2%AF%E5%81%9C%E5%9C%A85%E6%A5%BC%EF%BC%8C%E6%9C%89%E4%BA%BA%E8%A2%AB%E5%9B%B0"
        "&media_url=http%3A%2F%2Fexample.com%2Felevator.jpg"
        "&attribute[entrance]=3%E6%A0%8B2%E5%8D%95%E5%85%83&attribute[people]=yes"
    )


def test_the_georeport_client_in_json(live):
    """JSON: services, the elevator's definition, a post, and the request read back by id and
    in the list."""
    client = GeoReport(live["root"], api_key=live["key"])
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "elevator-trapped" in codes and "stair-light" in codes
    elevator = next(s for s in services if s["service_code"] == "elevator-trapped")
    assert elevator["metadata"] is True and elevator["type"] == "realtime"

    definition = client.get_service_definition("elevator-trapped")
    assert [a["code"] for a in definition["attributes"]] == ["entrance", "people"]

    response = post_as_the_spec_writes_it(live["root"], "json", spec_body(live["key"]))
    assert response.status_code == 200, response.text
    request_id = response.json()[0]["service_request_id"]

    request = client.get_service_request(str(request_id))
    assert request["service_request_id"] == request_id
    assert request["status"] == "open" and request["service_code"] == "elevator-trapped"
    assert request["description"] == "电梯停在5楼，有人被困"
    assert request["address"].endswith("碧波水岸小区")
    assert request["media_url"] == "http://example.com/elevator.jpg"
    assert "王明" not in response.text + str(request) and "13800001234" not in str(request)

    listed = client.get_service_requests(service_code="elevator-trapped", status="open")
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert client.get_service_requests(service_request_id=str(request_id))[0]["status"] == "open"

    order = WorkOrder.objects.get(pk=request_id)
    assert order.attributes["answers"] == {"entrance": "3栋2单元", "people": "yes"}
    assert order.reporter_name == "王明" and order.channel == "open311"


def test_the_georeport_client_in_xml(live):
    """XML: the same, through the client's XML mode (xmltodict)."""
    client = GeoReport(live["root"], api_key=live["key"], output_format="xml")
    services = client.get_service_list()
    assert {"elevator-trapped", "stair-light"} <= {s["service_code"] for s in services}

    definition = client.get_service_definition("elevator-trapped")
    attributes = definition["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == ["entrance", "people"]
    assert attributes[1]["values"]["value"][0] == {"key": "yes", "name": "有人被困"}

    response = post_as_the_spec_writes_it(live["root"], "xml", spec_body(live["key"]))
    assert response.status_code == 200, response.text
    posted = xmltodict.parse(response.content)["service_requests"]["request"]
    request_id = posted["service_request_id"]

    request = client.get_service_request(request_id)
    assert request["service_request_id"] == request_id
    assert request["status"] == "open" and request["service_name"] == "电梯困人"
    assert request["requested_datetime"].endswith("+08:00")

    listed = client.get_service_requests(status="open")
    # One request: xmltodict gives the single <request> as a dict.
    assert listed["service_request_id"] == request_id


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_reach_the_client_with_their_status(live, fmt):
    """An unknown service is an HTTP 404 for the client; a post outside every estate a 400
    with the spec's error document."""
    client = GeoReport(live["root"], api_key=live["key"], output_format=fmt)
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_definition("potholes")
    assert raised.value.response.status_code == 404
    far = spec_body(live["key"]).replace(f"lat={BIBO[0]}", "lat=26.6")
    response = post_as_the_spec_writes_it(live["root"], fmt, far)
    assert response.status_code == 400
    if fmt == "json":
        assert response.json()[0]["code"] == 400
    else:
        assert xmltodict.parse(response.content)["errors"]["error"]["code"] == "400"
    assert not WorkOrder.objects.exists()
