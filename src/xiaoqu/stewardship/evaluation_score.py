"""An estate's month of management in figures, and the composite score (业委评议 + 工单).

A pure module (no Django), fed with plain data. The monthly report of an estate combines the
owners' committee's evaluation of the managing body with the month's work orders; the
definitions below are the ones the report, the street ranking and the documentation use.

**Months** run from the first day 00:00 to the first day of the next month 00:00, Beijing
time (the caller passes the time zone).

**Work-order figures** of a month ``[start, end)`` (:func:`order_figures`), from the estate's
orders and their events:

* ``received``: orders created in the month (every channel, later rejected or merged ones
  too);
* ``closed``: orders resolved (处理完成) in the month and not reopened since — an order's
  ``resolved_at`` is cleared when it is reopened; rejected and merged orders are not work done
  and do not count;
* ``on_time``: of those, the ones resolved on or before their deadline and never past it since
  they were last (re)opened — no "escalated" or "overdue" event between the last reopening
  (or the report) and the resolution. The sweep gives an escalated order a new deadline, so
  the deadline alone would call a late order on time;
* ``overdue``: orders past their deadline in the month — escalated or marked overdue in the
  month, or closed in it but not on time (each order once);
* ``escalated``: orders escalated (an "escalated" event) in the month, each once;
* ``reopened``: reopenings (events) in the month;
* ``ratings`` and ``rating_average``: the orders rated in the month and the mean of their
  stars (1–5), rounded half up to two decimals.

**The composite score** (:func:`composite`), 0–100, is a weighted mean of four parts, each a
share between 0 and 1:

=============  ======  =========================================================
part           weight  share
=============  ======  =========================================================
evaluation     60      the evaluation's total / its full points
on time        20      on_time / closed
reopen         10      1 − reopened / (closed + reopened): the month's resolutions
                       that stood
ratings        10      rating_average / 5
=============  ======  =========================================================

A part is missing when there is nothing to measure: no evaluation for the month, no order
closed (on time), no order closed or reopened (reopen), no rating (ratings). The score is
then the weighted mean over the parts present — ``100 × Σ weight × share / Σ weight`` — and
the report says which parts it rests on; with no part at all there is no score (None). The
score is rounded half up to two decimals. It is monotonic: a better share in any part never
lowers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

EVALUATION = "evaluation"
ON_TIME = "on_time"
REOPEN = "reopen"
RATINGS = "ratings"
# The parts of the composite score and their weights, in the order reports show them.
WEIGHTS: dict[str, int] = {EVALUATION: 60, ON_TIME: 20, REOPEN: 10, RATINGS: 10}
STARS = 5

ESCALATED = "escalated"
OVERDUE = "overdue"
REOPENED = "reopen"
RATED = "rated"
# The kinds of work-order events the figures read.
EVENT_KINDS = (ESCALATED, OVERDUE, REOPENED, RATED)

CENT = Decimal("0.01")


# --- months --------------------------------------------------------------------------------


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` → the month's first day; ValueError for anything else."""
    text = (text or "").strip()
    year, sep, month = text.partition("-")
    if not sep or len(year) != 4 or not year.isdigit() or not month.isdigit() or len(month) > 2:
        raise ValueError(text)
    return dt.date(int(year), int(month), 1)


