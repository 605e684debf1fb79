"""The monthly progress report: exact figures per child region, totals that reconcile, the
same numbers in the xlsx, a bounded number of queries; and the project list export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import (
    make_batch,
    make_estate,
    make_project,
    make_published_plan,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.renovation import reports
from xiaoqu.renovation.models import EntryKind, MoneyEntry, Project, ProjectStage

pytestmark = pytest.mark.django_db

JUNE = dt.date(2026, 6, 1)
# The funding of tests/factories.PLAN_ITEMS in fen, by source: one project's planned money.
PLANNED = {"central": 58_000_000, "local": 14_000_000, "owners": 30_000_000}


def _project(estate, admin, batch, *, started=None, completed=None):
    project = make_project(estate, admin)
    Project.objects.filter(pk=project.pk).update(
        batch=batch,
        stage=ProjectStage.COMPLETED if completed else ProjectStage.WORKS if started else "planned",
        started_on=started,
        completed_on=completed,
    )
    project.refresh_from_db()
    return project


def _money(project, kind, source, fen, on):
    item = project.items.order_by("pk").first() if kind == EntryKind.PAYMENT else None
    return MoneyEntry.objects.create(
        project=project,
        item=item,
        kind=kind,
        source=source,
        amount_fen=fen,
        on=on,
        recorded_by=project.created_by,
    )


@pytest.fixture
def world():
    """贵阳市 with 云岩区 (two estates of the 2026 batch: one completed in May, one started in
    June) and 南明区 (one not started, one in the 2025 batch only)."""
    yunyan = region_chain()
    nanming = region_chain(("南明区", "花果园街道", "花果园社区"), parent=yunyan[1])
    admin = make_user(Role.ADMIN, password=None)
    a1 = make_estate(yunyan[-1], name="云岩一", floors=3, per_floor=2)  # 6 households
    a2 = make_estate(yunyan[-1], name="云岩二", floors=2, per_floor=2)  # 4
    b1 = make_estate(nanming[-1], name="南明一", floors=5, per_floor=2)  # 10
    b2 = make_estate(nanming[-1], name="南明二", floors=1, per_floor=2)  # 2
    batch = make_batch(yunyan[1], [a1, a2, b1], admin, year=2026)
    old = make_batch(yunyan[1], [b2], admin, year=2025)
    p1 = _project(a1, admin, batch, started=dt.date(2026, 3, 2), completed=dt.date(2026, 5, 20))
    p2 = _project(a2, admin, batch, started=dt.date(2026, 6, 10))
    p3 = _project(b1, admin, batch)
    p4 = _project(b2, admin, old, started=dt.date(2025, 5, 1), completed=dt.date(2025, 10, 1))
    _money(p1, EntryKind.RECEIPT, "central", 50_000_000, dt.date(2026, 3, 1))
    _money(p1, EntryKind.PAYMENT, "central", 40_000_000, dt.date(2026, 4, 1))
    _money(p1, EntryKind.PAYMENT, "central", -1_000_000, dt.date(2026, 4, 2))  # a reversal
    _money(p2, EntryKind.RECEIPT, "local", 7_000_000, dt.date(2026, 6, 30))
    _money(p2, EntryKind.PAYMENT, "local", 3_000_000, dt.date(2026, 7, 1))  # after June
    _money(p3, EntryKind.RECEIPT, "owners", 1_000_000, dt.date(2026, 6, 1))
    _money(p4, EntryKind.RECEIPT, "central", 99_900_000, dt.date(2025, 6, 1))  # other year
    bureau = make_user(Role.HOUSING_BUREAU, region=yunyan[1], password=None)
    return {
        "city": yunyan[1],
        "yunyan": yunyan[2],
        "nanming": nanming[0],
        "street": yunyan[3],
        "community": yunyan[4],
        "nanming_community": nanming[-1],
        "batch": batch,
        "old": old,
        "bureau": bureau,
        "admin": admin,
    }


def _lines(report) -> dict[str, reports.ReportLine]:
    return {line.name: line for line in report.lines}


def test_the_city_report_counts_each_county_exactly(world):
    report = reports.monthly_report(region=world["city"], year=2026, month=JUNE)
    lines = _lines(report)
    assert list(lines) == ["云岩区", "南明区"]
    yunyan, nanming = lines["云岩区"], lines["南明区"]
    assert (yunyan.estates, yunyan.buildings, yunyan.households) == (2, 2, 10)
    assert (yunyan.started, yunyan.completed, yunyan.completion_rate) == (2, 1, Decimal("50.0"))
    assert yunyan.estimated_fen == 10 * 1_000_000
    assert yunyan.planned == {k: 2 * v for k, v in PLANNED.items()}
    assert yunyan.received == {"central": 50_000_000, "local": 7_000_000}
    assert yunyan.paid == {"central": 39_000_000}
    assert (nanming.estates, nanming.households, nanming.started, nanming.completed) == (
        1,
        10,
        0,
        0,
    )
    assert nanming.completion_rate == Decimal("0.0")
    assert nanming.planned == PLANNED
    assert nanming.received == {"owners": 1_000_000} and nanming.paid == {}


def test_the_total_is_the_sum_of_the_lines(world):
    report = reports.monthly_report(region=world["city"], year=2026, month=JUNE)
    total = report.total
    assert (total.estates, total.households, total.started, total.completed) == (3, 20, 2, 1)
    assert total.completion_rate == Decimal("33.3")
    for name in (
        "estates",
        "buildings",
        "households",
        "estimated_fen",
        "started",
        "completed",
        "planned_fen",
        "received_fen",
        "paid_fen",
    ):
        assert getattr(total, name) == sum(getattr(line, name) for line in report.lines), name
    assert total.paid_fen == 39_000_000 and total.received_fen == 58_000_000


def test_earlier_months_count_only_what_had_happened_by_their_end(world):
    may = reports.monthly_report(region=world["city"], year=2026, month=dt.date(2026, 5, 1))
    assert (may.total.started, may.total.completed) == (1, 1)
    assert may.total.received == {"central": 50_000_000}
    march = reports.monthly_report(region=world["city"], year=2026, month=dt.date(2026, 3, 1))
    assert (march.total.started, march.total.completed, march.total.paid_fen) == (1, 0, 0)
    july = reports.monthly_report(region=world["city"], year=2026, month=dt.date(2026, 7, 1))
    assert july.total.paid == {"central": 39_000_000, "local": 3_000_000}


def test_a_receipt_of_a_project_over_two_counties_counts_where_its_first_estate_is(world):
    """Items and payments count where their estate is; a receipt, which has no item, once, in
    the county of the project's first estate."""
    from xiaoqu.renovation.services import projects

    a3 = make_estate(world["community"], name="云岩三")
    b3 = make_estate(world["nanming_community"], name="南明三")
    for estate in (a3, b3):
        world["batch"].entries.create(estate=estate, buildings=1, households=4)
        make_published_plan(estate, world["admin"])
    project = projects.project_create(
        estates=[a3, b3], name="两区联合改造", code="P-TWO", actor=world["admin"]
    )
    Project.objects.filter(pk=project.pk).update(batch=world["batch"])
    _money(project, EntryKind.RECEIPT, "local", 5_000_000, dt.date(2026, 6, 2))
    lines = _lines(reports.monthly_report(region=world["city"], year=2026, month=JUNE))
    assert lines["云岩区"].received == {"central": 50_000_000, "local": 12_000_000}
    assert lines["南明区"].received == {"owners": 1_000_000}
    assert lines["云岩区"].planned["central"] == 3 * PLANNED["central"]
    assert lines["南明区"].planned["central"] == 2 * PLANNED["central"]


