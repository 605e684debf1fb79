"""The money services: receipts, payments, reversals and residents' contributions.

Bad input gets a message and changes nothing; the ledger is only ever appended to; the
contributions of a split add up to its amount exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_project, make_user, region_chain, tiny_image
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.renovation.models import (
    Contribution,
    ContributionPlan,
    EntryKind,
    MoneyEntry,
    ProjectEvent,
    SplitMethod,
)
from xiaoqu.renovation.money_selectors import project_ledger, reversed_ids
from xiaoqu.renovation.services import money

pytestmark = pytest.mark.django_db

PNG = tiny_image("PNG")
PDF = b"%PDF-1.7\n" + b"0" * 64


@pytest.fixture
def project(estate, staff):
    return make_project(estate, staff)


@pytest.fixture
def items(project):
    """The sewer (中央 200,000 + 市县 100,000), the sidewalk, the elevator (中央 300,000 +
    居民出资 300,000)."""
    return list(project.items.order_by("pk"))


def _today() -> dt.date:
    return timezone.localdate()


def _ledger_state():
    return (MoneyEntry.objects.count(), AuditLog.objects.count(), ProjectEvent.objects.count())


# --- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12345.6", 1234560),
        ("12,345.60", 1234560),
        ("12，345.60", 1234560),
        (" 7 ", 700),
        ("0.01", 1),
        ("1000000000", 100_000_000_000),
    ],
)
def test_an_amount_in_yuan_becomes_exact_fen(text, fen):
    assert money.yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "amount_missing"),
        ("abc", "amount_invalid"),
        ("1.001", "amount_decimals"),
        ("0.005", "amount_decimals"),
        ("-5", "amount_negative"),
        ("0", "amount_zero"),
        ("0.00", "amount_zero"),
        ("1e5", "amount_invalid"),
        ("１２", "amount_invalid"),
        ("12.", "amount_invalid"),
        ("1,2345", "amount_invalid"),
        ("NaN", "amount_invalid"),
        ("1000000000.01", "amount_too_large"),
        ("9" * 500, "amount_too_large"),
    ],
)
def test_an_amount_that_is_not_exact_yuan_is_refused(text, code):
    """More than two decimals, a negative or zero amount, or an absurd size is never rounded or
    guessed: refused with a message."""
    with pytest.raises(DomainError) as error:
        money.yuan_to_fen(text)
    assert error.value.code == code


# --- receipts -------------------------------------------------------------------------------


def test_a_receipt_is_recorded_with_an_event_and_an_audit_row(project, staff):
    entry = money.receipt_record(
        project=project,
        source="central",
        amount="1,000,000.00",
        on=_today(),
        note="黔财建〔2025〕12号",
        actor=staff,
    )
    assert (entry.kind, entry.item, entry.amount_fen) == (EntryKind.RECEIPT, None, 100_000_000)
    assert project.events.filter(kind="money_receipt").exists()
    assert AuditLog.objects.filter(action="renovation.receipt_record", object_id=entry.pk).exists()
    assert project_ledger(project).sources["central"].received == 100_000_000


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"source": "bonds"}, "source_not_planned"),
        ({"source": "lottery"}, "source"),
        ({"amount": "1.234"}, "amount_decimals"),
        ({"amount": "-100"}, "amount_negative"),
        ({"on": "future"}, "date_future"),
        ({"on": dt.date(1999, 12, 31)}, "date_past"),
    ],
)
def test_a_bad_receipt_changes_nothing(project, staff, changes, code):
    """A source the project does not plan (专项债 here), a bad amount, a future date: refused."""
    fields = {"source": "central", "amount": "100.00", "on": _today()} | changes
    if fields["on"] == "future":
        fields["on"] = _today() + dt.timedelta(days=1)
    before = _ledger_state()
    with pytest.raises(DomainError) as error:
        money.receipt_record(project=project, actor=staff, **fields)
    assert error.value.code == code
    assert _ledger_state() == before


@pytest.mark.parametrize("role", [Role.CONTRACTOR, Role.GRID_WORKER, Role.RESIDENT])
def test_roles_without_the_money_permission_cannot_record(project, estate, role):
    user = make_user(role, estate=estate, password=None)
    with pytest.raises(DomainError) as error:
        money.receipt_record(
            project=project, source="central", amount="1.00", on=_today(), actor=user
        )
    assert error.value.code == "out_of_scope"
    assert not MoneyEntry.objects.exists()


def test_money_staff_of_another_district_cannot_record(project):
    other = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    user = make_user(Role.HOUSING_BUREAU, region=other[2], password=None)
    with pytest.raises(DomainError):
        money.receipt_record(
            project=project, source="central", amount="1.00", on=_today(), actor=user
        )
    assert not MoneyEntry.objects.exists()


def test_the_housing_bureau_of_the_district_records_money(project):
    bureau = make_user(Role.HOUSING_BUREAU, region=region_chain()[2], password=None)
    money.receipt_record(project=project, source="local", amount="5.00", on=_today(), actor=bureau)
    assert MoneyEntry.objects.count() == 1


# --- payments -------------------------------------------------------------------------------


def test_a_payment_is_for_an_item_from_a_source_it_is_funded_by(project, items, staff):
    sewer = items[0]
    entry = money.payment_record(
        item=sewer,
        source="local",
        amount="30000",
        on=_today(),
        payee="贵州建工集团",
        note="进度款第一期",
        actor=staff,
    )
    assert (entry.kind, entry.item, entry.amount_fen, entry.project) == (
        EntryKind.PAYMENT,
        sewer,
        3_000_000,
        project,
    )
    figures = project_ledger(project).items[sewer.pk]
    assert figures.sources["local"].paid == 3_000_000
    assert figures.sources["local"].remaining == 10_000_000 - 3_000_000


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"source": "owners"}, "source_not_funding"),  # the sewer has no residents' money
        ({"payee": "  "}, "payee"),
        ({"amount": "0"}, "amount_zero"),
        ({"amount": "12.345"}, "amount_decimals"),
        ({"on": "future"}, "date_future"),
    ],
)
def test_a_bad_payment_changes_nothing(items, staff, changes, code):
    fields = {"source": "central", "amount": "100.00", "on": _today(), "payee": "施工单位"}
    fields |= changes
    if fields["on"] == "future":
        fields["on"] = _today() + dt.timedelta(days=3)
    before = _ledger_state()
    with pytest.raises(DomainError) as error:
        money.payment_record(item=items[0], actor=staff, **fields)
    assert error.value.code == code
    assert _ledger_state() == before


def test_a_payment_before_the_money_arrives_is_recorded_and_flagged(project, items, staff):
    """Works are often paid before the transfer: recorded, and the ledger says 超支."""
    money.payment_record(
        item=items[0], source="central", amount="500", on=_today(), payee="施工单位", actor=staff
    )
    ledger = project_ledger(project)
    assert [(a.kind, a.source, a.over_fen) for a in ledger.alerts] == [
        ("overdrawn", "central", 50_000)
    ]


def test_a_voucher_is_kept_under_a_name_of_ours(items, staff):
    """An image or a PDF, recognised by its bytes; the uploaded name never reaches the disk."""
    entry = money.payment_record(
        item=items[0],
        source="central",
        amount="1.00",
        on=_today(),
        payee="施工单位",
        document=SimpleUploadedFile("../../etc/发票.png", PNG, content_type="text/html"),
        actor=staff,
    )
    assert entry.document.name.startswith("renovation/money/")
    assert entry.document.name.endswith(".png")
    assert "发票" not in entry.document.name and ".." not in entry.document.name
    pdf = money.receipt_record(
        project=items[0].project,
        source="central",
        amount="1.00",
        on=_today(),
        document=SimpleUploadedFile("a.pdf", PDF),
        actor=staff,
    )
    assert pdf.document.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"<html><script>alert(1)</script></html>", "document_type"),
        (b"MZ\x90\x00" + b"\x00" * 20, "document_type"),
        (PNG + b"\x00" * (money.DOCUMENT_MAX_BYTES), "document_too_large"),
    ],
)
def test_a_voucher_that_is_not_a_pdf_or_an_image_or_too_large_is_refused(
    items, staff, content, code
):
    before = _ledger_state()
    with pytest.raises(DomainError) as error:
        money.payment_record(
            item=items[0],
            source="central",
            amount="1.00",
            on=_today(),
            payee="施工单位",
            document=SimpleUploadedFile("x.pdf", content),
            actor=staff,
        )
    assert error.value.code == code
    assert _ledger_state() == before


# --- reversals ------------------------------------------------------------------------------


def test_a_reversal_cancels_an_entry_without_touching_it(project, items, staff):
    entry = money.payment_record(
        item=items[0], source="central", amount="800", on=_today(), payee="施工单位", actor=staff
    )
    reversal = money.entry_reverse(entry=entry, reason="金额录错，应为 80 元", actor=staff)
    entry.refresh_from_db()
    assert entry.amount_fen == 80_000  # unchanged
    assert (reversal.kind, reversal.item, reversal.source, reversal.amount_fen) == (
        entry.kind,
        entry.item,
        entry.source,
        -80_000,
    )
    assert reversal.note == f"冲销#{entry.pk}：金额录错，应为 80 元"
    assert money.reversed_entry_id(reversal.note) == entry.pk
    assert reversed_ids(project) == {entry.pk}
    assert project_ledger(project).paid == 0
    assert AuditLog.objects.filter(action="renovation.entry_reverse").get().after["reverses"] == (
        entry.pk
    )


def test_an_entry_is_reversed_once_and_a_reversal_never(project, staff):
    entry = money.receipt_record(
        project=project, source="central", amount="10", on=_today(), actor=staff
    )
    reversal = money.entry_reverse(entry=entry, reason="重复录入", actor=staff)
    before = _ledger_state()
    with pytest.raises(DomainError) as twice:
        money.entry_reverse(entry=entry, reason="再冲一次", actor=staff)
    with pytest.raises(DomainError) as of_reversal:
        money.entry_reverse(entry=reversal, reason="撤销冲销", actor=staff)
    assert (twice.value.code, of_reversal.value.code) == (
        "already_reversed",
        "reversal_of_reversal",
    )
    assert _ledger_state() == before


def test_a_reversal_needs_a_reason_and_the_permission(project, estate, staff):
    entry = money.receipt_record(
        project=project, source="central", amount="10", on=_today(), actor=staff
    )
    with pytest.raises(DomainError) as error:
        money.entry_reverse(entry=entry, reason="   ", actor=staff)
    assert error.value.code == "reason"
    contractor = make_user(Role.CONTRACTOR, estate=estate, password=None)
    with pytest.raises(DomainError):
        money.entry_reverse(entry=entry, reason="错", actor=contractor)
    assert MoneyEntry.objects.count() == 1


def test_a_note_that_looks_like_a_reversal_on_a_positive_entry_blocks_nothing(project, staff):
    """Only negative entries reverse: a receipt whose note starts with 冲销#… is just a note."""
    first = money.receipt_record(
        project=project, source="central", amount="10", on=_today(), actor=staff
    )
    money.receipt_record(
        project=project,
        source="central",
        amount="10",
        on=_today(),
        note=f"冲销#{first.pk}：假的",
        actor=staff,
    )
    assert reversed_ids(project) == set()
    money.entry_reverse(entry=first, reason="真的冲销", actor=staff)
    assert reversed_ids(project) == {first.pk}


