"""The maintenance fund's arithmetic (住宅专项维修资金): balances, shares, statement periods.

A pure module (no Django), fed with plain data. Money is integer fen. A dwelling's account
is a list of entries: deposits and interest are positive, its share of a use (withdrawal)
is negative. The identities every page and service relies on:

* per dwelling: balance = deposits + interest − withdrawals, and it is never below 0 (a use
  that would overdraw any dwelling is refused as a whole, see :func:`first_short`);
* per estate: each total is the sum of its dwellings' totals, so the estate's balance is the
  sum of the dwellings' balances;
* per statement period: opening + deposits + interest − withdrawals = closing.

Splits use the largest-remainder method of ``renovation.contributions`` (shares add up to the
amount exactly; none is a fen or more away from its exact value).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from xiaoqu.renovation import contributions

K = TypeVar("K", bound=Hashable)

DEPOSIT = "deposit"
INTEREST = "interest"
WITHDRAWAL = "withdrawal"
KINDS = (DEPOSIT, INTEREST, WITHDRAWAL)
# Statements per year the period arithmetic accepts: periods of whole months.
PERIODS_PER_YEAR = (1, 2, 3, 4, 6, 12)


@dataclass(frozen=True)
class Entry:
    """One line of a dwelling's account; ``amount_fen`` is signed (a withdrawal < 0)."""

    dwelling: Hashable
    kind: str
    amount_fen: int
    on: dt.date = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Totals:
    """Deposits, interest and withdrawals (each ≥ 0 as written here) and what is left."""

    deposits: int = 0
    interest: int = 0
    withdrawals: int = 0

    @property
    def balance(self) -> int:
        return self.deposits + self.interest - self.withdrawals

    def add(self, entry: Entry) -> Totals:
        if entry.kind == DEPOSIT:
            return Totals(self.deposits + entry.amount_fen, self.interest, self.withdrawals)
        if entry.kind == INTEREST:
            return Totals(self.deposits, self.interest + entry.amount_fen, self.withdrawals)
        if entry.kind == WITHDRAWAL:
            return Totals(self.deposits, self.interest, self.withdrawals - entry.amount_fen)
        raise ValueError(f"unknown entry kind {entry.kind!r}")

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.deposits + other.deposits,
            self.interest + other.interest,
            self.withdrawals + other.withdrawals,
        )


def check_entry(entry: Entry) -> None:
    """A deposit or interest is positive; a withdrawal share is negative."""
    if entry.kind not in KINDS:
        raise ValueError(f"unknown entry kind {entry.kind!r}")
    if (entry.kind == WITHDRAWAL) != (entry.amount_fen < 0) or entry.amount_fen == 0:
        raise ValueError(f"wrong sign for a {entry.kind}: {entry.amount_fen}")


def dwelling_totals(entries: Iterable[Entry]) -> dict[Hashable, Totals]:
    """Each dwelling's totals, in the order dwellings first appear."""
    totals: dict[Hashable, Totals] = {}
    for entry in entries:
        totals[entry.dwelling] = totals.get(entry.dwelling, Totals()).add(entry)
    return totals


def estate_totals(per_dwelling: Mapping[Hashable, Totals]) -> Totals:
    """The estate's totals: the sum of its dwellings'."""
    total = Totals()
    for t in per_dwelling.values():
        total = total + t
    return total


def first_short(balances: Mapping[K, int], shares: Mapping[K, int]) -> K | None:
    """The first dwelling (in the order of ``shares``) whose balance cannot pay its share."""
    for key, share in shares.items():
        if share > balances.get(key, 0):
            return key
    return None


def deposit_fen(area: Decimal, rate_fen_per_m2: int) -> int:
    """A dwelling's deposit: exclusive area × rate, rounded to the fen, half up."""
    exact = Decimal(area) * rate_fen_per_m2
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_fen: int, percent: Decimal) -> int:
    """``percent`` % of an amount, rounded to the fen, half up."""
    exact = Decimal(amount_fen) * Decimal(percent) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_fen(amount_fen: int, weights: Mapping[K, Decimal | int]) -> dict[K, int]:
    """``amount_fen`` shared in proportion to ``weights`` (largest remainder, exact total).

    Raises ``contributions.SplitError`` (a Chinese message) when nothing carries weight.
    """
    shares = contributions.split(Decimal(amount_fen) / 100, weights)
    return {key: int(value * 100) for key, value in shares.items()}


# --- statement periods -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A statement period: ``start`` ≤ day < ``end``; number ``index`` (1…per year) of ``year``."""

    year: int
    index: int
    per_year: int
    start: dt.date
    end: dt.date

    @property
    def key(self) -> str:
        return f"{self.year}-{self.index}"

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def previous(self) -> Period:
        return period_of(self.start - dt.timedelta(days=1), self.per_year)

    def following(self) -> Period:
        return period_of(self.end, self.per_year)


def _check_per_year(per_year: int) -> None:
    if per_year not in PERIODS_PER_YEAR:
        raise ValueError(f"statements per year must be one of {PERIODS_PER_YEAR}: {per_year}")


def period_of(day: dt.date, per_year: int) -> Period:
    """The statement period holding ``day`` when the year is cut into ``per_year`` parts."""
    _check_per_year(per_year)
    months = 12 // per_year
    index = (day.month - 1) // months + 1
    return period_numbered(day.year, index, per_year)


def period_numbered(year: int, index: int, per_year: int) -> Period:
    _check_per_year(per_year)
    if not 1 <= index <= per_year:
        raise ValueError(f"period {index} of {per_year}")
    months = 12 // per_year
    first_month = (index - 1) * months + 1
    start = dt.date(year, first_month, 1)
    end_month = first_month + months
    end = dt.date(year + 1, 1, 1) if end_month > 12 else dt.date(year, end_month, 1)
    return Period(year, index, per_year, start, end)


@dataclass(frozen=True)
class Statement:
    """One account (a dwelling's or the estate's) over a period."""

    opening: int
    movements: Totals
    closing: int


def statement(entries: Iterable[Entry], start: dt.date, end: dt.date) -> Statement:
    """Opening balance before ``start``, the movements of [start, end), the closing balance."""
    before = Totals()
    during = Totals()
    for entry in entries:
        if entry.on < start:
            before = before.add(entry)
        elif entry.on < end:
            during = during.add(entry)
    return Statement(before.balance, during, before.balance + during.balance)