def test_another_year_or_one_batch_alone(world):
    older = reports.monthly_report(region=world["city"], year=2025, month=JUNE)
    assert (older.total.estates, older.total.households) == (1, 2)
    assert older.total.received == {"central": 99_900_000}
    one = reports.monthly_report(region=world["city"], year=2025, month=JUNE, batch=world["batch"])
    assert one.year == 2026 and one.total.estates == 3


def test_drilling_down_reaches_the_estates_of_a_community(world):
    county = reports.monthly_report(region=world["yunyan"], year=2026, month=JUNE)
    assert [line.name for line in county.lines] == ["盐务街街道"]
    community = reports.monthly_report(region=world["community"], year=2026, month=JUNE)
    assert community.by_estate
    lines = _lines(community)
    assert set(lines) == {"云岩一", "云岩二"}
    assert (lines["云岩一"].completed, lines["云岩二"].started) == (1, 1)
    assert lines["云岩二"].received == {"local": 7_000_000}
    assert community.total.paid_fen == 39_000_000


def _count_queries(region) -> int:
    with CaptureQueriesContext(connection) as queries:
        reports.monthly_report(region=region, year=2026, month=JUNE)
    return len(queries)


def test_the_report_takes_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        reports.monthly_report(region=world["city"], year=2026, month=JUNE)
    before = _count_queries(world["city"])
    for n in range(5):
        estate = make_estate(region_chain()[-1], name=f"加测{n}")
        world["batch"].entries.create(estate=estate, buildings=1, households=4)
        _project(estate, world["admin"], world["batch"], started=dt.date(2026, 4, 1))
    assert _count_queries(world["city"]) == before


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_lines_and_links_down(world):
    response = _client(world["bureau"]).get(reverse("renovation:report"), {"month": "2026-06"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f"region={world['yunyan'].pk}" in body
    assert response.context["report"].total.completed == 1
    assert "33.3 %" in body


def test_the_page_refuses_a_region_or_batch_outside_the_scope(world):
    client = _client(world["bureau"])
    outside = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风社区"))
    url = reverse("renovation:report")
    assert client.get(url, {"region": outside[2].pk}).status_code == 404
    other = make_batch(outside[2], [make_estate(outside[-1])], world["admin"])
    assert client.get(url, {"batch": other.pk}).status_code == 404
    assert client.get(url, {"batch": "x"}).status_code == 404


def test_a_bad_month_or_year_is_said_and_the_default_used(world):
    client = _client(world["bureau"])
    response = client.get(reverse("renovation:report"), {"month": "2026-13", "year": "abc"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "月份应为" in body and "年度应在" in body
    assert response.context["report"].year == 2026


def test_the_xlsx_holds_the_same_numbers(world):
    client = _client(world["bureau"])
    response = client.get(
        reverse("renovation:report_xlsx"), {"region": world["city"].pk, "month": "2026-06"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    body = {row[0]: row for row in rows[2:]}
    report = reports.monthly_report(region=world["city"], year=2026, month=JUNE)
    for line in [*report.lines, report.total]:
        row = body[line.name]
        assert row[1:4] == (line.estates, line.buildings, line.households)
        assert (row[5], row[7]) == (line.started, line.completed)
        assert Decimal(str(row[8])) == line.completion_rate
        assert Decimal(str(row[11])) * 100 == line.paid_fen
        assert Decimal(str(row[10])) * 100 == line.received_fen
    sources = list(book.worksheets[1].iter_rows(values_only=True))
    assert ("云岩区", "中央补助", 1160000, 500000, 390000) in sources


def test_the_project_list_export_holds_the_projects_in_scope(world):
    outside = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风社区"))
    _project(make_estate(outside[-1], name="界外小区"), world["admin"], None)
    staff = make_user(Role.COMMUNITY_STAFF, region=world["community"], password=None)
    response = _client(staff).get(reverse("renovation:project_list_xlsx"))
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "项目编号"
    by_estate = {row[2]: row for row in rows[1:]}
    assert set(by_estate) == {"云岩一", "云岩二"}
    first = by_estate["云岩一"]
    assert first[3] == 6 and first[4] == "完成"
    assert Decimal(str(first[7])) == Decimal("1020000") and Decimal(str(first[8])) == Decimal(
        "390000"
    )


def test_the_project_list_export_filters_by_stage(world):
    response = _client(world["admin"]).get(
        reverse("renovation:project_list_xlsx"), {"stage": "completed"}
    )
    rows = list(load_workbook(BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert sorted(row[2] for row in rows[1:]) == ["云岩一", "南明二"]
