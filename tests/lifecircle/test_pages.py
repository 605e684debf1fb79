"""The life circle in the platform: facilities, a region's analysis, report cards, gaps."""

from __future__ import annotations

import json
import re
import runpy
import signal
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.config import settings as settings_module
from xiaoqu.core.errors import DomainError
from xiaoqu.lifecircle import engine, services
from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, Facility, FacilityType
from xiaoqu.needs.models import Demand

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data" / "osm"
GUIXI = DATA / "guixi-jiangxi.osm"
HELSINKI = DATA / "helsinki-test.osm.pbf"


@pytest.fixture
def place():
    """A community in Guixi with two estates inside the extract, and facilities near one."""
    chain = region_chain(("江西省", "鹰潭市", "贵溪市", "雄石街道", "城北社区"))
    near = make_estate(chain[-1], name="城北小区")
    far = make_estate(chain[-1], name="河边小区")
    # 城北小区 sits on a street node; its kindergarten is 69 m down that street.
    for estate, (lat, lon) in ((near, (28.327973, 117.236307)), (far, (28.2790, 117.1910))):
        estate.latitude, estate.longitude = Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")
        estate.save()
    staff = make_user("street_staff", region=chain[-2])
    csv = (
        "id,type,name,lat,lon\n"
        "k1,kindergarten,城北幼儿园,28.3273555,117.2363059\n"
        "m1,marketplace,城北菜市场,28.3281073,117.2363025\n"
    ).encode()
    services.facilities_import_file(upload=SimpleUploadedFile("facilities.csv", csv), actor=staff)
    return {"community": chain[-1], "near": near, "far": far, "staff": staff}


