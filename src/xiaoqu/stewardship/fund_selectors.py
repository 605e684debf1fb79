"""Reads of the maintenance fund for its pages: the estate's account, its dwellings' accounts,
statement periods, and an owner's own statement (never another owner's name or amount).

Totals are summed in the database; ``stewardship.fund_ledger`` states the identities they
keep (tests compare the two).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q, Sum
from django.utils import timezone

from xiaoqu.registry.models import Dwelling, Estate, Ownership
from xiaoqu.stewardship import fund_ledger
from xiaoqu.stewardship.fund_ledger import Entry, Period, Statement, Totals
from xiaoqu.stewardship.models import FundEntry, FundEntryKind, FundWithdrawal
from xiaoqu.stewardship.services.fund import statements_per_year


def per_year() -> int:
    value = statements_per_year()
    if value not in fund_ledger.PERIODS_PER_YEAR:
        raise ImproperlyConfigured(
            f"XIAOQU_FUND_STATEMENTS_PER_YEAR must be one of {fund_ledger.PERIODS_PER_YEAR}"
        )
    return value


def current_period(today: dt.date | None = None) -> Period:
    return fund_ledger.period_of(today or timezone.localdate(), per_year())


def period_from(key: str | None, today: dt.date | None = None) -> Period:
    """The period named ``2025-1`` (year, number), or the current one for anything else."""
    year, _sep, index = (key or "").partition("-")
    try:
        return fund_ledger.period_numbered(int(year), int(index), per_year())
    except ValueError:
        return current_period(today)


def _totals_q(prefix: str = "") -> dict[str, Any]:
    amount = f"{prefix}amount_fen"
    kind = f"{prefix}kind"
    return {
        "deposits": Sum(amount, filter=Q(**{kind: FundEntryKind.DEPOSIT})),
        "interest": Sum(amount, filter=Q(**{kind: FundEntryKind.INTEREST})),
        "withdrawals": Sum(amount, filter=Q(**{kind: FundEntryKind.WITHDRAWAL})),
    }


def _totals(row: Mapping[str, Any]) -> Totals:
    return Totals(
        int(row["deposits"] or 0), int(row["interest"] or 0), -int(row["withdrawals"] or 0)
    )


def dwelling_totals(estate: Estate) -> dict[int, Totals]:
    """Each dwelling's totals (every dwelling of the estate, in register order)."""
    rows = (
        Dwelling.objects.filter(estate=estate)
        .order_by("entrance__building__number", "entrance__number", "floor", "number", "pk")
        .values("pk")
        .annotate(**_totals_q("fund_entries__"))
    )
    return {row["pk"]: _totals(row) for row in rows}


def estate_totals(estate: Estate, before: dt.date | None = None) -> Totals:
    qs = FundEntry.objects.filter(dwelling__estate=estate)
    if before is not None:
        qs = qs.filter(on__lt=before)
    return _totals(qs.aggregate(**_totals_q()))


def estate_statement(estate: Estate, period: Period) -> Statement:
    """The estate's account over a period (opening, movements, closing)."""
    opening = estate_totals(estate, before=period.start).balance
    qs = FundEntry.objects.filter(dwelling__estate=estate, on__gte=period.start, on__lt=period.end)
    movements = _totals(qs.aggregate(**_totals_q()))
    return Statement(opening, movements, opening + movements.balance)


def entries_of(estate: Estate) -> list[Entry]:
    """The estate's entries as plain data (for the identities and tests)."""
    return [
        Entry(d, k, a, on)
        for d, k, a, on in FundEntry.objects.filter(dwelling__estate=estate)
        .order_by("on", "pk")
        .values_list("dwelling_id", "kind", "amount_fen", "on")
    ]


def period_history(estate: Estate, today: dt.date | None = None) -> list[tuple[Period, Statement]]:
    """Each statement period from the first entry to the current one, newest first."""
    first = FundEntry.objects.filter(dwelling__estate=estate).order_by("on").first()
    if first is None:
        return []
    period = current_period(today)
    rows = []
    while period.end > first.on:
        rows.append((period, estate_statement(estate, period)))
        period = period.previous()
    return rows


def withdrawals(estate: Estate, period: Period | None = None, *, approved_only: bool = False):
    """The estate's uses (newest first), with the number of dwellings charged; in a period,
    those paid in it. ``approved_only``: the uses that moved money (a pending emergency
    application has none), as the statements list them, published yet or not."""
    qs = FundWithdrawal.objects.filter(estate=estate).select_related(
        "vote", "applied_by", "approved_by"
    )
    if period is not None:
        qs = qs.filter(paid_on__gte=period.start, paid_on__lt=period.end)
    if approved_only:
        qs = qs.filter(approved_at__isnull=False)
    return qs.annotate(dwellings=Count("shares")).order_by("-pk")


# --- an owner's own statement ------------------------------------------------------------------


@dataclass
class Line:
    entry: FundEntry
    balance: int


@dataclass
class DwellingStatement:
    dwelling: Dwelling
    opening: int
    lines: list[Line] = field(default_factory=list)
    closing: int = 0
    movements: Totals = field(default_factory=Totals)


def owned_dwellings(user: Any, estate: Estate) -> list[Dwelling]:
    """The dwellings of the estate the user's person owns (a tenant owns none)."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return []
    ids = Ownership.objects.filter(person_id=person_id, dwelling__estate=estate).values(
        "dwelling_id"
    )
    return list(
        Dwelling.objects.filter(pk__in=ids)
        .select_related("building", "entrance")
        .order_by("building__number", "entrance__number", "number")
    )


def owner_statement(user: Any, estate: Estate, period: Period) -> list[DwellingStatement]:
    """Each of the user's own dwellings: opening balance, every line of the period with the
    running balance, closing balance (opening + lines = closing, to the fen)."""
    result = []
    for dwelling in owned_dwellings(user, estate):
        opening = (
            FundEntry.objects.filter(dwelling=dwelling, on__lt=period.start).aggregate(
                total=Sum("amount_fen")
            )["total"]
            or 0
        )
        statement = DwellingStatement(dwelling, int(opening))
        balance = statement.opening
        movements = Totals()
        entries = FundEntry.objects.filter(
            dwelling=dwelling, on__gte=period.start, on__lt=period.end
        ).select_related("withdrawal")
        for entry in entries.order_by("on", "pk"):
            balance += entry.amount_fen
            movements = movements.add(Entry(dwelling.pk, entry.kind, entry.amount_fen, entry.on))
            statement.lines.append(Line(entry, balance))
        statement.closing, statement.movements = balance, movements
        result.append(statement)
    return result
