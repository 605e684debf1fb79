"""The administrators' page of the access log: filters, exports with a watermark, scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_user
from xiaoqu.core.access_log import access_record
from xiaoqu.core.models import AccessEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def log():
    admin = make_user("admin")
    alice = make_user()
    alice.name = "网格员小刘"
    alice.save()
    access_record(actor=alice, action="reveal", field="phone", subjects=[11, 12], path="/a/")
    access_record(actor=alice, action="view", field="record", subjects=[12], path="/b/")
    old = access_record(actor=None, action="export", count=500, description="全部房屋档案")
    AccessEvent.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=40))
    client = Client()
    client.force_login(admin)
    return {"admin": admin, "alice": alice, "client": client}


def _rows(response) -> list[str]:
    body = response.content.decode()
    return [line for line in body.split("<tr>")[2:]]


def test_the_log_lists_every_row_newest_first(log):
    response = log["client"].get(reverse("privacy:access_log"))
    assert response.status_code == 200
    assert len(_rows(response)) == 3
    assert "网格员小刘" in _rows(response)[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "小刘"}, 2),
        ({"subject": "12"}, 2),
        ({"subject": "11"}, 1),
        ({"subject": "1"}, 0),
        ({"action": "export"}, 1),
        ({"since": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}, 2),
        ({"until": (timezone.localdate() - dt.timedelta(days=30)).isoformat()}, 1),
    ],
)
def test_the_log_filters_by_actor_subject_action_and_date(log, query, expected):
    response = log["client"].get(reverse("privacy:access_log"), query)
    rows = [r for r in _rows(response) if "没有符合条件的记录" not in r]
    assert len(rows) == expected


@pytest.mark.parametrize(
    "query",
    [{"subject": "abc"}, {"since": "2026-13-01"}, {"action": "peek"}, {"until": "0001-01-01"}],
)
def test_bad_filters_get_a_message_not_an_error(log, query):
    response = log["client"].get(reverse("privacy:access_log"), query)
    assert response.status_code == 200
    assert b'class="messages' in response.content or "error" in response.content.decode()


def test_the_xlsx_export_is_watermarked_and_itself_logged(log):
    from openpyxl import load_workbook

    response = log["client"].get(
        reverse("privacy:access_log_export"), {"format": "xlsx", "actor": "小刘"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet["A1"].value.startswith("导出人：")
    assert str(log["admin"]) in sheet["A1"].value
    assert sheet["A2"].value == "时间"
    assert sheet.max_row == 4  # watermark, header, two rows
    assert book.properties.creator == str(log["admin"])
    export = AccessEvent.objects.filter(action="export", actor=log["admin"]).get()
    assert export.subject_count == 2 and "actor=小刘" in export.description


def test_the_csv_export_starts_with_its_header(log):
    """No watermark line in csv: every line is data to spreadsheet programs and importers."""
    response = log["client"].get(reverse("privacy:access_log_export"), {"format": "csv"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "时间" and len(rows) == 4


@pytest.mark.parametrize("query", [{"format": "pdf"}, {"subject": "x", "format": "csv"}])
def test_a_bad_export_request_is_400(log, query):
    assert log["client"].get(reverse("privacy:access_log_export"), query).status_code == 400


def test_an_administrator_with_a_scope_cannot_read_the_log(log):
    """The log spans every estate: an administrator assigned to one region gets 404."""
    estate = make_estate(floors=1, per_floor=1)
    scoped = make_user("admin", region=estate.community)
    client = Client()
    client.force_login(scoped)
    assert client.get(reverse("privacy:access_log")).status_code == 404
    assert client.get(reverse("privacy:access_log_export")).status_code == 404