# --- residents' contributions ---------------------------------------------------------------


@pytest.fixture
def elevator(items, estate):
    """The elevator item, for the first entrance (6 dwellings on floors 1–3)."""
    item = items[2]
    item.entrance = estate.buildings.get().entrances.order_by("number").first()
    item.save()
    return item


def test_a_split_by_area_covers_the_estate_and_adds_up_exactly(items, estate, staff):
    """An item without an entrance is shared by every dwelling of the estate, by area."""
    item = items[2]
    areas = [Decimal("55.50"), Decimal("72.25"), Decimal("90.00")]
    for i, d in enumerate(estate.dwellings.order_by("pk")):
        d.area = areas[i % 3]
        d.save()
    plan = money.contribution_split(
        item=item, method=SplitMethod.AREA, amount="100000.01", actor=staff
    )
    shares = {c.dwelling_id: c.amount_fen for c in plan.shares.all()}
    assert len(shares) == estate.dwellings.count() == 12
    assert sum(shares.values()) == 10_000_001
    by_area: dict[Decimal, set[int]] = {}
    for d in estate.dwellings.all():
        by_area.setdefault(d.area, set()).add(shares[d.pk])
    # equal areas pay equal shares, give or take the one fen of rounding
    assert all(max(v) - min(v) <= 1 for v in by_area.values())
    assert plan.coefficients == {} and plan.times_area is False


