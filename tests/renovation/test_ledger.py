"""A project's money reconciled: sources = payments + balance, per item planned = paid +
remaining, alerts when a limit is passed — on plain rows, and the same through the database."""

from __future__ import annotations

import contextlib
from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_estate, make_project, make_user, region_chain
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.renovation import ledger
from xiaoqu.renovation.ledger import (
    OVER_BUDGET,
    OVER_PLANNED,
    OVERDRAWN,
    PAYMENT,
    RECEIPT,
    Entry,
    identity_problems,
    reconcile,
)
from xiaoqu.renovation.models import FundSource, MoneyEntry
from xiaoqu.renovation.money_selectors import project_ledger
from xiaoqu.renovation.services import money

SOURCES = ("central", "local", "owners")


def _pay(item: int, source: str, fen: int) -> Entry:
    return Entry(PAYMENT, source, fen, item=item)


def test_a_small_project_adds_up_by_source_and_by_item():
    """Two items, two sources: balances, remainders and no alert while within limits."""
    result = reconcile(
        budgets={1: 300_00, 2: 100_00},
        planned=[(1, "central", 200_00), (1, "local", 100_00), (2, "central", 100_00)],
        entries=[
            Entry(RECEIPT, "central", 250_00),
            Entry(RECEIPT, "local", 100_00),
            _pay(1, "central", 150_00),
            _pay(2, "central", 80_00),
            _pay(1, "local", 60_00),
        ],
        source_order=SOURCES,
    )
    central, local = result.sources["central"], result.sources["local"]
    assert (central.planned, central.received, central.paid, central.balance) == (
        300_00,
        250_00,
        230_00,
        20_00,
    )
    assert (local.planned, local.received, local.paid, local.balance) == (
        100_00,
        100_00,
        60_00,
        40_00,
    )
    assert (result.items[1].planned, result.items[1].paid, result.items[1].remaining) == (
        300_00,
        210_00,
        90_00,
    )
    assert result.items[1].sources["central"].remaining == 50_00
    assert (result.received, result.paid, result.balance) == (350_00, 290_00, 60_00)
    assert result.alerts == []
    assert identity_problems(result) == []


def test_paying_beyond_what_arrived_overdraws_the_source():
    """超支/资金未到位: a source paid out more than it received, by how much."""
    result = reconcile(
        budgets={1: 500_00},
        planned=[(1, "central", 500_00)],
        entries=[Entry(RECEIPT, "central", 100_00), _pay(1, "central", 130_00)],
    )
    assert result.alerts == [ledger.Alert(OVERDRAWN, 30_00, source="central")]
    assert result.sources["central"].balance == -30_00
    assert [a.kind for a in result.source_alerts("central")] == [OVERDRAWN]


def test_paying_beyond_the_budget_and_the_plan_flags_the_item():
    """超预算 for the item, 超计划 for the item's source."""
    result = reconcile(
        budgets={1: 100_00},
        planned=[(1, "central", 60_00), (1, "local", 40_00)],
        entries=[Entry(RECEIPT, "central", 200_00), _pay(1, "central", 120_00)],
    )
    assert {(a.kind, a.item, a.source, a.over_fen) for a in result.alerts} == {
        (OVER_BUDGET, 1, None, 20_00),
        (OVER_PLANNED, 1, "central", 60_00),
    }
    assert result.items[1].remaining == -20_00


def test_a_reversing_entry_cancels_its_entry_and_the_alert_with_it():
    """The negative entry undoes the payment: figures as if it never happened."""
    wrong = _pay(1, "central", 900_00)
    result = reconcile(
        budgets={1: 100_00},
        planned=[(1, "central", 100_00)],
        entries=[Entry(RECEIPT, "central", 100_00), wrong, _pay(1, "central", -900_00)],
    )
    assert result.items[1].paid == 0
    assert result.alerts == []


def test_a_payment_from_an_unplanned_source_or_item_still_counts_and_is_flagged():
    """Rows the plan does not know (funding changed after a payment) are never dropped."""
    result = reconcile(
        budgets={1: 100_00},
        planned=[(1, "central", 100_00)],
        entries=[Entry(RECEIPT, "bonds", 50_00), _pay(1, "bonds", 50_00), _pay(7, "central", 1)],
    )
    assert result.items[1].sources["bonds"].planned == 0
    assert result.items[7].budget == 0
    kinds = {(a.kind, a.item) for a in result.alerts}
    assert (OVER_PLANNED, 1) in kinds and (OVER_BUDGET, 7) in kinds
    assert identity_problems(result) == []


def test_sources_are_listed_in_the_given_order():
    result = reconcile(
        budgets={},
        planned=[],
        entries=[
            Entry(RECEIPT, "owners", 1),
            Entry(RECEIPT, "zzz", 1),
            Entry(RECEIPT, "central", 1),
        ],
        source_order=SOURCES,
    )
    assert list(result.sources) == ["central", "owners", "zzz"]


@pytest.mark.parametrize(
    "entry",
    [Entry(RECEIPT, "central", 1, item=1), Entry(PAYMENT, "central", 1), Entry("gift", "x", 1)],
)
def test_a_malformed_entry_is_refused(entry):
    with pytest.raises(ValueError):
        reconcile(budgets={}, planned=[], entries=[entry])


# --- any sequence keeps the identities (Hypothesis) ---------------------------------------------

items_st = st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True)
fen_st = st.integers(1, 10**11)


