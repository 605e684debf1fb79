"""The life-circle maps: the network endpoint, the payloads and the tile setting."""

from __future__ import annotations

import gzip
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.core import maps
from xiaoqu.core.gcj02 import wgs_to_gcj
from xiaoqu.lifecircle import services
from xiaoqu.lifecircle.models import AnalysisRun

pytestmark = pytest.mark.django_db

GUIXI = Path(__file__).resolve().parents[1] / "data" / "osm" / "guixi-jiangxi.osm"
NEAR = (28.327973, 117.236307)
TILES = "https://tiles.example.cn/{z}/{x}/{y}.png"


@pytest.fixture
def place(client, django_capture_on_commit_callbacks):
    """A community in Guixi with two estates, a kindergarten near one, and a finished analysis
    on the Guixi extract, run by street staff (logged in)."""
    chain = region_chain(("江西省", "鹰潭市", "贵溪市", "雄石街道", "城北社区"))
    near = make_estate(chain[-1], name="城北小区")
    far = make_estate(chain[-1], name="河边小区")
    for estate, (lat, lon) in ((near, NEAR), (far, (28.2790, 117.1910))):
        estate.latitude, estate.longitude = Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")
        estate.save()
    staff = make_user("street_staff", region=chain[-2])
    csv = "id,type,name,lat,lon\nk1,kindergarten,城北幼儿园,28.3273555,117.2363059\n".encode()
    services.facilities_import_file(upload=SimpleUploadedFile("f.csv", csv), actor=staff)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("lifecircle:analysis_start", kwargs={"region_id": chain[-1].pk}),
            {"osm": SimpleUploadedFile("guixi.osm", GUIXI.read_bytes())},
        )
    assert AnalysisRun.objects.get().status == "done"
    return {"chain": chain, "near": near, "far": far, "staff": staff}


def network(client, region, **params):
    url = reverse("lifecircle:region_network", kwargs={"region_id": region.pk})
    return client.get(url, params)


def payload(response, element_id: str) -> dict:
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
    )
    assert found is not None, f"no {element_id} in the page"
    return json.loads(found.group(1))


def first_point(document: dict) -> list[float]:
    return document["features"][0]["geometry"]["coordinates"][0][0]


def test_the_network_endpoint_gives_the_analysed_streets_as_geojson_lines(client, place):
    """A FeatureCollection of one MultiLineString in [lon, lat], inside the extract, with the
    OpenStreetMap attribution."""
    response = network(client, place["chain"][-1], zoom=15)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = response.json()
    assert document["type"] == "FeatureCollection"
    assert document["attribution"] == "© OpenStreetMap contributors, ODbL"
    (feature,) = document["features"]
    assert feature["geometry"]["type"] == "MultiLineString"
    lines = feature["geometry"]["coordinates"]
    assert len(lines) > 100
    for line in lines:
        assert len(line) >= 2
        for lon, lat in line:
            assert 117.18 < lon < 117.26 and 28.27 < lat < 28.34


def test_a_lower_zoom_sends_a_smaller_network(client, place):
    """Simplified for the zoom: zoom 12 is smaller than zoom 17 (the sizes are in docs)."""
    low = len(network(client, place["chain"][-1], zoom=12).content)
    high = len(network(client, place["chain"][-1], zoom=17).content)
    assert low < high * 0.6


def test_a_box_sends_only_the_streets_it_meets(client, place):
    lat, lon = NEAR
    box = f"{lon - 0.003},{lat - 0.003},{lon + 0.003},{lat + 0.003}"
    whole = network(client, place["chain"][-1], zoom=17).json()
    part = network(client, place["chain"][-1], zoom=17, bbox=box).json()
    count = len(part["features"][0]["geometry"]["coordinates"])
    assert 0 < count < len(whole["features"][0]["geometry"]["coordinates"])