def start(client, place, django_capture_on_commit_callbacks):
    client.force_login(place["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("lifecircle:analysis_start", kwargs={"region_id": place["community"].pk}),
            {"osm": SimpleUploadedFile("guixi.osm", GUIXI.read_bytes())},
        )
    return AnalysisRun.objects.get()


def test_the_standard_is_seeded_and_editable_data():
    kindergarten = FacilityType.objects.get(code="kindergarten")
    assert (kindergarten.level, kindergarten.distance_m) == ("5min", 300)
    assert FacilityType.objects.get(code="middle_school").distance_m == 1000


def test_facility_file_import_is_all_or_nothing(place):
    bad = b"id,type,lat,lon\nx1,kindergarten,28.3,117.2\nx2,spaceport,28.3,117.2\nx3,clinic,abc,117.2\n"
    with pytest.raises(DomainError) as error:
        services.facilities_import_file(
            upload=SimpleUploadedFile("f.csv", bad), actor=place["staff"]
        )
    assert "spaceport" in error.value.message and "不是数字" in error.value.message
    assert Facility.objects.count() == 2
    with pytest.raises(DomainError) as error:
        services.facilities_import_file(
            upload=SimpleUploadedFile("f.csv", b"id,lat,lon\n1,2,3\n"), actor=place["staff"]
        )
    assert "type" in error.value.message


def test_facilities_from_openstreetmap_tags(place):
    result = services.facilities_import_osm(path=HELSINKI, actor=place["staff"])
    assert result.created > 0
    again = services.facilities_import_osm(path=HELSINKI, actor=place["staff"])
    assert again.created == 0 and again.updated == result.created
    assert Facility.objects.filter(source="osm").values("type__code").distinct().count() >= 2


def test_region_analysis_runs_and_shows_gaps(client, place, django_capture_on_commit_callbacks):
    run = start(client, place, django_capture_on_commit_callbacks)
    assert run.status == "done" and run.progress == 100 and run.estates == 2
    near = EstateAccess.objects.get(run=run, estate=place["near"], type__code="kindergarten")
    assert near.within and near.facility.name == "城北幼儿园"
    far = EstateAccess.objects.get(run=run, estate=place["far"], type__code="kindergarten")
    assert not far.within
    page = client.get(
        reverse("lifecircle:region_analysis", kwargs={"region_id": place["community"].pk})
    )
    body = page.content.decode()
    assert (
        "河边小区" in body
        and 'id="gap-map"' in body
        and "/static/vendor/leaflet/leaflet.js" in body
        and "/static/web/map.js" in body
    )
    assert "底图需联网" not in body


def test_an_estate_name_reaches_the_map_as_data_never_as_markup(
    client, place, django_capture_on_commit_callbacks
):
    """An estate named like a closing script tag cannot end the page's script: the response
    holds no raw `</script><script>` from the name, and the map's data carries the name as is.
    """
    hostile = "</script><script>alert(document.domain)</script>河边小区"
    place["far"].name = hostile
    place["far"].save()
    start(client, place, django_capture_on_commit_callbacks)
    page = client.get(
        reverse("lifecircle:region_analysis", kwargs={"region_id": place["community"].pk})
    )
    body = page.content.decode()
    assert "</script><script>" not in body
    data = re.search(r'<script id="gap-map-data" type="application/json">(.*?)</script>', body)
    assert data is not None
    assert hostile in {point["name"] for point in json.loads(data.group(1))["estates"]}


def test_report_card_and_a_gap_becomes_a_demand_once(
    client, place, django_capture_on_commit_callbacks
):
    run = start(client, place, django_capture_on_commit_callbacks)
    card = client.get(reverse("lifecircle:estate_card", kwargs={"estate_id": place["far"].pk}))
    assert "缺口" in card.content.decode()
    gap = EstateAccess.objects.get(run=run, estate=place["far"], type__code="kindergarten")
    url = reverse("lifecircle:gap_demand", kwargs={"estate_id": place["far"].pk})
    client.post(url, {"result": gap.pk})
    client.post(url, {"result": gap.pk})
    demand = Demand.objects.get()
    # The card says so instead of offering the button again.
    card = client.get(
        reverse("lifecircle:estate_card", kwargs={"estate_id": place["far"].pk})
    ).content.decode()
    row = re.search(r"<tr>(?:(?!</tr>).)*幼儿园(?:(?!</tr>).)*</tr>", card, re.S)
    assert row is not None and "已在需求清单" in row.group(0)
    assert f'value="{gap.pk}"' not in card
    assert demand.source == "analysis" and demand.category == "childcare"
    assert demand.estate == place["far"] and "幼儿园" in demand.title
    within = EstateAccess.objects.get(run=run, estate=place["near"], type__code="kindergarten")
    client.post(
        reverse("lifecircle:gap_demand", kwargs={"estate_id": place["near"].pk}),
        {"result": within.pk},
    )
    assert Demand.objects.count() == 1


def test_a_network_that_does_not_cover_the_region_fails_with_a_message(
    client, place, django_capture_on_commit_callbacks
):
    client.force_login(place["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("lifecircle:analysis_start", kwargs={"region_id": place["community"].pk}),
            {"osm": SimpleUploadedFile("helsinki.osm.pbf", HELSINKI.read_bytes())},
        )
    run = AnalysisRun.objects.get()
    assert run.status == "failed" and "没有覆盖" in run.message


def test_bad_uploads_and_scope(client, place):
    client.force_login(place["staff"])
    url = reverse("lifecircle:analysis_start", kwargs={"region_id": place["community"].pk})
    client.post(url, {"osm": SimpleUploadedFile("map.txt", b"hello")})
    assert not AnalysisRun.objects.exists()
    worker = make_user("grid_worker", estate=place["near"])
    client.force_login(worker)
    assert client.post(url, {"osm": SimpleUploadedFile("g.osm", b"<osm/>")}).status_code == 404
    other = make_user("street_staff", region=region_chain()[-2])
    client.force_login(other)
    page = reverse("lifecircle:estate_card", kwargs={"estate_id": place["near"].pk})
    assert client.get(page).status_code == 404


def test_facilities_command_imports_osm_and_sheets(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("lifecircle", "facilities", str(HELSINKI))
    assert Facility.objects.filter(source="osm").exists()
    sheet = tmp_path / "facilities.csv"
    sheet.write_text("id,type,lat,lon\nb1,bus_stop,28.3,117.2\n", encoding="utf-8")
    call_command("lifecircle", "facilities", str(sheet))
    assert Facility.objects.filter(source="file", source_ref="b1").exists()
    sheet.write_text("id,type,lat,lon\nb2,teleporter,28.3,117.2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="teleporter"):
        call_command("lifecircle", "facilities", str(sheet))


def test_facility_import_refuses_the_probes_workbook_of_16_million_empty_rows(place):
    """The 145 KB workbook of empty rows is refused with a message naming it; nothing stored."""
    from tests.core.bombs import memory_ceiling, rows_bomb

    with memory_ceiling(), pytest.raises(DomainError) as error:
        services.facilities_import_file(
            upload=SimpleUploadedFile("bomb.xlsx", rows_bomb()), actor=place["staff"]
        )
    assert "bomb.xlsx" in error.value.message
    assert Facility.objects.count() == 2


def progress_part(client, place) -> str:
    url = reverse("lifecircle:region_analysis", kwargs={"region_id": place["community"].pk})
    return client.get(f"{url}?part=progress", headers={"HX-Request": "true"}).content.decode()


def test_an_unexpected_error_ends_the_run_as_failed_and_the_page_stops_polling(
    client, place, monkeypatch, django_capture_on_commit_callbacks
):
    """An exception nobody foresaw ends the run as failed with a message on the page, whose
    progress part then stops polling."""

    def broken(*args, **kwargs):
        raise ValueError("index out of range")

    monkeypatch.setattr(engine, "nearest_by_type", broken)
    run = start(client, place, django_capture_on_commit_callbacks)
    assert run.status == "failed" and "内部错误" in run.message and run.finished_at
    part = progress_part(client, place)
    assert run.message in part
    assert "hx-trigger" not in part


def test_a_running_analysis_polls_until_it_ends(client, place):
    """While a run is queued the progress part asks again every two seconds."""
    client.force_login(place["staff"])
    AnalysisRun.objects.create(region=place["community"], created_by=place["staff"])
    assert 'hx-trigger="every 2s"' in progress_part(client, place)


def test_an_interrupted_analysis_is_marked_failed_before_it_stops(place, monkeypatch):
    """When the worker is stopped mid-analysis (SystemExit), the run ends as failed first."""
    run = AnalysisRun(region=place["community"], created_by=place["staff"])
    run.osm_file.save("guixi.osm", ContentFile(GUIXI.read_bytes()))

    def stopped(*args, **kwargs):
        raise SystemExit(1)

    monkeypatch.setattr(engine, "nearest_by_type", stopped)
    with pytest.raises(SystemExit):
        services.analysis_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "中断" in run.message


def test_a_queue_that_refuses_the_task_ends_the_run_as_failed(
    client, place, monkeypatch, django_capture_on_commit_callbacks
):
    """When the task cannot be queued the run does not wait for ever: it fails, saying so."""
    from xiaoqu.lifecircle.tasks import run_analysis

    def refuse(*args, **kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(type(run_analysis), "enqueue", refuse)
    run = start(client, place, django_capture_on_commit_callbacks)
    assert run.status == "failed" and "无法安排" in run.message


def test_a_worker_that_died_leaves_its_analysis_failed(place):
    """A run whose worker was killed (out of memory) is ended as interrupted."""
    run = AnalysisRun.objects.create(
        region=place["community"], created_by=place["staff"], status="running"
    )
    services.analysis_fail_interrupted(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "中断" in run.message


@pytest.mark.django_db(transaction=True)
def test_by_default_the_analysis_runs_in_the_worker_not_in_the_request(
    seeded_standard, client, place, settings, monkeypatch
):
    """With the default settings the upload only queues the analysis; `xiaoqu db_worker` runs it."""
    from django_tasks_db.models import DBTaskResult

    monkeypatch.delenv("XIAOQU_TASKS_BACKEND", raising=False)
    settings.TASKS = runpy.run_path(settings_module.__file__)["TASKS"]
    client.force_login(place["staff"])
    client.post(
        reverse("lifecircle:analysis_start", kwargs={"region_id": place["community"].pk}),
        {"osm": SimpleUploadedFile("guixi.osm", GUIXI.read_bytes())},
    )
    run = AnalysisRun.objects.get()
    assert (run.status, run.progress) == ("queued", 0)
    assert not EstateAccess.objects.exists()
    queued = DBTaskResult.objects.get()
    assert queued.status == "READY" and queued.task_path.endswith("tasks.run_analysis")
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    run.refresh_from_db()
    assert run.status == "done" and EstateAccess.objects.filter(run=run).exists()


def test_a_facility_without_a_name_is_called_by_its_type_never_its_osm_id(
    client, place, django_capture_on_commit_callbacks
):
    """Facilities from OpenStreetMap often have no name: the card showed w995766256."""
    Facility.objects.filter(source_ref="k1").update(name="", source_ref="w995766256")
    start(client, place, django_capture_on_commit_callbacks)
    card = client.get(
        reverse("lifecircle:estate_card", kwargs={"estate_id": place["near"].pk})
    ).content.decode()
    assert "未标名称的幼儿园" in card
    assert "w995766256" not in card
    assert str(Facility.objects.get(source_ref="w995766256")) == "未标名称的幼儿园"


def test_a_card_without_an_analysis_links_those_who_may_run_one_to_the_page_that_does(
    client, place
):
    """Community and street staff get a link to the community's life-circle page; a grid
    worker or Party member, who cannot upload a network there, is told whom to ask."""
    card = reverse("lifecircle:estate_card", kwargs={"estate_id": place["near"].pk})
    client.force_login(place["staff"])
    page = client.get(card).content.decode()
    region_page = reverse("lifecircle:region_analysis", kwargs={"region_id": place["community"].pk})
    assert 'id="no-run"' in page and f'href="{region_page}"' in page
    assert "到城北社区的生活圈页面开始分析" in page
    for reader in (
        make_user("party_member", region=place["community"]),
        make_user("grid_worker", estate=place["near"]),
    ):
        client.force_login(reader)
        page = client.get(card).content.decode()
        assert f'href="{region_page}"' not in page
        assert "请联系城北社区的工作人员" in page
        assert "社区工作人员、街道工作人员、住建部门、系统管理员" in page