@st.composite
def projects(draw):
    """Budgets, plans and a ledger of receipts, payments and reversals of earlier lines."""
    items = draw(items_st)
    budgets = {i: draw(st.integers(0, 10**11)) for i in items}
    planned = [
        (i, s, draw(st.integers(0, 10**11)))
        for i in items
        for s in draw(st.lists(st.sampled_from(SOURCES), unique=True, max_size=3))
    ]
    entries: list[Entry] = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(("receipt", "payment", "reverse")))
        if kind == "reverse" and entries:
            original = draw(st.sampled_from(entries))
            entries.append(
                Entry(original.kind, original.source, -original.amount_fen, original.item)
            )
        elif kind == "receipt":
            entries.append(Entry(RECEIPT, draw(st.sampled_from(SOURCES)), draw(fen_st)))
        else:
            item = draw(st.sampled_from([*items, 99]))  # 99: an item with no budget row
            entries.append(_pay(item, draw(st.sampled_from(SOURCES)), draw(fen_st)))
    return budgets, planned, entries


@settings(max_examples=300, deadline=None)
@given(projects())
def test_any_sequence_of_receipts_payments_and_reversals_keeps_the_identities(project):
    """Σ received = Σ paid + Σ balance; per item (and source) planned = paid + remaining; the
    figures equal the plain sums of the entries and the alerts are exactly the limits passed."""
    budgets, planned, entries = project
    result = reconcile(budgets=budgets, planned=planned, entries=entries, source_order=SOURCES)
    assert identity_problems(result) == []

    received: dict[str, int] = defaultdict(int)
    paid: dict[tuple[int, str], int] = defaultdict(int)
    for e in entries:
        if e.kind == RECEIPT:
            received[e.source] += e.amount_fen
        else:
            assert e.item is not None
            paid[e.item, e.source] += e.amount_fen
    plans: dict[tuple[int, str], int] = defaultdict(int)
    for i, s, fen in planned:
        plans[i, s] += fen
    for s, figures in result.sources.items():
        assert figures.received == received[s]
        assert figures.paid == sum(v for (_i, src), v in paid.items() if src == s)
        assert figures.balance == figures.received - figures.paid
    assert result.received == sum(received.values())
    assert result.paid == sum(paid.values())
    assert result.received == result.paid + result.balance

    expected = {(OVERDRAWN, None, s) for s, f in result.sources.items() if f.paid > f.received}
    for i, figures in result.items.items():
        item_paid = sum(v for (it, _s), v in paid.items() if it == i)
        assert figures.paid == item_paid
        assert figures.planned == figures.paid + figures.remaining
        assert figures.budget == budgets.get(i, 0)
        if item_paid > budgets.get(i, 0):
            expected.add((OVER_BUDGET, i, None))
        for s, cell in figures.sources.items():
            assert cell.planned == plans[i, s]
            assert cell.paid == paid[i, s]
            if cell.paid > cell.planned:
                expected.add((OVER_PLANNED, i, s))
    assert {(a.kind, a.item, a.source) for a in result.alerts} == expected
    assert all(a.over_fen > 0 for a in result.alerts)


# --- through the database: the selector gives the pure module's figures -----------------------


@pytest.fixture
def staff(db):
    return make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)


@pytest.fixture
def project(staff):
    return make_project(make_estate(), staff)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


operations = st.lists(
    st.tuples(
        st.sampled_from(("receipt", "payment", "reverse")),
        st.integers(0, 10),  # which item / which earlier entry
        st.sampled_from([*SOURCES, "bonds"]),  # bonds: planned for no item, always refused
        st.integers(1, 10**9),
    ),
    max_size=12,
)


def _apply(project, staff, op, done: list[MoneyEntry]) -> None:
    kind, pick, source, fen = op
    items = list(project.items.order_by("pk"))
    if kind == "receipt":
        done.append(
            money.receipt_record(
                project=project, source=source, amount=_yuan(fen), on=_today(), actor=staff
            )
        )
    elif kind == "payment":
        item = items[pick % len(items)]
        done.append(
            money.payment_record(
                item=item,
                source=source,
                amount=_yuan(fen),
                on=_today(),
                payee="施工单位",
                actor=staff,
            )
        )
    elif done:
        done.append(
            money.entry_reverse(entry=done[pick % len(done)], reason="录入错误", actor=staff)
        )


def _today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_the_database_ledger_gives_the_same_figures_as_the_pure_module(project, staff, ops):
    """Receipts, payments and reversals through the services (refused ones change nothing):
    the selector's grouped sums reconcile like the pure module fed entry by entry."""
    with transaction.atomic():
        done: list[MoneyEntry] = []
        for op in ops:
            with contextlib.suppress(DomainError):  # refused: nothing recorded
                _apply(project, staff, op, done)
        rows = list(project.ledger.order_by("pk"))
        assert [e.pk for e in rows] == [e.pk for e in done]
        pure = reconcile(
            budgets=dict(project.items.values_list("pk", "budget_fen")),
            planned=[
                (f.item_id, f.source, f.planned_fen)
                for item in project.items.all()
                for f in item.funding.all()
            ],
            entries=[Entry(e.kind, e.source, e.amount_fen, e.item_id) for e in done],
            source_order=FundSource.values,
        )
        db = project_ledger(project)
        assert identity_problems(db) == []
        assert _figures(db) == _figures(pure)
        transaction.set_rollback(True)


def _figures(result: ledger.Ledger):
    return (
        {s: (f.planned, f.received, f.paid, f.balance) for s, f in result.sources.items()},
        {
            i: (f.budget, {s: (c.planned, c.paid) for s, c in f.sources.items()})
            for i, f in result.items.items()
        },
        sorted((a.kind, a.item or 0, a.source or "", a.over_fen) for a in result.alerts),
    )
