"""Money pages: the 资金 tab and its one-form actions, vouchers through a scoped view, the
ledger as a spreadsheet, an item's contributions and the resident's own statement."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import (
    make_estate,
    make_owner,
    make_project,
    make_user,
    region_chain,
    tiny_image,
)
from xiaoqu.accounts.models import Role
from xiaoqu.renovation.models import ContributionPlan, MoneyEntry
from xiaoqu.renovation.services import money

pytestmark = pytest.mark.django_db

PNG = tiny_image("PNG")
PDF = b"%PDF-1.4\n" + b"0" * 32


@pytest.fixture
def project(estate, staff):
    return make_project(estate, staff)


@pytest.fixture
def logged(client, staff):
    client.force_login(staff)
    return client


def _url(name: str, **kwargs) -> str:
    return reverse(f"renovation:{name}", kwargs=kwargs)


def _today() -> str:
    return timezone.localdate().isoformat()


def _items(project):
    return list(project.items.order_by("pk"))


def test_the_money_tab_shows_sources_items_alerts_and_the_ledger(logged, project, staff):
    sewer = _items(project)[0]
    money.receipt_record(
        project=project, source="central", amount="1000", on=timezone.localdate(), actor=staff
    )
    money.payment_record(
        item=sewer,
        source="central",
        amount="1500",
        on=timezone.localdate(),
        payee="贵州建工",
        actor=staff,
    )
    page = logged.get(_url("project_money", project_id=project.pk)).content.decode()
    assert 'aria-current="page">资金' in page.replace("\n", "")
    assert "中央补助" in page and "市县资金" in page and "居民出资" in page
    assert 'id="money-received">1,000.00' in page and 'id="money-paid">1,500.00' in page
    assert 'id="money-balance">-500.00' in page
    assert "超支/资金未到位" in page and "差 500.00 元" in page
    assert "贵州建工" in page and 'id="receipt-form"' in page and 'id="payment-form"' in page
    assert _url("item_contributions", item_id=_items(project)[2].pk) in page


def test_party_staff_see_the_money_but_get_no_forms(client, project, estate, staff):
    """A contractor on the project reads the tab; recording money is not theirs (404)."""
    from xiaoqu.renovation.services.projects import project_member_add

    contractor = make_user(Role.CONTRACTOR, estate=estate, password=None)
    project_member_add(project=project, user=contractor, actor=staff)
    client.force_login(contractor)
    page = client.get(_url("project_money", project_id=project.pk))
    assert page.status_code == 200
    assert 'id="receipt-form"' not in page.content.decode()
    response = client.post(
        _url("money_receipt", project_id=project.pk),
        {"source": "central", "amount": "1", "on": _today()},
    )
    assert response.status_code == 404
    assert not MoneyEntry.objects.exists()


def test_residents_do_not_see_the_money_tab(client, project, estate):
    owner = make_owner(estate.dwellings.first())
    user = make_user(Role.OWNER, estate=estate, person=owner, password=None)
    client.force_login(user)
    assert client.get(_url("project_money", project_id=project.pk)).status_code == 404


def test_a_receipt_with_a_voucher_through_the_form(logged, project):
    response = logged.post(
        _url("money_receipt", project_id=project.pk),
        {
            "source": "central",
            "amount": "200,000.00",
            "on": _today(),
            "note": "第一批",
            "document": SimpleUploadedFile("v.png", PNG),
        },
        follow=True,
    )
    assert "已记录到位资金" in response.content.decode()
    entry = MoneyEntry.objects.get()
    assert (entry.amount_fen, entry.note, entry.kind) == (20_000_000, "第一批", "receipt")
    assert entry.document


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "12.345"}, "最多精确到分"),
        ({"amount": "-3"}, "不能为负数"),
        ({"on": "2999-01-01"}, "日期不能晚于今天"),
        ({"on": "昨天"}, "请填写日期"),
        ({"source": "bonds"}, "没有计划“专项债”资金"),
        ({"document": "html"}, "凭证格式不支持"),
    ],
)
def test_a_bad_receipt_form_says_why_and_records_nothing(logged, project, data, message):
    form = {"source": "central", "amount": "100", "on": _today()} | data
    if form.get("document") == "html":
        form["document"] = SimpleUploadedFile("a.pdf", b"<html></html>")
    response = logged.post(_url("money_receipt", project_id=project.pk), form, follow=True)
    assert message in response.content.decode()
    assert not MoneyEntry.objects.exists()


def test_a_payment_through_the_form_warns_when_it_passes_a_limit(logged, project):
    elevator = _items(project)[2]
    response = logged.post(
        _url("money_payment", project_id=project.pk),
        {
            "target": f"{elevator.pk}:owners",
            "amount": "300000.01",
            "on": _today(),
            "payee": "电梯公司",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "已记录支付" in page
    assert "注意：超计划" in page and "注意：超支/资金未到位" in page
    entry = MoneyEntry.objects.get()
    assert (entry.item, entry.source, entry.amount_fen) == (elevator, "owners", 30_000_001)


def test_a_payment_for_an_item_of_another_project_is_refused(logged, project, staff):
    other = make_project(make_estate(), staff)
    foreign = _items(other)[0]
    response = logged.post(
        _url("money_payment", project_id=project.pk),
        {"target": f"{foreign.pk}:central", "amount": "1", "on": _today(), "payee": "x"},
        follow=True,
    )
    assert "请选择支付的条目和资金来源" in response.content.decode()
    assert not MoneyEntry.objects.exists()


@pytest.mark.parametrize("target", ["", "abc", "0:central", ":central", "99999999999999999999:x"])
def test_a_malformed_payment_target_is_bad_input(logged, project, target):
    response = logged.post(
        _url("money_payment", project_id=project.pk),
        {"target": target, "amount": "1", "on": _today(), "payee": "x"},
        follow=True,
    )
    assert response.status_code == 200
    assert "请选择支付的条目和资金来源" in response.content.decode()
    assert not MoneyEntry.objects.exists()


def test_a_reversal_through_the_form_and_only_of_this_projects_entries(logged, project, staff):
    entry = money.receipt_record(
        project=project, source="central", amount="10", on=timezone.localdate(), actor=staff
    )
    other = make_project(make_estate(), staff)
    foreign = money.receipt_record(
        project=other, source="central", amount="10", on=timezone.localdate(), actor=staff
    )
    url = _url("money_reverse", project_id=project.pk)
    refused = logged.post(url, {"entry": foreign.pk, "reason": "错"}, follow=True)
    assert "台账记录不存在" in refused.content.decode()
    no_reason = logged.post(url, {"entry": entry.pk, "reason": ""}, follow=True)
    assert "请说明冲销原因" in no_reason.content.decode()
    assert MoneyEntry.objects.count() == 2
    done = logged.post(url, {"entry": entry.pk, "reason": "重复录入"}, follow=True)
    page = done.content.decode()
    assert "已冲销这笔记录" in page and "已冲销</span>" in page and "-10.00" in page
    assert MoneyEntry.objects.filter(amount_fen=-1000).count() == 1


# --- vouchers -------------------------------------------------------------------------------


def test_a_voucher_is_served_by_its_bytes_to_those_who_see_the_money(
    client, logged, project, staff
):
    image = money.receipt_record(
        project=project,
        source="central",
        amount="1",
        on=timezone.localdate(),
        document=SimpleUploadedFile("x.html", PNG),
        actor=staff,
    )
    pdf = money.receipt_record(
        project=project,
        source="central",
        amount="1",
        on=timezone.localdate(),
        document=SimpleUploadedFile("x.png", PDF),
        actor=staff,
    )
    bare = money.receipt_record(
        project=project, source="central", amount="1", on=timezone.localdate(), actor=staff
    )
    response = logged.get(_url("money_document", money_entry_id=image.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PNG
    as_pdf = logged.get(_url("money_document", money_entry_id=pdf.pk))
    assert as_pdf["Content-Type"] == "application/pdf"
    assert as_pdf["Content-Disposition"].startswith("attachment")
    assert logged.get(_url("money_document", money_entry_id=bare.pk)).status_code == 404
    outsider = make_user(
        Role.COMMUNITY_STAFF,
        region=region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1],
        password=None,
    )
    client.force_login(outsider)
    assert client.get(_url("money_document", money_entry_id=image.pk)).status_code == 404


# --- the spreadsheet ------------------------------------------------------------------------


def test_the_ledger_exports_as_a_workbook_with_text_kept_as_text(logged, project, staff):
    money.receipt_record(
        project=project,
        source="central",
        amount="1234.5",
        on=timezone.localdate(),
        note='=HYPERLINK("http://evil","点我")',
        actor=staff,
    )
    response = logged.get(_url("money_export", project_id=project.pk))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("日期", "类型", "资金来源", "条目", "金额（元）")
    assert rows[1][1:3] == ("到位", "中央补助")
    assert float(rows[1][4]) == 1234.5
    assert rows[1][6] == '=HYPERLINK("http://evil","点我")'
    cell = list(sheet.iter_rows(min_row=2, max_row=2))[0][6]
    assert cell.data_type == "s"


# --- contributions --------------------------------------------------------------------------


def test_an_items_contributions_are_split_through_the_form_without_names(logged, project, estate):
    elevator = _items(project)[2]
    elevator.entrance = estate.buildings.get().entrances.order_by("number").first()
    elevator.save()
    for d in estate.dwellings.all():
        make_owner(d, name="王秀英")
    url = _url("item_contributions", item_id=elevator.pk)
    page = logged.get(url).content.decode()
    assert 'id="split-form"' in page and 'name="coef_3"' in page and 'value="0.8"' in page
    response = logged.post(
        _url("contribution_split", item_id=elevator.pk),
        {
            "method": "floor",
            "amount": "300000.00",
            "coef_1": "0",
            "coef_2": "0.4",
            "coef_3": "0.8",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "已分摊到 6 户" in page
    assert "1栋1单元301" in page and "100,000.00" in page and "300,000.00" in page
    assert "王秀英" not in page
    bad = logged.post(
        _url("contribution_split", item_id=elevator.pk),
        {"method": "area", "amount": "999999"},
        follow=True,
    )
    assert "超过计划的居民出资" in bad.content.decode()
    assert ContributionPlan.objects.get().method == "floor"


def test_only_project_staff_see_the_split_form(client, project, estate):
    elevator = _items(project)[2]
    bureau = make_user(Role.HOUSING_BUREAU, region=region_chain()[2], password=None)
    client.force_login(bureau)
    page = client.get(_url("item_contributions", item_id=elevator.pk))
    assert page.status_code == 200 and 'id="split-form"' not in page.content.decode()
    response = client.post(
        _url("contribution_split", item_id=elevator.pk), {"method": "area", "amount": "1"}
    )
    assert response.status_code == 404
    assert not ContributionPlan.objects.exists()


def test_a_resident_sees_the_shares_of_their_own_dwellings_only(client, project, estate, staff):
    dwellings = list(estate.dwellings.order_by("pk"))
    person = make_owner(dwellings[0], name="李四")
    user = make_user(Role.OWNER, estate=estate, person=person, password=None)
    client.force_login(user)
    home = client.get(reverse("registry:resident_home")).content.decode()
    assert "link-my-contributions" not in home
    money.contribution_split(item=_items(project)[2], method="area", amount="1200", actor=staff)
    home = client.get(reverse("registry:resident_home")).content.decode()
    assert _url("my_contributions") in home
    page = client.get(_url("my_contributions")).content.decode()
    assert f"statement-{dwellings[0].pk}" in page
    assert f"statement-{dwellings[1].pk}" not in page
    # 12 dwellings of 80 m²: 100.00 each, with the reason in words
    assert "100.00" in page and "12 户共 960.00 m²，本户 80.00 m²" in page
    assert "加装电梯" in page


def test_a_resident_without_contributions_is_told_so(client):
    client.force_login(make_user(password=None))
    page = client.get(_url("my_contributions")).content.decode()
    assert 'id="no-contributions"' in page
