"""The life circle in the platform with GeoJSON road layers, estates left out of an analysis,
a district's analysis shown on its communities' pages, and facility spreadsheets uploaded on a
region's page."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.core.models import AuditLog
from xiaoqu.lifecircle import services
from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, Facility
from xiaoqu.registry.models import Estate

pytestmark = pytest.mark.django_db

ROADS = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "xiaoqu"
    / "demo"
    / "data"
    / "guiyang-central-roads.geojson"
)
GUIXI = Path(__file__).resolve().parents[1] / "data" / "osm" / "guixi-jiangxi.osm"


def place_at(estate: Estate, lat: float | None, lon: float | None) -> Estate:
    estate.latitude = None if lat is None else Decimal(f"{lat:.6f}")
    estate.longitude = None if lon is None else Decimal(f"{lon:.6f}")
    estate.save()
    return estate


@pytest.fixture
def yunyan():
    """云岩区 with 金仓社区's estate beside 金仓路 and 吉祥社区's beside 宅吉路; a kindergarten on
    金仓路; the district's clerk (housing bureau of the city), a street clerk and a community
    clerk."""
    chain = region_chain()
    district, street, jincang = chain[2], chain[3], chain[4]
    jixiang = region_chain(("吉祥社区",), parent=street)[0]
    near = place_at(make_estate(jincang, name="金仓路宿舍"), 26.60465, 106.70880)
    other = place_at(make_estate(jixiang, name="吉祥小区"), 26.60900, 106.70830)
    csv = "id,type,name,lat,lon\nk1,kindergarten,金仓路幼儿园,26.604870,106.709219\n".encode()
    services.facilities_import_file(upload=SimpleUploadedFile("f.csv", csv), actor=None)
    return {
        "chain": chain,
        "district": district,
        "street": street,
        "jincang": jincang,
        "jixiang": jixiang,
        "near": near,
        "other": other,
        "bureau": make_user("housing_bureau", region=chain[1]),
        "street_staff": make_user("street_staff", region=street),
        "community_staff": make_user("community_staff", region=jincang),
    }


def run_upload(client, user, region, upload, capture) -> AnalysisRun | None:
    client.force_login(user)
    with capture(execute=True):
        client.post(
            reverse("lifecircle:analysis_start", kwargs={"region_id": region.pk}),
            {"osm": upload},
        )
    return AnalysisRun.objects.filter(region=region).order_by("-pk").first()


def region_page(client, region) -> str:
    url = reverse("lifecircle:region_analysis", kwargs={"region_id": region.pk})
    return client.get(url).content.decode()


def test_a_geojson_road_layer_uploaded_on_the_page_is_analysed(
    client, yunyan, django_capture_on_commit_callbacks
):
    """The shipped Guiyang layer runs like an OSM file: the estate 80 m up 金仓路 from its
    kindergarten is served, and the page's form says GeoJSON is taken."""
    upload = SimpleUploadedFile(ROADS.name, ROADS.read_bytes())
    run = run_upload(
        client, yunyan["bureau"], yunyan["district"], upload, django_capture_on_commit_callbacks
    )
    assert run is not None and run.status == "done", run and run.message
    assert run.osm_file.name.endswith(".geojson") and run.estates == 2
    served = EstateAccess.objects.get(run=run, estate=yunyan["near"], type__code="kindergarten")
    assert served.within and 0 < served.distance_m < 300
    body = region_page(client, yunyan["district"])
    assert (
        ".geojson" in body and "GeoJSON" in body and 'accept=".osm,.gz,.bz2,.pbf,.geojson' in body
    )
    assert "未纳入分析的小区" not in body


def test_a_bad_geojson_upload_ends_the_run_failed_with_the_reason(
    client, yunyan, django_capture_on_commit_callbacks
):
    points = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"amenity": "school"},
                "geometry": {"type": "Point", "coordinates": [106.7, 26.6]},
            }
        ],
    }
    upload = SimpleUploadedFile("points.geojson", json.dumps(points).encode())
    run = run_upload(
        client, yunyan["bureau"], yunyan["district"], upload, django_capture_on_commit_callbacks
    )
    assert run is not None and run.status == "failed"
    assert "没有线要素" in run.message
    assert "没有线要素" in region_page(client, yunyan["district"])


def test_an_unknown_network_file_type_is_refused_naming_geojson(client, yunyan):
    client.force_login(yunyan["bureau"])
    url = reverse("lifecircle:analysis_start", kwargs={"region_id": yunyan["district"].pk})
    response = client.post(url, {"osm": SimpleUploadedFile("roads.shp", b"x")}, follow=True)
    assert not AnalysisRun.objects.exists()
    assert ".geojson" in response.content.decode()


