"""The demo's life circle (demo/lifecircle.py): central Guiyang's road layer shipped with the
demo, the demo's Guiyang estates beside its streets, a demo facility set, and the analyses of
云岩区 and 南明区 there on first start."""

from __future__ import annotations

import csv

import pytest
from django.test import Client
from django.urls import reverse

from xiaoqu.accounts.models import User
from xiaoqu.core.models import AuditLog
from xiaoqu.demo import load_demo
from xiaoqu.demo.lifecircle import (
    DEMO_MARK,
    DISTRICT_CODES,
    FACILITIES,
    ROADS,
    load_demo_lifecircle,
)
from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, Facility
from xiaoqu.lifecircle.network import file_digest, read_network
from xiaoqu.lifecircle.standard import FACILITY_TYPES
from xiaoqu.needs.models import Demand, DemandSource
from xiaoqu.needs.selectors import demand_rows
from xiaoqu.registry.models import Estate, Region

pytestmark = pytest.mark.django_db

BUREAU = "13800000007"  # 住建部门, 贵阳市
STREET = "13800000006"  # 街道工作人员, 盐务街街道
COMMUNITY = "13800000005"  # 社区工作人员, 金仓社区
# What the analysis must find, where the demo's residents said so (demo/needs.py): 金仓苑's
# "量个血压都要跑好远", "买菜要走二十分钟", a place for the children after school and for
# exercise; the elderly lunches asked for in 金仓路市政宿舍 and 盐务街12号院; 盐务街12号院's parcels.
GAPS_RESIDENTS_ASKED_ABOUT = {
    "金仓苑": {"clinic", "marketplace", "nursery", "fitness"},
    "金仓路市政宿舍": {"elderly_daycare"},
    "盐务街12号院": {"elderly_daycare", "parcel_point"},
}
FULLY_SERVED = {"吉祥巷粮食局宿舍", "吉祥小区", "四通街8号院落", "四通街住宅小区"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo, loaded once for the module."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def gaps(run: AnalysisRun, estate: str) -> set[str]:
    return set(
        EstateAccess.objects.filter(run=run, estate__name=estate, within=False).values_list(
            "type__code", flat=True
        )
    )


def district_run(code: str) -> AnalysisRun:
    return AnalysisRun.objects.filter(region__code=code).latest("created_at")


def test_the_road_layer_ships_with_the_demo_with_its_attribution():
    readme = (ROADS.parent / "README.md").read_text(encoding="utf-8")
    assert ROADS.stat().st_size > 900_000
    assert "© OpenStreetMap contributors" in readme and "ODbL" in readme
    assert "opendatacommons.org/licenses/odbl" in readme


def test_the_guiyang_estates_stand_beside_the_streets_of_the_layer(demo):
    """Every demo estate of 贵阳市 lies inside the layer's extent and near one of its streets:
    within 120 m of a node of the walking network (nodes are where streets bend or meet)."""
    network = read_network(ROADS)
    guiyang = Region.objects.get(code="520100")
    estates = list(Estate.objects.filter(region_path__startswith=guiyang.path))
    assert len(estates) == 12
    lat = [float(e.latitude) for e in estates]
    lon = [float(e.longitude) for e in estates]
    assert all(26.490 <= a <= 26.612 for a in lat) and all(106.656 <= o <= 106.771 for o in lon)
    _node, snap = network.snap(lat, lon)
    assert snap.max() < 120, dict(zip([e.name for e in estates], snap.round(), strict=True))


def test_both_districts_are_analysed_on_the_shipped_layer(demo):
    for code in DISTRICT_CODES:
        run = district_run(code)
        assert run.status == "done" and run.estates == 6, run.message
        assert run.osm_file.name.endswith(".geojson")
        assert file_digest(run.osm_file.path) == file_digest(ROADS)
        assert run.created_by.phone == BUREAU
        assert not run.message.count("未纳入")


def test_the_demo_facilities_are_marked_as_demo_data_and_cover_every_type(demo):
    with FACILITIES.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    stored = Facility.objects.filter(source_ref__in=[r["id"] for r in rows])
    assert stored.count() == len(rows) == 88
    assert all(f.name.endswith(DEMO_MARK) for f in stored)
    assert set(stored.values_list("type__code", flat=True)) == set(FACILITY_TYPES)


def test_the_analysis_finds_the_gaps_residents_told_the_door_knockers_about(demo):
    run = district_run("520103")
    for estate, expected in GAPS_RESIDENTS_ASKED_ABOUT.items():
        assert expected <= gaps(run, estate), estate


def test_some_estates_are_fully_served_and_some_lack_much(demo):
    found = {}
    for code in DISTRICT_CODES:
        run = district_run(code)
        for estate in Estate.objects.filter(region_path__startswith=run.region.path):
            found[estate.name] = gaps(run, estate.name)
    assert {name for name, missing in found.items() if not missing} == FULLY_SERVED
    assert len(found["电信局家属院"]) >= 10 and len(found["沙冲南路小区"]) >= 10


def test_the_region_page_report_card_and_gap_to_demand_work_for_the_demo_logins(demo):
    """The bureau reads 云岩区's page; the community clerk reads 金仓社区's part of it and turns
    金仓苑's missing clinic into a demand of its list, once; the street clerk sees it there."""
    bureau, clerk = Client(), Client()
    bureau.force_login(User.objects.get(phone=BUREAU))
    clerk.force_login(User.objects.get(phone=COMMUNITY))
    yunyan = Region.objects.get(code="520103")
    page = bureau.get(reverse("lifecircle:region_analysis", kwargs={"region_id": yunyan.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and "金仓苑" in body and "吉祥小区" in body
    assert "全部达标" in body and "未纳入分析的小区" not in body
    jincang = Region.objects.get(code="520103006001")
    body = clerk.get(
        reverse("lifecircle:region_analysis", kwargs={"region_id": jincang.pk})
    ).content.decode()
    assert "以下是云岩区的分析中本区划的小区" in body
    assert "金仓苑" in body and "吉祥小区" not in body
    estate = Estate.objects.get(name="金仓苑")
    card = clerk.get(reverse("lifecircle:estate_card", kwargs={"estate_id": estate.pk}))
    assert "缺口" in card.content.decode() and DEMO_MARK in card.content.decode()
    gap = EstateAccess.objects.get(run=district_run("520103"), estate=estate, type__code="clinic")
    url = reverse("lifecircle:gap_demand", kwargs={"estate_id": estate.pk})
    before = Demand.objects.filter(estate=estate).count()
    clerk.post(url, {"result": gap.pk})
    clerk.post(url, {"result": gap.pk})
    demand = Demand.objects.get(estate=estate, source=DemandSource.ANALYSIS)
    assert Demand.objects.filter(estate=estate).count() == before + 1
    assert demand.category == "health" and demand.status == "collected"
    assert demand.pk in {row.demand_id for row in demand_rows(estate=estate).items}
    street = Client()
    street.force_login(User.objects.get(phone=STREET))
    board = street.get(reverse("needs:demand_board", kwargs={"estate_id": estate.pk}))
    assert demand.title in board.content.decode()


def test_loading_the_life_circle_demo_again_changes_nothing(demo):
    counts = (
        AnalysisRun.objects.count(),
        Facility.objects.count(),
        EstateAccess.objects.count(),
        AuditLog.objects.count(),
    )
    load_demo_lifecircle()
    assert (
        AnalysisRun.objects.count(),
        Facility.objects.count(),
        EstateAccess.objects.count(),
        AuditLog.objects.count(),
    ) == counts
