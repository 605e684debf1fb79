"""Owners' joint decisions under Civil Code Art. 278 (pure: no Django).

The rules (worked through with examples in docs/owner-votes.md):

* Quorum, every matter: the owners taking part (agree, disagree and abstain all take part)
  hold at least two thirds of the exclusive area in scope **and** are at least two thirds of
  the owners in scope.
* Special matters (items 6, 7, 8): those agreeing hold at least three quarters of the
  participating area **and** are at least three quarters of the participating owners.
* Ordinary matters (the rest): those agreeing hold more than half of the participating area
  **and** are more than half of the participating owners.

"以上" is inclusive (2/3 and 3/4 use >=), "过半数" is strict (>). Every comparison is done on
exact decimals, multiplied out (``3 × a_p >= 2 × A``), never with floats.

Owners are counted as distinct owner ids (SPC interpretation Art. 9): all units of one buyer
are one owner with their summed area, and every unit that is ``unsold`` or ``undelivered``
belongs to the single owner ``"developer"``, whatever its ``owner`` field says.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

DEVELOPER = "developer"
STATUSES = frozenset({"owned", "unsold", "undelivered"})
CHOICES = ("agree", "disagree", "abstain")
SPECIAL_MATTERS = frozenset({6, 7, 8})
MATTERS: dict[int, str] = {
    1: "制定和修改业主大会议事规则",
    2: "制定和修改管理规约",
    3: "选举业主委员会或者更换业主委员会成员",
    4: "选聘和解聘物业服务企业或者其他管理人",
    5: "使用建筑物及其附属设施的维修资金",
    6: "筹集建筑物及其附属设施的维修资金",
    7: "改建、重建建筑物及其附属设施",
    8: "改变共有部分的用途或者利用共有部分从事经营活动",
    9: "有关共有和共同管理权利的其他重大事项",
}
# Enough digits that sums of any realistic register are exact; Inexact is trapped below.
_CONTEXT = decimal.Context(prec=60, traps=[decimal.Inexact, decimal.InvalidOperation])


class InputError(ValueError):
    """The input cannot be evaluated; the message says why, for people."""


class Unit(NamedTuple):
    id: str
    area: Decimal
    owner: str  # the effective owner: "developer" for unsold and undelivered units
    status: str


class Ballot(NamedTuple):
    owner: str
    choice: str


@dataclass(frozen=True)
class Count:
    area: Decimal
    owners: int

    def as_dict(self) -> dict[str, Any]:
        return {"area": _fmt(self.area), "owners": self.owners}


@dataclass(frozen=True)
class Result:
    matter: int
    passed: bool
    quorum_met: bool
    consent_class: str
    total: Count
    participating: Count
    agreeing: Count
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The ``xiaoqu vote evaluate`` output object (docs/cli.md), exactly these keys."""
        return {
            "passed": self.passed,
            "quorum_met": self.quorum_met,
            "consent_class": self.consent_class,
            "total": self.total.as_dict(),
            "participating": self.participating.as_dict(),
            "agreeing": self.agreeing.as_dict(),
            "reasons": list(self.reasons),
        }


def consent_class(matter: int) -> str:
    return "special" if matter in SPECIAL_MATTERS else "ordinary"


# --- parsing plain data -----------------------------------------------------------------------


def parse_area(value: Any, where: str) -> Decimal:
    """An area from a JSON number or string: finite, not negative, exact."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)):
        raise InputError(f"{where}：面积应为数字或数字字符串")
    try:
        # A float goes through its shortest repr (80.1 → "80.1"), not its binary expansion.
        area = Decimal(value.strip() if isinstance(value, str) else str(value))
    except decimal.InvalidOperation:
        raise InputError(f"{where}：面积“{value}”不是数字") from None
    if not area.is_finite():
        raise InputError(f"{where}：面积必须是有限的数字")
    if area < 0:
        raise InputError(f"{where}：面积不能为负数（{value}）")
    return area


def _text(value: Any, where: str, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"{where}：{field} 应为字符串")
    text = str(value).strip()
    if not text:
        raise InputError(f"{where}：{field} 不能为空")
    return text


def parse_matter(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in MATTERS:
        raise InputError(
            f"表决事项 matter 应为 1 到 9 的整数（民法典第二百七十八条），收到 {value!r}"
        )
    return value


def _unit_area(raw: Any, unit_id: str) -> Decimal:
    """The unit's area: a decimal string takes the fast path, anything else the full checks."""
    if type(raw) is str:
        try:
            area = Decimal(raw)
        except decimal.InvalidOperation:
            pass
        else:
            if area.is_finite() and area >= 0:
                return area
    return parse_area(raw, f"专有部分 {unit_id}")


