"""Choose the estates of a year's renovation batch under a budget and county quotas.

A pure module (no Django): ``xiaoqu plan optimise`` and, later, the batch page call it. The
contract of the command is in docs/cli.md (``xiaoqu plan optimise``).

The problem is a 0-1 programme: maximise Σ households × need over the chosen estates, with
their total cost within the budget, each county within its quotas (number of estates, cost),
and every must-have estate chosen. It is solved by scipy's ``milp`` (the HiGHS solver) to a
relative gap of 0.01 %; costs enter the solver as integer fen, and the chosen set is checked
again in exact decimals. The greedy baseline takes the must-haves, then the other estates by
households × need per yuan, each one that still fits; the optimiser's answer is never worse
than it (when the solver's answer within its gap falls below the greedy set, the greedy set
is returned, which is then itself within the gap of the optimum).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np

from xiaoqu.core import csvtext

# The solver stops when its answer is proven within this share of the optimum (0.01 %).
RELATIVE_GAP = 1e-4
FEN = Decimal("0.01")
MAX_YUAN = Decimal("1e15")  # far beyond any budget; keeps fen exact in a float

CANDIDATE_COLUMNS = ("id", "county", "households", "cost", "need", "must")
QUOTA_COLUMNS = ("county", "max_estates", "max_cost")


class InputError(ValueError):
    """Input the optimiser cannot use; the message says where and why (in Chinese)."""


@dataclass(frozen=True)
class Candidate:
    id: str
    county: str
    households: int
    cost: Decimal  # yuan, to the fen
    need: float
    must: bool = False

    @property
    def value(self) -> float:
        return self.households * self.need


@dataclass(frozen=True)
class Quota:
    county: str
    max_estates: int | None = None
    max_cost: Decimal | None = None


@dataclass(frozen=True)
class Choice:
    """The chosen estates (indexes into the candidates) and what they add up to."""

    status: str  # "optimal" or "infeasible"
    chosen: frozenset[int] = field(default_factory=frozenset)
    objective: float = 0.0
    cost: Decimal = Decimal("0.00")
    greedy_objective: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """The command's JSON object (docs/cli.md)."""
        return {
            "status": self.status,
            "objective": round(self.objective, 6),
            "selected": len(self.chosen),
            "cost": str(self.cost.quantize(FEN)),
            "greedy_objective": round(self.greedy_objective, 6),
        }


# ----------------------------------------------------------------------------- reading


