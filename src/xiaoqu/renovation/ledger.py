"""A project's money reconciled from plain rows: sources, items, alerts (no Django).

Fed with each item's budget, the planned funding of each item by source, and the ledger's
entries (money received from a source for the project, money paid from a source for an item,
reversing entries as negative amounts), :func:`reconcile` gives:

* per source: planned (over the items), received, paid, balance = received − paid;
* per item and source: planned, paid, remaining = planned − paid; per item the same summed,
  with the item's budget;
* alerts: an item paid beyond its budget (超预算), a source that paid out more than it
  received (超支/资金未到位), an item paid from a source beyond what that source was planned
  to give it (超计划).

All amounts are integer fen, so every sum is exact. :func:`identity_problems` lists the
identities a ledger must satisfy (the tests check them on any sequence of entries):

* Σ received = Σ paid + Σ balance, over the sources and for the project;
* a source's paid = Σ of the items' payments from it; its planned = Σ of the items' plans;
* the project's paid = Σ over items = Σ over sources;
* per item and per item and source: planned = paid + remaining.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

RECEIPT = "receipt"
PAYMENT = "payment"

OVER_BUDGET = "over_budget"  # 超预算: an item paid beyond its budget
OVERDRAWN = "overdrawn"  # 超支/资金未到位: a source paid out more than it received
OVER_PLANNED = "over_planned"  # 超计划: an item paid from a source beyond that source's plan


@dataclass(frozen=True)
class Entry:
    """One ledger line: a receipt (``item`` None) or a payment for ``item``; a reversing
    entry has the negative amount of the entry it reverses."""

    kind: str
    source: str
    amount_fen: int
    item: int | None = None


@dataclass
class SourceFigures:
    source: str
    planned: int = 0
    received: int = 0
    paid: int = 0

    @property
    def balance(self) -> int:
        """Received and not yet paid out (negative: paid before the money arrived)."""
        return self.received - self.paid


@dataclass
class ItemSourceFigures:
    item: int
    source: str
    planned: int = 0
    paid: int = 0

    @property
    def remaining(self) -> int:
        return self.planned - self.paid


@dataclass
class ItemFigures:
    item: int
    budget: int = 0
    sources: dict[str, ItemSourceFigures] = field(default_factory=dict)

    @property
    def planned(self) -> int:
        return sum(s.planned for s in self.sources.values())

    @property
    def paid(self) -> int:
        return sum(s.paid for s in self.sources.values())

    @property
    def remaining(self) -> int:
        return self.planned - self.paid


@dataclass(frozen=True)
class Alert:
    """Something over its limit: ``kind`` (one of the constants above), where, and by how
    many fen."""

    kind: str
    over_fen: int
    item: int | None = None
    source: str | None = None


@dataclass
class Ledger:
    sources: dict[str, SourceFigures]
    items: dict[int, ItemFigures]
    alerts: list[Alert]

    @property
    def planned(self) -> int:
        return sum(s.planned for s in self.sources.values())

    @property
    def received(self) -> int:
        return sum(s.received for s in self.sources.values())

    @property
    def paid(self) -> int:
        return sum(s.paid for s in self.sources.values())

    @property
    def balance(self) -> int:
        return self.received - self.paid

    def item_alerts(self, item: int) -> list[Alert]:
        return [a for a in self.alerts if a.item == item]

    def source_alerts(self, source: str) -> list[Alert]:
        return [a for a in self.alerts if a.item is None and a.source == source]


class _Sums:
    """The figures being summed: sources and item × source cells, created when first met."""

    def __init__(self, budgets: Mapping[int, int]) -> None:
        self.items = {pk: ItemFigures(pk, budget) for pk, budget in budgets.items()}
        self.sources: dict[str, SourceFigures] = {}

    def source(self, source: str) -> SourceFigures:
        return self.sources.setdefault(source, SourceFigures(source))

    def cell(self, item: int, source: str) -> ItemSourceFigures:
        figures = self.items.setdefault(item, ItemFigures(item))
        return figures.sources.setdefault(source, ItemSourceFigures(item, source))

    def add(self, entry: Entry) -> None:
        if entry.kind == RECEIPT:
            if entry.item is not None:
                raise ValueError("a receipt is for the project, not for an item")
            self.source(entry.source).received += entry.amount_fen
        elif entry.kind == PAYMENT:
            if entry.item is None:
                raise ValueError("a payment is for an item")
            self.cell(entry.item, entry.source).paid += entry.amount_fen
            self.source(entry.source).paid += entry.amount_fen
        else:
            raise ValueError(f"unknown entry kind {entry.kind!r}")


def reconcile(
    *,
    budgets: Mapping[int, int],
    planned: Iterable[tuple[int, str, int]],
    entries: Iterable[Entry],
    source_order: Sequence[str] = (),
) -> Ledger:
    """The figures and alerts of a project (see the module's docstring).

    ``budgets``: item → budget; ``planned``: (item, source, planned) rows; ``entries``: the
    ledger. Sources are listed in ``source_order`` first, then as met; items by their order
    in ``budgets``, then as met. A payment for an item not in ``budgets`` counts with a budget
    of 0 (and is therefore over budget).
    """
    sums = _Sums(budgets)
    for item, source, fen in planned:
        sums.cell(item, source).planned += fen
        sums.source(source).planned += fen
    for entry in entries:
        sums.add(entry)
    order = {s: i for i, s in enumerate(source_order)}

    def rank(kv: tuple[str, object]) -> int:
        return order.get(kv[0], len(order))  # sorted() is stable: the rest stay as met

    sources = dict(sorted(sums.sources.items(), key=rank))
    for figures in sums.items.values():
        figures.sources = dict(sorted(figures.sources.items(), key=rank))
    return Ledger(sources, sums.items, _alerts(sources, sums.items))


def _alerts(sources: Mapping[str, SourceFigures], items: Mapping[int, ItemFigures]) -> list[Alert]:
    alerts = [
        Alert(OVERDRAWN, s.paid - s.received, source=s.source)
        for s in sources.values()
        if s.paid > s.received
    ]
    for figures in items.values():
        if figures.paid > figures.budget:
            alerts.append(Alert(OVER_BUDGET, figures.paid - figures.budget, item=figures.item))
        alerts += [
            Alert(OVER_PLANNED, c.paid - c.planned, item=figures.item, source=c.source)
            for c in figures.sources.values()
            if c.paid > c.planned
        ]
    return alerts


def identity_problems(ledger: Ledger) -> list[str]:
    """The identities of the module's docstring that do not hold (empty: reconciled)."""
    return _project_problems(ledger) + _source_problems(ledger) + _item_problems(ledger)


def _project_problems(ledger: Ledger) -> list[str]:
    problems: list[str] = []
    sources = ledger.sources.values()
    received = sum(s.received for s in sources)
    if received != sum(s.paid for s in sources) + sum(s.balance for s in sources):
        problems.append("received ≠ paid + balance over the sources")
    if ledger.received != ledger.paid + ledger.balance:
        problems.append("received ≠ paid + balance for the project")
    items_paid = sum(i.paid for i in ledger.items.values())
    if items_paid != ledger.paid:
        problems.append(f"paid over items {items_paid} ≠ paid over sources {ledger.paid}")
    return problems


def _source_problems(ledger: Ledger) -> list[str]:
    problems: list[str] = []
    for s in ledger.sources.values():
        cells = [i.sources[s.source] for i in ledger.items.values() if s.source in i.sources]
        if sum(c.paid for c in cells) != s.paid:
            problems.append(f"{s.source}: paid ≠ Σ items' payments")
        if sum(c.planned for c in cells) != s.planned:
            problems.append(f"{s.source}: planned ≠ Σ items' plans")
    return problems


def _item_problems(ledger: Ledger) -> list[str]:
    problems: list[str] = []
    for i in ledger.items.values():
        if i.planned != i.paid + i.remaining:
            problems.append(f"item {i.item}: planned ≠ paid + remaining")
        for c in i.sources.values():
            if c.planned != c.paid + c.remaining:
                problems.append(f"item {i.item} {c.source}: planned ≠ paid + remaining")
            if c.source not in ledger.sources:
                problems.append(f"item {i.item}: source {c.source} missing from the sources")
    return problems
