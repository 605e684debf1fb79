"""The maintenance fund's arithmetic (stewardship.fund_ledger), with plain data."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoqu.stewardship import fund_ledger
from xiaoqu.stewardship.fund_ledger import Entry, Totals


def test_the_module_imports_no_django():
    """A pure core: importing it loads no Django."""
    code = (
        "import sys, xiaoqu.stewardship.fund_ledger; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'ninja', 'rules')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_deposit_is_area_times_rate_rounded_half_up_to_the_fen():
    assert fund_ledger.deposit_fen(Decimal("80.00"), 5000) == 400000
    assert fund_ledger.deposit_fen(Decimal("63.27"), 2550) == 161339  # 161338.5 → up
    assert fund_ledger.deposit_fen(Decimal("63.25"), 2550) == 161288  # 161287.5 → up
    assert fund_ledger.deposit_fen(Decimal("0.01"), 49) == 0  # 0.49 fen → 0


def test_a_split_adds_up_exactly_by_largest_remainder():
    shares = fund_ledger.split_fen(100, {"a": Decimal(1), "b": Decimal(1), "c": Decimal(1)})
    assert shares == {"a": 34, "b": 33, "c": 33}
    assert (
        sum(fund_ledger.split_fen(1001, {1: Decimal("63.27"), 2: Decimal("80")}).values()) == 1001
    )


def test_totals_and_balance_per_dwelling_and_estate():
    entries = [
        Entry(1, "deposit", 1000),
        Entry(2, "deposit", 500),
        Entry(1, "interest", 10),
        Entry(1, "withdrawal", -300),
    ]
    per = fund_ledger.dwelling_totals(entries)
    assert per[1] == Totals(1000, 10, 300) and per[1].balance == 710
    assert fund_ledger.estate_totals(per).balance == 1210


def test_the_first_dwelling_short_is_named_in_the_order_of_the_shares():
    assert fund_ledger.first_short({1: 100, 2: 5, 3: 0}, {1: 50, 3: 1, 2: 6}) == 3
    assert fund_ledger.first_short({1: 100}, {1: 100}) is None


def test_periods_cut_the_year_into_whole_months():
    p = fund_ledger.period_of(dt.date(2025, 8, 15), 2)
    assert (p.start, p.end, p.key) == (dt.date(2025, 7, 1), dt.date(2026, 1, 1), "2025-2")
    assert p.previous().key == "2025-1" and p.following().key == "2026-1"
    q = fund_ledger.period_of(dt.date(2025, 1, 1), 4)
    assert (q.start, q.last_day) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    with pytest.raises(ValueError):
        fund_ledger.period_of(dt.date(2025, 1, 1), 5)


def test_a_statement_reconciles_opening_movements_and_closing():
    entries = [
        Entry(1, "deposit", 1000, dt.date(2025, 3, 1)),
        Entry(1, "interest", 7, dt.date(2025, 7, 1)),
        Entry(1, "withdrawal", -200, dt.date(2025, 12, 31)),
        Entry(1, "deposit", 50, dt.date(2026, 1, 1)),
    ]
    s = fund_ledger.statement(entries, dt.date(2025, 7, 1), dt.date(2026, 1, 1))
    assert (s.opening, s.movements, s.closing) == (1000, Totals(0, 7, 200), 807)


# --- any sequence of operations keeps every balance ≥ 0 and the identities exact ---------------

DWELLINGS = st.dictionaries(
    st.integers(1, 6),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2),
    min_size=1,
)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("deposit"), st.integers(0, 10_000)),
        st.tuples(st.just("interest"), st.integers(1, 100_000)),
        st.tuples(st.just("withdrawal"), st.integers(1, 5_000_000), st.integers(1, 6)),
    ),
    max_size=25,
)


def _apply(op, areas, entries):
    """What the services do, with plain data: a refused operation writes nothing."""
    balances = {k: t.balance for k, t in fund_ledger.dwelling_totals(entries).items()}
    if op[0] == "deposit":
        return [Entry(d, "deposit", fund_ledger.deposit_fen(a, op[1])) for d, a in areas.items()]
    if op[0] == "interest":
        positive = {k: b for k, b in balances.items() if b > 0}
        if not positive:
            return []
        return [Entry(d, "interest", f) for d, f in fund_ledger.split_fen(op[1], positive).items()]
    beneficiaries = {d: a for d, a in areas.items() if d <= op[2]}
    if not beneficiaries:
        return []
    shares = fund_ledger.split_fen(op[1], beneficiaries)
    if fund_ledger.first_short(balances, shares) is not None:
        return []
    return [Entry(d, "withdrawal", -f) for d, f in shares.items()]


@settings(max_examples=200, deadline=None)
@given(areas=DWELLINGS, operations=OPERATIONS)
def test_any_sequence_keeps_balances_non_negative_and_identities_exact(areas, operations):
    entries: list[Entry] = []
    for op in operations:
        written = [e for e in _apply(op, areas, entries) if e.amount_fen != 0]
        for e in written:
            fund_ledger.check_entry(e)
        if op[0] != "deposit" and written:
            assert (
                sum(-e.amount_fen if e.kind == "withdrawal" else e.amount_fen for e in written)
                == op[1]
            )
        entries += written
        per = fund_ledger.dwelling_totals(entries)
        assert all(t.balance >= 0 for t in per.values())
        estate = fund_ledger.estate_totals(per)
        assert (
            estate.balance
            == sum(t.balance for t in per.values())
            == sum(e.amount_fen for e in entries)
        )
        assert estate.balance == estate.deposits + estate.interest - estate.withdrawals
