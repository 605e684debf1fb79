"""Residents' contributions split per dwelling: exact to the fen, by area or by floor."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoqu.renovation.contributions import SplitError, by_area, by_floor, split

amounts = st.integers(0, 10**10).map(lambda fen: Decimal(fen) / 100)
weight_maps = st.dictionaries(
    st.text("abcdef0123456789-", min_size=1, max_size=6),
    st.integers(0, 30_000).map(lambda c: Decimal(c) / 100),
    min_size=1,
    max_size=40,
).filter(lambda m: sum(m.values()) > 0)


@settings(max_examples=300, deadline=None)
@given(amounts, weight_maps)
def test_shares_add_up_to_the_amount_and_each_is_within_a_fen_of_its_exact_value(amount, weights):
    shares = split(amount, weights)
    assert list(shares) == list(weights)
    assert sum(shares.values()) == amount
    total = sum(Fraction(w) for w in weights.values())
    for key, share in shares.items():
        exact = Fraction(amount) * Fraction(weights[key]) / total
        assert abs(Fraction(share) - exact) < Fraction(1, 100)
        assert share == share.quantize(Decimal("0.01")) and share >= 0
        if weights[key] == 0:
            assert share == 0


@settings(max_examples=200, deadline=None)
@given(amounts, weight_maps)
def test_a_larger_weight_never_pays_less(amount, weights):
    shares = split(amount, weights)
    keys = list(weights)
    for a in keys:
        for b in keys:
            if weights[a] > weights[b]:
                assert shares[a] >= shares[b]


def test_the_left_over_fen_go_to_the_largest_remainders_in_the_order_given():
    """100.00 over three equal dwellings: 33.34, 33.33, 33.33."""
    shares = split(Decimal("100.00"), {"101": 1, "102": 1, "103": 1})
    assert shares == {"101": Decimal("33.34"), "102": Decimal("33.33"), "103": Decimal("33.33")}


def test_by_area_follows_the_exclusive_areas():
    shares = by_area(Decimal("3000.00"), {"1-101": Decimal("60"), "1-102": Decimal("90")})
    assert shares == {"1-101": Decimal("1200.00"), "1-102": Decimal("1800.00")}


def test_by_floor_uses_the_coefficient_table_and_the_highest_floor_below():
    coefficients = {1: Decimal("0"), 2: Decimal("0.5"), 3: Decimal("1.0"), 4: Decimal("1.5")}
    floors = {"101": 1, "201": 2, "301": 3, "601": 6}
    shares = by_floor(Decimal("400000.00"), floors, coefficients)
    assert shares == {
        "101": Decimal("0.00"),
        "201": Decimal("66666.67"),
        "301": Decimal("133333.33"),
        "601": Decimal("200000.00"),
    }
    assert sum(shares.values()) == Decimal("400000.00")
    areas = {
        "101": Decimal("60"),
        "201": Decimal("60"),
        "301": Decimal("120"),
        "601": Decimal("60"),
    }
    weighted = by_floor(Decimal("300.00"), floors, coefficients, areas=areas)
    # weights 0, 0.5 × 60, 1.0 × 120, 1.5 × 60 = 0, 30, 120, 90 of 240
    assert weighted == {
        "101": Decimal("0.00"),
        "201": Decimal("37.50"),
        "301": Decimal("150.00"),
        "601": Decimal("112.50"),
    }


@pytest.mark.parametrize(
    ("amount", "weights", "message"),
    [
        (Decimal("-1"), {"a": 1}, "不小于 0"),
        (Decimal("1.001"), {"a": 1}, "精确到分"),
        (Decimal("10"), {"a": 0, "b": 0}, "权重合计为 0"),
        (Decimal("10"), {"a": -1, "b": 2}, "不能为负数"),
    ],
)
def test_what_cannot_be_split_is_refused(amount, weights, message):
    with pytest.raises(SplitError, match=message):
        split(amount, weights)


def test_nothing_to_split_among_nobody_is_nothing():
    assert split(Decimal("0.00"), {"a": 0}) == {"a": Decimal("0.00")}


def test_a_floor_below_the_table_is_refused():
    with pytest.raises(SplitError, match="第 1 层没有系数"):
        by_floor(Decimal("10"), {"101": 1}, {2: Decimal("1")})
