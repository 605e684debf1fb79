"""The month's work-order figures, the composite score and the ranking
(stewardship.evaluation_score), with plain data."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoqu.stewardship import evaluation_score as score
from xiaoqu.stewardship.evaluation_score import EventRow, Figures, OrderRow

SH = ZoneInfo("Asia/Shanghai")
START, END = score.month_bounds(dt.date(2026, 11, 1), SH)


def at(day: int, hour: int = 10, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=SH)


def test_the_module_imports_no_django():
    """A pure core: importing it loads no Django."""
    code = (
        "import sys, xiaoqu.stewardship.evaluation_score; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'ninja', 'rules')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_months_are_parsed_and_bounded_in_beijing_time():
    assert score.parse_month("2026-11") == dt.date(2026, 11, 1)
    assert score.parse_month(" 2026-3 ") == dt.date(2026, 3, 1)
    for bad in ("", "2026", "2026-13", "26-11", "2026-11-01", "2026/11", "二〇二六-11"):
        with pytest.raises(ValueError):
            score.parse_month(bad)
    assert score.month_key(dt.date(2026, 3, 1)) == "2026-03"
    assert score.next_month(dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert score.previous_month(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)
    assert score.last_day(dt.date(2028, 2, 1)) == dt.date(2028, 2, 29)
    start, end = score.month_bounds(dt.date(2026, 11, 15), SH)
    assert start.isoformat() == "2026-11-01T00:00:00+08:00"
    assert end.isoformat() == "2026-12-01T00:00:00+08:00"


def test_figures_of_hand_made_orders():
    """Eight orders of November checked by hand against the definitions."""
    orders = [
        # 1: reported and resolved in time, rated 5 → received, closed, on time.
        OrderRow(1, at(2), due_at=at(3), resolved_at=at(2, 15), rating=5),
        # 2: resolved after its deadline → closed, late (overdue).
        OrderRow(2, at(4), due_at=at(5), resolved_at=at(6)),
        # 3: escalated on the 8th (new deadline the 12th), resolved the 10th: late all the same.
        OrderRow(3, at(7), due_at=at(12), resolved_at=at(10)),
        # 4: escalated in October, reopened on 1 November, resolved on time since → on time.
        OrderRow(4, at(20, month=10), due_at=at(5), resolved_at=at(3), rating=3),
        # 5: still open, reported in November.
        OrderRow(5, at(25), due_at=at(26)),
        # 6: reported in October, resolved in December → not this month's.
        OrderRow(6, at(30, month=10), due_at=at(2, month=12), resolved_at=at(1, 9, month=12)),
        # 7: resolved in November, reopened in November and open again → a reopening.
        OrderRow(7, at(1), due_at=at(9)),
        # 8: reported in December → nothing.
        OrderRow(8, at(1, 9, month=12), due_at=at(2, month=12)),
    ]
    events = [
        EventRow(3, "escalated", at(8)),
        EventRow(4, "escalated", at(22, month=10)),
        EventRow(4, "reopen", at(1, 12)),
        EventRow(1, "rated", at(2, 16)),
        EventRow(4, "rated", at(4)),
        EventRow(7, "reopen", at(6)),
        EventRow(5, "overdue", at(1, 9, month=12)),  # after the month: ignored
    ]
    figures = score.order_figures(orders, events, START, END)
    assert figures == Figures(
        received=5,  # 1, 2, 3, 5, 7
        closed=4,  # 1, 2, 3, 4
        on_time=2,  # 1, 4
        overdue=2,  # 2 (late), 3 (escalated)
        escalated=1,  # 3
        reopened=2,  # 4, 7
        ratings=2,
        rating_average=Decimal("4.00"),
    )


def test_an_order_escalated_before_its_reopening_can_still_be_on_time_after_it():
    order = OrderRow(1, at(1), due_at=at(20), resolved_at=at(15))
    late = [EventRow(1, "escalated", at(5))]
    assert score.order_figures([order], late, START, END).on_time == 0
    forgiven = [*late, EventRow(1, "reopen", at(10))]
    assert score.order_figures([order], forgiven, START, END).on_time == 1


def test_the_rating_average_is_rounded_half_up_to_two_decimals():
    orders = [OrderRow(i, at(1), at(2), at(1, 12), rating=r) for i, r in enumerate((5, 4, 4), 1)]
    events = [EventRow(i, "rated", at(3)) for i in (1, 2, 3)]
    figures = score.order_figures(orders, events, START, END)
    assert (figures.ratings, figures.rating_average) == (3, Decimal("4.33"))
    orders = [OrderRow(i, at(1), at(2), at(1, 12), rating=r) for i, r in enumerate((5, 4), 1)]
    figures = score.order_figures(orders, events[:2], START, END)
    assert figures.rating_average == Decimal("4.50")


def test_the_composite_weights_sixty_twenty_ten_ten():
    """80/100 evaluation, 9 of 10 on time, 1 reopening against 10 closed, 4.5 stars:
    (60×0.8 + 20×0.9 + 10×10/11 + 10×0.9) = 48 + 18 + 9.0909… + 9 = 84.09."""
    result = score.composite(
        evaluation_total=80,
        evaluation_full=100,
        closed=10,
        on_time=9,
        reopened=1,
        ratings=4,
        rating_average=Decimal("4.5"),
    )
    assert result.score == Decimal("84.09")
    assert not result.renormalised and result.missing == ()
    assert [p.percent for p in result.parts] == [
        Decimal("80.00"),
        Decimal("90.00"),
        Decimal("90.91"),
        Decimal("90.00"),
    ]


def test_missing_parts_are_renormalised_over_the_parts_present():
    """No order closed or reopened and no rating: the evaluation alone makes the score."""
    alone = score.composite(
        evaluation_total=72,
        evaluation_full=90,
        closed=0,
        on_time=0,
        reopened=0,
        ratings=0,
        rating_average=None,
    )
    assert alone.score == Decimal("80.00")
    assert alone.renormalised and alone.missing == (score.ON_TIME, score.REOPEN, score.RATINGS)
    # No evaluation: the work orders alone, (20×0.5 + 10×1) / 30.
    orders_only = score.composite(
        evaluation_total=None,
        evaluation_full=None,
        closed=2,
        on_time=1,
        reopened=0,
        ratings=0,
        rating_average=None,
    )
    assert orders_only.score == Decimal("66.67")
    assert orders_only.missing == (score.EVALUATION, score.RATINGS)


def test_nothing_to_measure_gives_no_score():
    nothing = score.composite(
        evaluation_total=None,
        evaluation_full=None,
        closed=0,
        on_time=0,
        reopened=0,
        ratings=0,
        rating_average=None,
    )
    assert nothing.score is None and not nothing.renormalised
    assert score.combine(dict.fromkeys(score.WEIGHTS)) is None


def test_reopenings_without_a_closed_order_count_against_the_month():
    result = score.composite(
        evaluation_total=None,
        evaluation_full=None,
        closed=0,
        on_time=0,
        reopened=2,
        ratings=0,
        rating_average=None,
    )
    assert result.score == Decimal("0.00")


def test_combine_refuses_shares_outside_zero_to_one_and_unknown_parts():
    with pytest.raises(ValueError):
        score.combine({score.EVALUATION: Fraction(3, 2)})
    with pytest.raises(ValueError):
        score.combine({"speed": Fraction(1, 2)})


shares = st.fractions(min_value=0, max_value=1, max_denominator=1000)
maybe = st.one_of(st.none(), shares)
part_shares = st.fixed_dictionaries({name: maybe for name in score.WEIGHTS})


@given(part_shares)
def test_the_score_lies_between_0_and_100(parts):
    result = score.combine(parts)
    if all(v is None for v in parts.values()):
        assert result is None
    else:
        assert result is not None and 0 <= result <= 100


@given(part_shares, st.sampled_from(list(score.WEIGHTS)), shares)
def test_the_score_is_monotonic_in_each_part(parts, name, better):
    """Raising one part's share (the others as they are) never lowers the score."""
    low = parts[name] if parts[name] is not None else Fraction(0)
    high = max(low, better)
    before = score.combine({**parts, name: low})
    after = score.combine({**parts, name: high})
    assert before is not None and after is not None
    assert after >= before
    assert score.to_cents(after) >= score.to_cents(before)


