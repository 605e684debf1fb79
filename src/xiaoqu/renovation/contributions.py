"""Residents' contributions to a renovation item, split per dwelling to the fen.

A pure module (no Django). An amount is shared in proportion to each dwelling's weight and
rounded by the largest-remainder method, so the shares always add up to the amount exactly:
every dwelling gets its exact share rounded down to the fen, and the fen left over go one
each to the dwellings whose shares lost the most in rounding (ties in the order given).
No share differs from its exact value by a fen or more.

Two weights are in use (docs/renovation.md):

* by exclusive area, the Civil Code's default for shared costs (Art. 283: in proportion to
  the area of each owner's exclusive part, unless agreed otherwise);
* by floor, usual for an added elevator: each floor has a coefficient (the ground floor,
  which gains least, often 0), optionally times the exclusive area.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

FEN = Decimal("0.01")


class SplitError(ValueError):
    """An amount that cannot be split as asked (the message says why, in Chinese)."""


def split(amount: Decimal, weights: Mapping[K, Decimal | int]) -> dict[K, Decimal]:
    """``amount`` (yuan, to the fen) shared in proportion to ``weights`` (each ≥ 0)."""
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(FEN):
        raise SplitError(f"金额“{amount}”应为不小于 0 的数，精确到分")
    exact = {key: Fraction(Decimal(w)) for key, w in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise SplitError("分摊权重不能为负数")
    total = sum(exact.values(), Fraction(0))
    if total == 0:
        if amount == 0:
            return dict.fromkeys(weights, Decimal("0.00"))
        raise SplitError("没有可以分摊的住户（权重合计为 0）")
    fen = int(amount * 100)
    quotas = {key: fen * w / total for key, w in exact.items()}
    shares = {key: int(q) for key, q in quotas.items()}  # floor: quotas are ≥ 0
    left = fen - sum(shares.values())
    order = list(weights)
    by_loss = sorted(order, key=lambda key: -(quotas[key] - shares[key]))  # stable
    for key in by_loss[:left]:
        shares[key] += 1
    return {key: (Decimal(shares[key]) / 100).quantize(FEN) for key in order}


def by_area(amount: Decimal, areas: Mapping[K, Decimal]) -> dict[K, Decimal]:
    """Shares in proportion to each dwelling's exclusive area (Civil Code Art. 283)."""
    return split(amount, areas)


def by_floor(
    amount: Decimal,
    floors: Mapping[K, int],
    coefficients: Mapping[int, Decimal],
    *,
    areas: Mapping[K, Decimal] | None = None,
) -> dict[K, Decimal]:
    """Shares by each dwelling's floor coefficient (times its area when ``areas`` is given).

    A floor missing from ``coefficients`` takes the coefficient of the highest floor below it
    that has one (a table may stop at the sixth floor for a building of eight).
    """
    if not coefficients:
        raise SplitError("没有楼层系数表")
    weights: dict[K, Decimal] = {}
    for key, floor in floors.items():
        below = [f for f in coefficients if f <= floor]
        if not below:
            raise SplitError(f"第 {floor} 层没有系数（系数表从第 {min(coefficients)} 层起）")
        weight = Decimal(coefficients[max(below)])
        weights[key] = weight * areas[key] if areas is not None else weight
    return split(amount, weights)