def test_a_split_by_floor_uses_the_entrance_and_the_default_table(elevator, staff):
    """Default table 1:0, 2:0.4, 3:0.8: the ground floor pays nothing; weights 0.4 and 0.8."""
    plan = money.contribution_split(
        item=elevator,
        method=SplitMethod.FLOOR,
        amount="300000",
        coefficients=money.default_floor_coefficients(),
        actor=staff,
    )
    shares = {(c.dwelling.floor, c.dwelling.number): c.amount_fen for c in plan.shares.all()}
    assert shares == {
        (1, "101"): 0,
        (1, "102"): 0,
        (2, "201"): 5_000_000,
        (2, "202"): 5_000_000,
        (3, "301"): 10_000_000,
        (3, "302"): 10_000_000,
    }
    assert plan.coefficients == {
        "1": "0",
        "2": "0.4",
        "3": "0.8",
        "4": "1.0",
        "5": "1.2",
        "6": "1.4",
        "7": "1.6",
    }
    assert ProjectEvent.objects.filter(kind="contribution_split", item=elevator).exists()


def test_a_floor_table_from_the_form_times_the_area(elevator, staff):
    """A blank floor is left out of the table and takes the coefficient of the floor below."""
    for d in elevator.entrance.dwellings.all():
        d.area = Decimal("100.00") if d.number.endswith("1") else Decimal("50.00")
        d.save()
    plan = money.contribution_split(
        item=elevator,
        method=SplitMethod.FLOOR,
        amount="1500.00",
        coefficients={"1": "0", "2": "1", "3": ""},
        times_area=True,
        actor=staff,
    )
    shares = {c.dwelling.number: c.amount_fen for c in plan.shares.select_related("dwelling")}
    # weights 0, 0, 1 × 100, 1 × 50, 1 × 100, 1 × 50 of 300
    assert shares == {
        "101": 0,
        "102": 0,
        "201": 50_000,
        "202": 25_000,
        "301": 50_000,
        "302": 25_000,
    }
    assert plan.coefficients == {"1": "0", "2": "1"} and plan.times_area