def test_estates_left_out_are_named_with_the_reason_on_the_run_and_the_page(
    client, yunyan, django_capture_on_commit_callbacks
):
    """Outside the layer's extent, more than 1 km from any street, or without coordinates: the
    run's message counts them by reason (naming none: a community's clerk may read a district's
    run) and the page lists each, with why."""
    jincang = yunyan["jincang"]
    place_at(make_estate(jincang, name="城外小区"), 26.70, 106.90)
    # Inside the extent widened by its margin, but about 1 km north of the northmost street.
    place_at(make_estate(jincang, name="山上小区"), 26.6210, 106.7103)
    place_at(make_estate(jincang, name="无坐标小区"), None, None)
    upload = SimpleUploadedFile(ROADS.name, ROADS.read_bytes())
    run = run_upload(
        client, yunyan["bureau"], yunyan["district"], upload, django_capture_on_commit_callbacks
    )
    assert run is not None and run.status == "done" and run.estates == 2
    assert run.message == (
        "已完成：2 个小区，1 处设施；3 个小区未纳入分析"
        "（没有坐标 1 个、不在路网范围内 1 个、离道路超过 1000 米 1 个），名单见本页"
    )
    assert not EstateAccess.objects.filter(run=run, estate__name="城外小区").exists()
    body = region_page(client, yunyan["district"])
    assert "未纳入分析的小区" in body
    assert "不在路网范围内（路网覆盖纬度 26.5218–26.6116" in body
    assert "离最近的可步行道路约" in body and "超过 1000 米" in body
    assert "没有坐标：请在小区档案中填写经纬度" in body


def test_an_estate_registered_after_the_run_is_listed_as_such(
    client, yunyan, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile(ROADS.name, ROADS.read_bytes())
    run_upload(
        client, yunyan["bureau"], yunyan["district"], upload, django_capture_on_commit_callbacks
    )
    place_at(make_estate(yunyan["jincang"], name="新登记小区"), 26.6050, 106.7100)
    body = region_page(client, yunyan["district"])
    assert "新登记小区" in body and "分析之后才登记或改了坐标" in body


def test_the_left_out_list_shows_only_estates_the_reader_may_see(
    client, yunyan, django_capture_on_commit_callbacks
):
    place_at(make_estate(yunyan["jixiang"], name="吉祥城外小区"), 26.70, 106.90)
    upload = SimpleUploadedFile(ROADS.name, ROADS.read_bytes())
    run_upload(
        client, yunyan["bureau"], yunyan["district"], upload, django_capture_on_commit_callbacks
    )
    client.force_login(yunyan["community_staff"])
    body = region_page(client, yunyan["jincang"])
    assert "吉祥城外小区" not in body and "吉祥小区" not in body


def test_a_communitys_page_shows_its_part_of_the_districts_analysis(
    client, yunyan, django_capture_on_commit_callbacks
):
    """金仓社区 has no analysis of its own: its clerk sees the district's, narrowed to 金仓社区."""
    upload = SimpleUploadedFile(ROADS.name, ROADS.read_bytes())
    run_upload(
        client, yunyan["bureau"], yunyan["district"], upload, django_capture_on_commit_callbacks
    )
    client.force_login(yunyan["community_staff"])
    body = region_page(client, yunyan["jincang"])
    assert "以下是云岩区的分析中本区划的小区" in body
    assert "金仓路宿舍" in body and "吉祥小区" not in body
    client.force_login(yunyan["street_staff"])
    body = region_page(client, yunyan["street"])
    assert "金仓路宿舍" in body and "吉祥小区" in body


# --- facility spreadsheets uploaded on a region's page ---------------------------------------


def upload_facilities(client, user, region, content: bytes, name: str = "设施.csv"):
    client.force_login(user)
    url = reverse("lifecircle:facilities_import", kwargs={"region_id": region.pk})
    return client.post(url, {"facilities": SimpleUploadedFile(name, content)}, follow=True)


def test_a_facility_sheet_uploaded_on_the_page_is_imported_and_audited(client, yunyan):
    sheet = (
        "id,type,name,lat,lon\n"
        "c1,clinic,金仓路卫生服务站,26.6049,106.7090\n"
        "b1,bus_stop,金仓路公交站,26.6050,106.7095\n"
    ).encode()
    response = upload_facilities(client, yunyan["street_staff"], yunyan["street"], sheet)
    assert response.status_code == 200
    assert "设施导入完成：新增 2 处，更新 0 处" in response.content.decode()
    assert set(Facility.objects.values_list("source_ref", flat=True)) == {"k1", "c1", "b1"}
    audit = AuditLog.objects.filter(action="lifecircle.facilities_import_file").last()
    assert audit is not None and audit.actor_id == yunyan["street_staff"].pk


def test_the_page_offers_the_facility_form_to_analysts_only(client, yunyan):
    client.force_login(yunyan["street_staff"])
    assert 'id="facilities-form"' in region_page(client, yunyan["street"])
    grid = make_user("grid_worker", estate=yunyan["near"])
    client.force_login(grid)
    page = reverse("lifecircle:region_analysis", kwargs={"region_id": yunyan["jincang"].pk})
    response = client.get(page)
    assert response.status_code in (200, 404)
    assert 'id="facilities-form"' not in response.content.decode()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            b"id,type,lat,lon\nx1,kindergarten,26.605,106.709\nx2,spaceport,26.605,106.709\n",
            "spaceport",
        ),
        (b"id,lat,lon\nx1,26.605,106.709\n", "缺少列"),
        (b"id,type,lat,lon\nx1,clinic,abc,106.709\n", "不是数字"),
        (b"id,type,lat,lon\nx1,clinic,28.30,117.22\n", "坐标不在本区划的小区附近"),
        (b"id,type,lat,lon\nk1,kindergarten,26.605,106.709\nk9,clinic,26.605,106.709\n", ""),
    ],
    ids=["unknown-type", "missing-column", "not-a-number", "far-away", "ok-update"],
)
def test_a_bad_facility_sheet_changes_nothing_and_says_why(client, yunyan, content, needle):
    before = list(Facility.objects.order_by("pk").values_list("source_ref", "latitude"))
    response = upload_facilities(client, yunyan["street_staff"], yunyan["street"], content)
    body = response.content.decode()
    if not needle:  # the control: a good file updates k1 and adds k9
        assert "新增 1 处，更新 1 处" in body
        return
    assert "设施" in body and needle in body
    assert list(Facility.objects.order_by("pk").values_list("source_ref", "latitude")) == before