def parse_units(rows: Any) -> list[Unit]:
    """Units from plain data. The common case (strings everywhere) takes a fast path; anything
    else goes through the checks that name the unit and the field in the message.
    """
    if not isinstance(rows, list):
        raise InputError("units 应为数组")
    units: list[Unit] = []
    append = units.append
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise InputError(f"第 {i} 个专有部分：应为对象")
        unit_id = row.get("id")
        if type(unit_id) is not str or not unit_id.strip():
            unit_id = _text(unit_id, f"第 {i} 个专有部分", "id")
        unit_id = unit_id.strip()
        if unit_id in seen:
            raise InputError(f"专有部分 {unit_id}：id 重复")
        seen.add(unit_id)
        status = row.get("status")
        if status not in STATUSES:
            raise InputError(
                f"专有部分 {unit_id}：status 应为 owned、unsold 或 undelivered，收到 {status!r}"
            )
        area = _unit_area(row.get("area"), unit_id)
        # Unsold and undelivered units belong to the developer whatever ``owner`` says.
        owner = row.get("owner") if status == "owned" else DEVELOPER
        if type(owner) is not str or not owner.strip():
            owner = _text(owner, f"专有部分 {unit_id}", "owner")
        append(Unit(unit_id, area, owner.strip(), status))
    return units


def parse_ballots(rows: Any) -> list[Ballot]:
    if not isinstance(rows, list):
        raise InputError("ballots 应为数组")
    ballots: list[Ballot] = []
    append = ballots.append
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise InputError(f"第 {i} 张选票：应为对象")
        owner = row.get("owner")
        if type(owner) is not str or not owner.strip():
            owner = _text(owner, f"第 {i} 张选票", "owner")
        choice = row.get("choice")
        if choice not in CHOICES:
            raise InputError(
                f"第 {i} 张选票：choice 应为 agree、disagree 或 abstain，收到 {choice!r}"
            )
        append(Ballot(owner.strip(), choice))
    return ballots


def parse(document: Any) -> tuple[int, list[Unit], list[Ballot]]:
    """Matter, units and ballots from the decoded JSON of ``xiaoqu vote evaluate``."""
    if not isinstance(document, Mapping):
        raise InputError("输入应为一个 JSON 对象")
    return (
        parse_matter(document.get("matter")),
        parse_units(document.get("units")),
        parse_ballots(document.get("ballots", [])),
    )


# --- evaluation -------------------------------------------------------------------------------


def owner_areas(units: Iterable[Unit]) -> dict[str, Decimal]:
    """Each effective owner with the summed area of their units in scope."""
    areas: dict[str, Decimal] = {}
    with decimal.localcontext(_CONTEXT):
        for unit in units:
            areas[unit.owner] = areas.get(unit.owner, Decimal(0)) + unit.area
    return areas


def evaluate(matter: int, units: Iterable[Unit], ballots: Iterable[Ballot]) -> Result:
    """Tally one vote. A ballot of an owner with no unit in scope, or a second ballot of the
    same owner, is an ``InputError`` (the caller decides; nothing is silently dropped).
    """
    matter = parse_matter(matter)
    areas = owner_areas(units)
    if not areas:
        raise InputError("范围内没有任何专有部分，无法表决")
    choices: dict[str, str] = {}
    for ballot in ballots:
        if ballot.owner not in areas:
            raise InputError(f"业主 {ballot.owner} 在表决范围内没有专有部分，选票无效")
        if ballot.owner in choices:
            raise InputError(f"业主 {ballot.owner} 投了第二张票：每位业主只能投一票")
        choices[ballot.owner] = ballot.choice
    with decimal.localcontext(_CONTEXT):
        total = Count(sum(areas.values(), Decimal(0)), len(areas))
        participating = Count(sum((areas[o] for o in choices), Decimal(0)), len(choices))
        agreed = [o for o, c in choices.items() if c == "agree"]
        agreeing = Count(sum((areas[o] for o in agreed), Decimal(0)), len(agreed))
    return decide(matter, total, participating, agreeing)


def decide(matter: int, total: Count, participating: Count, agreeing: Count) -> Result:
    """The result from the three counts alone (what ``evaluate`` computes from units and
    ballots; a database can sum them itself and call this directly).
    """
    matter = parse_matter(matter)
    if total.owners <= 0:
        raise InputError("范围内没有任何专有部分，无法表决")
    if not (agreeing.owners <= participating.owners <= total.owners) or not (
        0 <= agreeing.area <= participating.area <= total.area
    ):
        raise InputError("同意、参与和总数的面积与人数须依次不增")
    with decimal.localcontext(_CONTEXT):
        quorum_area = 3 * participating.area >= 2 * total.area
        quorum_owners = 3 * participating.owners >= 2 * total.owners
        klass = consent_class(matter)
        if klass == "special":
            consent_area = 4 * agreeing.area >= 3 * participating.area
            consent_owners = 4 * agreeing.owners >= 3 * participating.owners
        else:
            consent_area = 2 * agreeing.area > participating.area
            consent_owners = 2 * agreeing.owners > participating.owners
    # Nobody taking part can never pass, even where 0 >= 3/4 × 0 would hold.
    consent_met = consent_area and consent_owners and participating.owners > 0
    quorum_met = quorum_area and quorum_owners
    reasons = _reasons(
        matter,
        klass,
        total,
        participating,
        agreeing,
        (quorum_area, quorum_owners, consent_area, consent_owners),
    )
    return Result(
        matter=matter,
        passed=quorum_met and consent_met,
        quorum_met=quorum_met,
        consent_class=klass,
        total=total,
        participating=participating,
        agreeing=agreeing,
        reasons=tuple(reasons),
    )