def test_the_network_is_sent_compressed_to_browsers_that_accept_it(client, place):
    url = reverse("lifecircle:region_network", kwargs={"region_id": place["chain"][-1].pk})
    response = client.get(url, {"zoom": 15}, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["type"] == "FeatureCollection"


def test_a_region_inside_the_analysed_region_draws_its_network(client, place):
    """An analysis of the street covers its communities: their maps draw its network."""
    street, community = place["chain"][-2], place["chain"][-1]
    AnalysisRun.objects.update(region=street)
    assert network(client, community, zoom=14).json()["features"]


def test_a_region_without_a_finished_analysis_has_no_lines(client, place):
    AnalysisRun.objects.update(status="failed")
    assert network(client, place["chain"][-1]).json() == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_the_network_of_a_region_out_of_scope_is_404_like_a_missing_one(client, place):
    other = make_user("street_staff", region=region_chain()[-2])
    client.force_login(other)
    assert network(client, place["chain"][-1]).status_code == 404
    client.force_login(place["staff"])
    missing = reverse("lifecircle:region_network", kwargs={"region_id": 999999})
    assert client.get(missing).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"zoom": "abc"},
        {"zoom": "2"},
        {"zoom": "25"},
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "117.3,28.2,117.2,28.4"},
        {"bbox": "nan,28.2,117.3,28.4"},
        {"bbox": "117.2,-95,117.3,28.4"},
    ],
)
def test_a_bad_zoom_or_box_is_refused_with_a_message(client, place, params):
    response = network(client, place["chain"][-1], **params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["error"]


def test_without_tiles_the_map_names_no_tile_server_and_keeps_stored_positions(client, place):
    """Tiles are off by default: no tile layer, positions as stored (WGS-84), the network
    endpoint as the base layer with the ODbL attribution."""
    page = client.get(
        reverse("lifecircle:region_analysis", kwargs={"region_id": place["chain"][-1].pk})
    )
    data = payload(page, "gap-map-data")
    assert data["tiles"] is None and data["crs"] == "wgs84"
    run = AnalysisRun.objects.get()
    network_url = reverse("lifecircle:region_network", kwargs={"region_id": place["chain"][-1].pk})
    assert data["lines"] == f"{network_url}?run={run.pk}"
    assert data["attribution"] == "© OpenStreetMap contributors, ODbL"
    assert "© OpenStreetMap contributors, ODbL" in page.content.decode()
    near = next(e for e in data["estates"] if e["name"] == "城北小区")
    assert (near["lat"], near["lon"]) == NEAR
    assert "底图需联网" not in page.content.decode()


def test_on_a_gcj02_tile_service_every_position_is_converted_for_display(client, place, settings):
    """With tiles in GCJ-02 the payload carries the tile layer and every point (and the
    network's lines) moved to GCJ-02; the stored positions do not change."""
    plain = first_point(network(client, place["chain"][-1], zoom=17).json())
    settings.XIAOQU_MAP_TILES = TILES
    settings.XIAOQU_MAP_ATTRIBUTION = "© 某地图服务"
    page = client.get(
        reverse("lifecircle:region_analysis", kwargs={"region_id": place["chain"][-1].pk})
    )
    data = payload(page, "gap-map-data")
    assert data["tiles"] == {"url": TILES, "attribution": "© 某地图服务", "subdomains": "abc"}
    assert data["crs"] == "gcj02"
    near = next(e for e in data["estates"] if e["name"] == "城北小区")
    assert (near["lat"], near["lon"]) == pytest.approx(wgs_to_gcj(*NEAR), abs=1e-6)
    assert data["facilities"] and data["gaps"]
    gcj = network(client, place["chain"][-1], zoom=17).json()
    assert gcj["crs_display"] == "gcj02"
    lat, lon = wgs_to_gcj(plain[1], plain[0])
    assert first_point(gcj) == pytest.approx([lon, lat], abs=1e-6)
    place["near"].refresh_from_db()
    assert (float(place["near"].latitude), float(place["near"].longitude)) == NEAR


def test_the_caption_says_what_the_base_layer_is(client, place, settings):
    """By default the caption says no base map is loaded and the roads are our own walking
    network (no "needs the internet" claim); with a tile service, that its tiles come from
    the configured server, named by its host."""
    url = reverse("lifecircle:region_analysis", kwargs={"region_id": place["chain"][-1].pk})
    page = client.get(url)
    caption = payload(page, "gap-map-data")["basemap"]
    assert caption == "没有在线底图：图上的道路是本平台保存的步行路网，不向任何地图服务器请求。"
    assert f'<p class="map-basemap">{caption}</p>' in page.content.decode()
    assert "联网" not in page.content.decode()
    settings.XIAOQU_MAP_TILES = TILES
    caption = payload(client.get(url), "gap-map-data")["basemap"]
    assert caption == "底图瓦片来自配置的地图服务（tiles.example.cn）。"
    assert maps.basemap_caption(None, lines=False) == (
        "没有在线底图：只显示位置，不向任何地图服务器请求。"
    )


def test_tiles_not_in_gcj02_leave_positions_as_stored(client, place, settings):
    settings.XIAOQU_MAP_TILES = TILES
    settings.XIAOQU_MAP_TILES_GCJ02 = False
    page = client.get(
        reverse("lifecircle:region_analysis", kwargs={"region_id": place["chain"][-1].pk})
    )
    data = payload(page, "gap-map-data")
    assert data["tiles"]["url"] == TILES and data["crs"] == "wgs84"
    near = next(e for e in data["estates"] if e["name"] == "城北小区")
    assert (near["lat"], near["lon"]) == NEAR


@pytest.mark.parametrize(
    "url",
    [
        "tiles.example.cn/{z}/{x}/{y}.png",
        "https://tiles.example.cn/{z}/{x}.png",
        "https://tiles.example.cn/{z}/{x}/{y}.png?key={key}",
        "javascript:alert(1)//{z}{x}{y}",
    ],
)
def test_a_tile_url_that_is_no_template_stops_with_a_clear_error(settings, url):
    settings.XIAOQU_MAP_TILES = url
    with pytest.raises(ImproperlyConfigured, match="XIAOQU_MAP_TILES"):
        maps.map_tiles()


def test_the_region_map_shows_stages_facilities_and_gaps(client, place):
    page = client.get(
        reverse("lifecircle:region_analysis", kwargs={"region_id": place["chain"][-1].pk})
    )
    data = payload(page, "gap-map-data")
    assert {e["name"] for e in data["estates"]} == {"城北小区", "河边小区"}
    assert all(e["url"].startswith("/lifecircle/estates/") for e in data["estates"])
    assert [f["name"] for f in data["facilities"]] == ["城北幼儿园"]
    # One kindergarten is the only facility: both estates miss every other type.
    assert {g["name"] for g in data["gaps"]} == {"城北小区", "河边小区"}
    kinds = {row["kind"] for row in data["legend"]}
    assert {"line", "estate", "facility", "gap"} <= kinds
    assert data["outlines"] == []
    body = page.content.decode()
    assert "未启动" in body and "托育与教育（幼儿园）" in body


def test_the_report_card_maps_the_estate_its_nearest_facilities_and_its_gaps(client, place):
    card = client.get(reverse("lifecircle:estate_card", kwargs={"estate_id": place["near"].pk}))
    data = payload(card, "card-map-data")
    assert [e["name"] for e in data["estates"]] == ["城北小区"]
    kindergarten = next(f for f in data["facilities"] if f["type"] == "kindergarten")
    assert kindergarten["tip"].startswith("幼儿园：城北幼儿园，步行约")
    assert data["gaps"] and data["gaps"][0]["tip"].startswith("城北小区：缺少")
    community = place["near"].community_id
    network_url = reverse("lifecircle:region_network", kwargs={"region_id": community})
    assert data["lines"] == f"{network_url}?run={AnalysisRun.objects.get().pk}"


def test_an_estate_without_a_position_has_no_map(client, place):
    place["far"].latitude = place["far"].longitude = None
    place["far"].save()
    card = client.get(reverse("lifecircle:estate_card", kwargs={"estate_id": place["far"].pk}))
    assert 'id="card-map"' not in card.content.decode()