def test_a_facility_of_another_place_cannot_be_moved_from_this_page(client, yunyan):
    """An id naming a facility stored far from the region's estates is refused: a clerk keeps
    the facilities around their own estates only."""
    far = b"id,type,lat,lon\nguixi-1,clinic,28.30,117.22\n"
    services.facilities_import_file(upload=SimpleUploadedFile("far.csv", far), actor=None)
    moved = b"id,type,lat,lon\nguixi-1,clinic,26.605,106.709\n"
    response = upload_facilities(client, yunyan["street_staff"], yunyan["street"], moved)
    assert "编号 guixi-1 已是别处的设施" in response.content.decode()
    assert Facility.objects.get(source_ref="guixi-1").latitude == Decimal("28.300000")


def test_the_facility_upload_is_for_analysts_in_scope(client, yunyan):
    """A grid worker may not; a street clerk of another street gets 404 like a missing region;
    a post without a file says what is missing."""
    sheet = b"id,type,lat,lon\nz1,clinic,26.605,106.709\n"
    url = reverse("lifecircle:facilities_import", kwargs={"region_id": yunyan["street"].pk})
    grid = make_user("grid_worker", estate=yunyan["near"])
    client.force_login(grid)
    assert client.post(url, {"facilities": SimpleUploadedFile("f.csv", sheet)}).status_code == 404
    stranger = make_user(
        "street_staff", region=region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道"))[-1]
    )
    client.force_login(stranger)
    assert client.post(url, {"facilities": SimpleUploadedFile("f.csv", sheet)}).status_code == 404
    assert client.get(url).status_code in (404, 405)
    assert not Facility.objects.filter(source_ref="z1").exists()
    client.force_login(yunyan["street_staff"])
    response = client.post(url, {}, follow=True)
    assert "请选择设施表格" in response.content.decode()


def test_a_region_without_located_estates_cannot_take_facilities(client, yunyan):
    empty = region_chain(("空社区",), parent=yunyan["street"])[0]
    response = upload_facilities(
        client, yunyan["street_staff"], empty, b"id,type,lat,lon\nz1,clinic,26.605,106.709\n"
    )
    assert "还没有带坐标的小区" in response.content.decode()
    assert not Facility.objects.filter(source_ref="z1").exists()


def test_the_facilities_command_refuses_a_road_layer(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不含设施"):
        call_command("lifecircle", "facilities", str(ROADS))