def test_a_floor_below_the_table_is_refused_with_the_split_message(elevator, staff):
    with pytest.raises(DomainError) as error:
        money.contribution_split(
            item=elevator,
            method=SplitMethod.FLOOR,
            amount="100",
            coefficients={"2": "1"},
            actor=staff,
        )
    assert "第 1 层没有系数" in error.value.message
    assert not ContributionPlan.objects.exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": "300000.01"}, "above_owners_funding"),
        ({"amount": "1.001"}, "amount_decimals"),
        ({"amount": "0"}, "amount_zero"),
        ({"method": "lottery"}, "method"),
        ({"method": "floor", "coefficients": {}}, "coefficients"),
        ({"method": "floor", "coefficients": {"1": "-1"}}, "coefficient_value"),
        ({"method": "floor", "coefficients": {"1": "0.12345"}}, "coefficient_value"),
        ({"method": "floor", "coefficients": {"1": "101"}}, "coefficient_value"),
        ({"method": "floor", "coefficients": {"x": "1"}}, "coefficient_floor"),
        ({"method": "floor", "coefficients": {"0": "1"}}, "coefficient_floor"),
        ({"method": "floor", "coefficients": {"1": "0", "2": "0", "3": "0"}}, "split"),
    ],
)
def test_a_bad_split_changes_nothing(elevator, staff, changes, code):
    fields = {"method": "area", "amount": "1000"} | changes
    before = (ContributionPlan.objects.count(), Contribution.objects.count(), _ledger_state())
    with pytest.raises(DomainError) as error:
        money.contribution_split(item=elevator, actor=staff, **fields)
    assert error.value.code == code
    assert (ContributionPlan.objects.count(), Contribution.objects.count(), _ledger_state()) == (
        before
    )