def quorum_shortfall(total: Count, participating: Count) -> Count:
    """What the owners taking part still lack for the quorum (⅔ of the area **and** ⅔ of the
    owners): the area rounded up to the hundredth of a square metre, so it never promises the
    quorum too early; zero where that half of the quorum is met."""
    need_area = Fraction(total.area) * 2 / 3
    need_owners = math.ceil(Fraction(total.owners * 2, 3))
    missing = need_area - Fraction(participating.area)
    area = Decimal(math.ceil(missing * 100)) / 100 if missing > 0 else Decimal("0.00")
    return Count(area.quantize(Decimal("0.01")), max(0, need_owners - participating.owners))


def evaluate_document(document: Any) -> Result:
    matter, units, ballots = parse(document)
    return evaluate(matter, units, ballots)


# --- explaining -------------------------------------------------------------------------------


def _fmt(area: Decimal) -> str:
    return format(area, "f")


def _fmt_fraction(value: Fraction, *, up: bool = True) -> str:
    """Square metres to the hundredth: rounded up for what is needed or missing, down for a
    surplus, so the text never claims more than the numbers give.
    """
    hundredths = math.ceil(value * 100) if up else math.floor(value * 100)
    return f"{Decimal(hundredths) / 100:.2f}"


def _pct(part: Fraction | Decimal | int, whole: Fraction | Decimal | int) -> str:
    if not whole:
        return "—"
    return f"{float(Fraction(part) / Fraction(whole)) * 100:.2f}%"


def _reasons(
    matter: int,
    klass: str,
    total: Count,
    part: Count,
    agree: Count,
    met: tuple[bool, bool, bool, bool],
) -> list[str]:
    quorum_area, quorum_owners, consent_area, consent_owners = met
    ok = {True: "达到", False: "未达到"}
    lines = [
        f"表决事项：第 {matter} 项 {MATTERS[matter]}（"
        + ("特别事项，须四分之三以上同意" if klass == "special" else "一般事项，须过半数同意")
        + "）",
    ]
    need_area = Fraction(total.area) * 2 / 3
    need_owners = math.ceil(Fraction(total.owners * 2, 3))
    lines.append(
        f"参与表决的专有面积 {_fmt(part.area)} m²，占总面积 {_fmt(total.area)} m² 的 "
        f"{_pct(part.area, total.area)}；须不少于三分之二（{_fmt_fraction(need_area)} m²）："
        f"{ok[quorum_area]}" + _gap(Fraction(part.area) - need_area, quorum_area, "m²")
    )
    lines.append(
        f"参与表决的业主 {part.owners} 人，占总人数 {total.owners} 人的 "
        f"{_pct(part.owners, total.owners)}；须不少于三分之二（{need_owners} 人）："
        f"{ok[quorum_owners]}" + _gap(part.owners - need_owners, quorum_owners, "人")
    )
    if klass == "special":
        need_a = Fraction(part.area) * 3 / 4
        need_n = math.ceil(Fraction(part.owners * 3, 4))
        rule = "须不少于四分之三"
    else:
        need_a = Fraction(part.area) / 2
        need_n = part.owners // 2 + 1
        rule = "须超过一半"
    area_margin = Fraction(agree.area) - need_a
    lines.append(
        f"同意的专有面积 {_fmt(agree.area)} m²，占参与表决面积的 {_pct(agree.area, part.area)}；"
        f"{rule}（{_fmt_fraction(need_a)} m²）：{ok[consent_area]}"
        + _gap(area_margin, consent_area, "m²", strict=klass != "special")
    )
    lines.append(
        f"同意的业主 {agree.owners} 人，占参与表决人数的 {_pct(agree.owners, part.owners)}；"
        f"{rule}（{need_n} 人）：{ok[consent_owners]}"
        + _gap(agree.owners - need_n, consent_owners, "人")
    )
    if part.owners == 0:
        lines.append("没有业主参与表决，决定不能通过")
    return lines


def _gap(margin: Fraction | int, met: bool, unit: str, *, strict: bool = False) -> str:
    """ "，超出 x" when met, "，还差 x" when missed (for a strict threshold "超过" is exact)."""
    if met:
        if unit == "人":
            return f"，多出 {margin} {unit}" if margin > 0 else ""
        return f"，多出 {_fmt_fraction(Fraction(margin), up=False)} {unit}" if margin > 0 else ""
    short = -Fraction(margin)
    if unit == "人":
        return f"，还差 {short} {unit}"
    if strict and short == 0:
        return "，须再多一点同意面积（过半数须严格超过一半）"
    return f"，还差 {_fmt_fraction(short)} {unit}"