def _rows(text: str, columns: Sequence[str], what: str) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of each non-blank record after the header, cells stripped. A cell over
    ``csvtext.MAX_CELL_CHARS`` characters, or a record the csv module cannot read, is an
    ``InputError`` naming its line (csv's own error would have ended in a traceback)."""
    found = csvtext.records(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        first = next(found, (1, []))[1]
        header = [(name or "").strip() for name in first]
        missing = [c for c in columns if c not in header]
        if missing:
            raise InputError(f"{what}缺少列：{'、'.join(missing)}")
        rows = []
        for line, cells in found:
            if len(cells) > len(header):
                raise InputError(f"{what}第 {line} 行的列数多于表头")
            row = dict.fromkeys(header, "") | {
                k: v.strip() for k, v in zip(header, cells, strict=False)
            }
            rows.append((line, row))
    except csvtext.CsvRecordRefused as error:
        if error.too_long:
            raise InputError(
                f"{what}第 {error.line} 行有一格超过 {csvtext.MAX_CELL_CHARS:,} 个字符"
            ) from None
        raise InputError(f"{what}第 {error.line} 行无法读取：{error.reason}") from None
    return rows


def parse_yuan(value: str, where: str) -> Decimal:
    """A non-negative amount of yuan with at most two decimals."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InputError(f"{where}“{value}”不是数字") from None
    if not amount.is_finite() or amount < 0:
        raise InputError(f"{where}“{value}”应为不小于 0 的数")
    if amount != amount.quantize(FEN) or amount > MAX_YUAN:
        raise InputError(f"{where}“{value}”应精确到分，且不超过 10^15 元")
    return amount


def _households(value: str, where: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise InputError(f"{where}户数“{value}”应为不小于 0 的整数")
    return int(value)


def _need(value: str, where: str) -> float:
    try:
        need = float(value)
    except ValueError:
        raise InputError(f"{where}需求权重“{value}”不是数字") from None
    if not math.isfinite(need) or need < 0:
        raise InputError(f"{where}需求权重“{value}”应为不小于 0 的数")
    return need


def _must(value: str, where: str) -> bool:
    if value not in ("", "0", "1"):
        raise InputError(f"{where}must“{value}”应为 1、0 或留空")
    return value == "1"


def parse_candidates(text: str) -> list[Candidate]:
    """The candidates CSV (``id,county,households,cost,need,must``), each id once."""
    out: list[Candidate] = []
    seen: set[str] = set()
    for n, row in _rows(text, CANDIDATE_COLUMNS, "候选文件"):
        where = f"候选文件第 {n} 行："
        if not row["id"]:
            raise InputError(f"{where}id 为空")
        if row["id"] in seen:
            raise InputError(f"{where}id“{row['id']}”重复")
        seen.add(row["id"])
        out.append(
            Candidate(
                id=row["id"],
                county=row["county"],
                households=_households(row["households"], where),
                cost=parse_yuan(row["cost"], where + "费用"),
                need=_need(row["need"], where),
                must=_must(row["must"], where),
            )
        )
    return out


def parse_quotas(text: str) -> dict[str, Quota]:
    """The quotas CSV (``county,max_estates,max_cost``; an empty cell is no limit)."""
    out: dict[str, Quota] = {}
    for n, row in _rows(text, QUOTA_COLUMNS, "配额文件"):
        where = f"配额文件第 {n} 行："
        if row["county"] in out:
            raise InputError(f"{where}区县“{row['county']}”重复")
        estates = row["max_estates"]
        if estates and (not estates.isascii() or not estates.isdigit()):
            raise InputError(f"{where}max_estates“{estates}”应为不小于 0 的整数")
        out[row["county"]] = Quota(
            county=row["county"],
            max_estates=int(estates) if estates else None,
            max_cost=parse_yuan(row["max_cost"], where + "max_cost") if row["max_cost"] else None,
        )
    return out


# ----------------------------------------------------------------------------- checking


def _fen(amount: Decimal) -> int:
    return int(amount * 100)


def fits(
    candidates: Sequence[Candidate],
    chosen: Iterable[int],
    budget: Decimal,
    quotas: Mapping[str, Quota],
) -> bool:
    """Whether ``chosen`` keeps the budget and every county's quotas, exactly."""
    chosen = list(chosen)
    if sum((candidates[i].cost for i in chosen), Decimal(0)) > budget:
        return False
    by_county: dict[str, list[int]] = {}
    for i in chosen:
        by_county.setdefault(candidates[i].county, []).append(i)
    for county, quota in quotas.items():
        mine = by_county.get(county, [])
        if quota.max_estates is not None and len(mine) > quota.max_estates:
            return False
        spent = sum((candidates[i].cost for i in mine), Decimal(0))
        if quota.max_cost is not None and spent > quota.max_cost:
            return False
    return True


def _choice(candidates: Sequence[Candidate], chosen: Iterable[int], greedy_value: float) -> Choice:
    chosen = frozenset(chosen)
    return Choice(
        status="optimal",
        chosen=chosen,
        objective=math.fsum(candidates[i].value for i in chosen),
        cost=sum((candidates[i].cost for i in chosen), Decimal(0)).quantize(FEN),
        greedy_objective=greedy_value,
    )


# ----------------------------------------------------------------------------- greedy


def _per_yuan(candidate: Candidate) -> float:
    """Households × need per yuan; an estate that costs nothing comes first."""
    if candidate.cost == 0:
        return math.inf
    return candidate.value / float(candidate.cost)


class _Room:
    """What is left of the budget and of each county's quotas while choosing greedily."""

    def __init__(self, budget: Decimal, quotas: Mapping[str, Quota]) -> None:
        self.budget = budget
        self.estates = {c: q.max_estates for c, q in quotas.items() if q.max_estates is not None}
        self.cost = {c: q.max_cost for c, q in quotas.items() if q.max_cost is not None}

    def takes(self, candidate: Candidate) -> bool:
        county = candidate.county
        return (
            candidate.cost <= self.budget
            and self.estates.get(county, 1) >= 1
            and candidate.cost <= self.cost.get(county, candidate.cost)
        )

    def take(self, candidate: Candidate) -> None:
        self.budget -= candidate.cost
        if candidate.county in self.estates:
            self.estates[candidate.county] -= 1
        if candidate.county in self.cost:
            self.cost[candidate.county] -= candidate.cost


def greedy(
    candidates: Sequence[Candidate], budget: Decimal, quotas: Mapping[str, Quota]
) -> frozenset[int] | None:
    """The must-haves, then by households × need per yuan, each one that still fits; None when
    the must-haves alone break the budget or a quota."""
    musts = [i for i, c in enumerate(candidates) if c.must]
    if not fits(candidates, musts, budget, quotas):
        return None
    room = _Room(budget, quotas)
    for i in musts:
        room.take(candidates[i])
    others = [i for i, c in enumerate(candidates) if not c.must and c.value > 0]
    others.sort(key=lambda i: -_per_yuan(candidates[i]))  # stable: ties keep the input order
    chosen = list(musts)
    for i in others:
        if room.takes(candidates[i]):
            room.take(candidates[i])
            chosen.append(i)
    return frozenset(chosen)


# ----------------------------------------------------------------------------- the programme


def _constraints(
    candidates: Sequence[Candidate], budget: Decimal, quotas: Mapping[str, Quota]
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``A x ≤ b``: the budget, then each county's estates and cost (in fen)."""
    cost = np.array([_fen(c.cost) for c in candidates], dtype=np.float64)
    rows, bounds = [cost], [float(_fen(budget))]
    for county, quota in quotas.items():
        mine = np.array([c.county == county for c in candidates], dtype=np.float64)
        if quota.max_estates is not None:
            rows.append(mine)
            bounds.append(float(quota.max_estates))
        if quota.max_cost is not None:
            rows.append(mine * cost)
            bounds.append(float(_fen(quota.max_cost)))
    return np.vstack(rows), np.array(bounds)


def _solve(
    candidates: Sequence[Candidate], a: np.ndarray, b: np.ndarray, time_limit: float | None
) -> frozenset[int] | None:
    from scipy.optimize import Bounds, LinearConstraint, milp

    value = np.array([c.value for c in candidates], dtype=np.float64)
    lower = np.array([1.0 if c.must else 0.0 for c in candidates])
    options: dict[str, float] = {"mip_rel_gap": RELATIVE_GAP}
    if time_limit is not None:
        options["time_limit"] = time_limit
    result = milp(
        -value,
        constraints=LinearConstraint(a, -np.inf, b),
        integrality=np.ones(len(candidates)),
        bounds=Bounds(lower, np.ones(len(candidates))),
        options=options,
    )
    if result.x is None:
        return None
    return frozenset(int(i) for i in np.flatnonzero(result.x > 0.5))


def _solve_whole(
    candidates: Sequence[Candidate], a: np.ndarray, b: np.ndarray, time_limit: float | None
) -> frozenset[int] | None:
    """The solver's set, rounded to whole estates, that keeps every row.

    The solver accepts a variable within its tolerance of 0 or 1, and 1e-6 of a cost in fen
    is yuan on a large estate: when the rounded set breaks a row, the row is tightened by
    what it broke by and the programme solved again (the rows hold integers, so the check in
    floating point is exact).
    """
    for _attempt in range(3):
        chosen = _solve(candidates, a, b, time_limit)
        if chosen is None:
            return None
        x = np.zeros(len(candidates))
        x[list(chosen)] = 1.0
        excess = np.maximum(a @ x - b, 0.0)
        if not excess.any():
            return chosen
        b = b - excess
    return None


def optimise(
    candidates: Sequence[Candidate],
    budget: Decimal,
    quotas: Mapping[str, Quota] | None = None,
    *,
    time_limit: float | None = None,
) -> Choice:
    """The best batch (within 0.01 %), or status ``infeasible`` when the must-haves cannot
    all be had within the budget and the quotas."""
    quotas = quotas or {}
    start = greedy(candidates, budget, quotas)
    if start is None:
        return Choice(status="infeasible")
    greedy_value = math.fsum(candidates[i].value for i in start)
    if not candidates:
        return _choice(candidates, start, greedy_value)
    a, b = _constraints(candidates, budget, quotas)
    chosen = _solve_whole(candidates, a, b, time_limit)
    # The solver's set is kept only if it holds exactly and is worth at least the greedy set.
    if (
        chosen is None
        or not fits(candidates, chosen, budget, quotas)
        or math.fsum(candidates[i].value for i in chosen) < greedy_value
    ):
        chosen = start
    return _choice(candidates, chosen, greedy_value)