def test_an_item_without_residents_money_is_not_split(items, staff):
    with pytest.raises(DomainError) as error:
        money.contribution_split(item=items[0], method="area", amount="1", actor=staff)
    assert error.value.code == "no_owners_funding"


def test_a_split_is_replaced_until_residents_money_is_paid_for_the_item(elevator, staff):
    first = money.contribution_split(item=elevator, method="area", amount="1000", actor=staff)
    second = money.contribution_split(item=elevator, method="area", amount="2000", actor=staff)
    assert not ContributionPlan.objects.filter(pk=first.pk).exists()
    assert Contribution.objects.filter(plan=second).count() == 6
    assert sum(second.shares.values_list("amount_fen", flat=True)) == 200_000
    audit = AuditLog.objects.filter(action="renovation.contribution_split").order_by("pk").last()
    assert audit.before == {"method": "area", "amount_fen": 100_000}
    payment = money.payment_record(
        item=elevator, source="owners", amount="500", on=_today(), payee="电梯公司", actor=staff
    )
    with pytest.raises(DomainError) as error:
        money.contribution_split(item=elevator, method="area", amount="3000", actor=staff)
    assert error.value.code == "split_after_payment"
    assert ContributionPlan.objects.get().pk == second.pk
    # A payment from another source does not freeze it, and a reversed one no longer does.
    money.entry_reverse(entry=payment, reason="付错来源", actor=staff)
    money.payment_record(
        item=elevator, source="central", amount="500", on=_today(), payee="电梯公司", actor=staff
    )
    third = money.contribution_split(item=elevator, method="area", amount="3000", actor=staff)
    assert third.amount_fen == 300_000


def test_only_project_staff_split(elevator, estate):
    for role in (Role.CONTRACTOR, Role.HOUSING_BUREAU, Role.OWNER):
        user = make_user(role, estate=estate, password=None)
        with pytest.raises(DomainError):
            money.contribution_split(item=elevator, method="area", amount="1", actor=user)
    assert not ContributionPlan.objects.exists()


@override_settings(XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS="1:0, 2:1, 4:3")
def test_the_default_table_comes_from_the_settings():
    assert money.default_floor_coefficients() == {1: Decimal(0), 2: Decimal(1), 4: Decimal(3)}


@pytest.mark.parametrize("value", ["1=0", "1:abc", "0:1", "1:0,2"])
def test_a_malformed_default_table_stops_with_a_configuration_error(value):
    with (
        override_settings(XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS=value),
        pytest.raises(ImproperlyConfigured, match="XIAOQU_ELEVATOR_FLOOR_COEFFICIENTS"),
    ):
        money.default_floor_coefficients()