@given(
    st.integers(0, 100),
    st.integers(1, 100),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 20),
    st.integers(0, 20),
    st.sampled_from([None, Decimal("1"), Decimal("3.33"), Decimal("5")]),
)
def test_composite_from_figures_stays_within_bounds(total, full, closed, on_time, reopened, n, avg):
    total = min(total, full)
    on_time = min(on_time, closed)
    result = score.composite(
        evaluation_total=total,
        evaluation_full=full,
        closed=closed,
        on_time=on_time,
        reopened=reopened,
        ratings=n if avg is not None else 0,
        rating_average=avg,
    )
    assert result.score is not None and Decimal(0) <= result.score <= Decimal(100)


@given(st.lists(st.one_of(st.none(), st.decimals(0, 100, places=2)), max_size=12))
def test_ranks_are_competition_ranks_with_no_score_last(scores):
    ranks = score.rank(scores)
    for s, r in zip(scores, ranks, strict=True):
        if s is None:
            assert r is None
        else:
            assert r == 1 + sum(1 for other in scores if other is not None and other > s)


def test_equal_scores_share_a_rank():
    assert score.rank([Decimal("80"), None, Decimal("90"), Decimal("80"), Decimal("70")]) == [
        2,
        None,
        1,
        2,
        4,
    ]