def month_key(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def first_day(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def last_day(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def month_bounds(month: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The month as ``[start, end)`` in the time zone ``tz``."""
    start = dt.datetime.combine(first_day(month), dt.time(), tzinfo=tz)
    end = dt.datetime.combine(next_month(first_day(month)), dt.time(), tzinfo=tz)
    return start, end


# --- the month's work-order figures ----------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    """What the figures need of a work order."""

    id: int
    created_at: dt.datetime
    due_at: dt.datetime
    resolved_at: dt.datetime | None = None
    rating: int | None = None


@dataclass(frozen=True)
class EventRow:
    """What the figures need of a work-order event (of the kinds in ``EVENT_KINDS``)."""

    order_id: int
    kind: str
    at: dt.datetime


@dataclass(frozen=True)
class Figures:
    received: int = 0
    closed: int = 0
    on_time: int = 0
    overdue: int = 0
    escalated: int = 0
    reopened: int = 0
    ratings: int = 0
    rating_average: Decimal | None = None


def _on_time(order: OrderRow, events: Sequence[EventRow]) -> bool:
    resolved = order.resolved_at
    assert resolved is not None
    if resolved > order.due_at:
        return False
    reopened = [e.at for e in events if e.kind == REOPENED and e.at <= resolved]
    since = max(reopened) if reopened else None
    return not any(
        e.kind in (ESCALATED, OVERDUE) and e.at <= resolved and (since is None or e.at > since)
        for e in events
    )


def order_figures(
    orders: Iterable[OrderRow], events: Iterable[EventRow], start: dt.datetime, end: dt.datetime
) -> Figures:
    """The figures of the month ``[start, end)`` (see the module's docstring).

    ``orders`` must hold every order created, resolved, escalated, reopened or rated in the
    month; ``events`` their events of ``EVENT_KINDS`` up to ``end`` (earlier ones decide
    whether an order was on time). Other orders and events are ignored.
    """

    def within(at: dt.datetime | None) -> bool:
        return at is not None and start <= at < end

    by_order: dict[int, list[EventRow]] = {}
    for event in events:
        if event.at < end:
            by_order.setdefault(event.order_id, []).append(event)
    known = {order.id: order for order in orders}
    received = sum(1 for o in known.values() if within(o.created_at))
    closed = [o for o in known.values() if within(o.resolved_at)]
    on_time = {o.id for o in closed if _on_time(o, by_order.get(o.id, []))}
    in_month = [e for evs in by_order.values() for e in evs if within(e.at) and e.order_id in known]
    escalated = {e.order_id for e in in_month if e.kind == ESCALATED}
    late = {e.order_id for e in in_month if e.kind in (ESCALATED, OVERDUE)}
    late |= {o.id for o in closed if o.id not in on_time}
    rated = {e.order_id for e in in_month if e.kind == RATED}
    stars = [r for pk in rated if (r := known[pk].rating) is not None]
    average = None
    if stars:
        average = (Decimal(sum(stars)) / Decimal(len(stars))).quantize(CENT, ROUND_HALF_UP)
    return Figures(
        received=received,
        closed=len(closed),
        on_time=len(on_time),
        overdue=len(late),
        escalated=len(escalated),
        reopened=sum(1 for e in in_month if e.kind == REOPENED),
        ratings=len(stars),
        rating_average=average,
    )


# --- the composite score ---------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One part of the score: its weight and share (None when there is nothing to measure)."""

    name: str
    weight: int
    share: Fraction | None

    @property
    def present(self) -> bool:
        return self.share is not None

    @property
    def percent(self) -> Decimal | None:
        return None if self.share is None else to_cents(self.share * 100)


@dataclass(frozen=True)
class Composite:
    parts: tuple[Part, ...]
    score: Decimal | None

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if not p.present)

    @property
    def renormalised(self) -> bool:
        """Whether the score rests on fewer than all parts (and there is a score)."""
        return self.score is not None and bool(self.missing)


def to_cents(value: Fraction) -> Decimal:
    """Rounded half up to two decimals, exactly."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, ROUND_HALF_UP)


def combine(shares: Mapping[str, Fraction | None]) -> Fraction | None:
    """100 × the weighted mean of the shares present (each 0..1); None when none is."""
    present = {name: s for name, s in shares.items() if s is not None}
    for name, share in present.items():
        if name not in WEIGHTS:
            raise ValueError(f"unknown part {name!r}")
        if not 0 <= share <= 1:
            raise ValueError(f"share of {name} outside 0..1: {share}")
    weight = sum(WEIGHTS[name] for name in present)
    if not weight:
        return None
    return (
        100
        * sum((WEIGHTS[name] * share for name, share in present.items()), Fraction(0))
        / (weight)
    )


def shares_of(
    *,
    evaluation_total: int | None,
    evaluation_full: int | None,
    closed: int,
    on_time: int,
    reopened: int,
    ratings: int,
    rating_average: Decimal | None,
) -> dict[str, Fraction | None]:
    """Each part's share from the figures (None for a part with nothing to measure)."""
    shares: dict[str, Fraction | None] = dict.fromkeys(WEIGHTS)
    if evaluation_total is not None and evaluation_full:
        shares[EVALUATION] = Fraction(evaluation_total, evaluation_full)
    if closed:
        shares[ON_TIME] = Fraction(on_time, closed)
    if closed + reopened:
        shares[REOPEN] = 1 - Fraction(reopened, closed + reopened)
    if ratings and rating_average is not None:
        shares[RATINGS] = Fraction(rating_average) / STARS
    return shares


def composite(
    *,
    evaluation_total: int | None,
    evaluation_full: int | None,
    closed: int,
    on_time: int,
    reopened: int,
    ratings: int,
    rating_average: Decimal | None,
) -> Composite:
    """The parts and the composite score of a month (see the module's docstring)."""
    shares = shares_of(
        evaluation_total=evaluation_total,
        evaluation_full=evaluation_full,
        closed=closed,
        on_time=on_time,
        reopened=reopened,
        ratings=ratings,
        rating_average=rating_average,
    )
    score = combine(shares)
    return Composite(
        parts=tuple(Part(name, WEIGHTS[name], shares[name]) for name in WEIGHTS),
        score=None if score is None else to_cents(score),
    )


# --- ranking ------------------------------------------------------------------------------------


def rank(scores: Sequence[Decimal | None]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) of ``scores``, the highest first; no score, no rank.

    The result is in the order of ``scores``."""
    ranked = sorted((s for s in scores if s is not None), reverse=True)
    first: dict[Decimal, int] = {}
    for i, s in enumerate(ranked, start=1):
        first.setdefault(s, i)
    return [None if s is None else first[s] for s in scores]
