"""Reads of a project's money and of residents' contributions, for the pages.

:func:`project_ledger` sums the ledger in the database (one grouped query for receipts, one
for payments) and hands the sums to the pure ``renovation.ledger``; the tests check that it
gives the same figures as the pure module fed with every entry one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoqu.core.money import yuan
from xiaoqu.registry.models import Dwelling
from xiaoqu.registry.scope import home_dwelling_ids
from xiaoqu.renovation import ledger as pure
from xiaoqu.renovation.models import (
    Contribution,
    ContributionPlan,
    EntryKind,
    FundSource,
    ItemFunding,
    MoneyEntry,
    Project,
    ProjectItem,
    SplitMethod,
)
from xiaoqu.renovation.services.money import (
    REVERSAL_PREFIX,
    owners_planned_fen,
    reversed_entry_id,
)

ALERT_LABELS = {
    pure.OVER_BUDGET: gettext_lazy("超预算"),
    pure.OVERDRAWN: gettext_lazy("超支/资金未到位"),
    pure.OVER_PLANNED: gettext_lazy("超计划"),
}
SOURCE_LABELS = dict(FundSource.choices)


def project_ledger(project: Project) -> pure.Ledger:
    """The project's figures and alerts, from sums computed by the database."""
    budgets = dict(project.items.order_by("pk").values_list("pk", "budget_fen"))
    planned = ItemFunding.objects.filter(item__project=project).values_list(
        "item_id", "source", "planned_fen"
    )
    entries = [
        pure.Entry(pure.RECEIPT, row["source"], int(row["total"]))
        for row in project.ledger.filter(kind=EntryKind.RECEIPT)
        .values("source")
        .annotate(total=Sum("amount_fen"))
        .order_by("source")
    ]
    entries += [
        pure.Entry(pure.PAYMENT, row["source"], int(row["total"]), item=row["item_id"])
        for row in project.ledger.filter(kind=EntryKind.PAYMENT)
        .values("item_id", "source")
        .annotate(total=Sum("amount_fen"))
        .order_by("item_id", "source")
    ]
    return pure.reconcile(
        budgets=budgets, planned=planned, entries=entries, source_order=FundSource.values
    )


@dataclass(frozen=True)
class AlertLine:
    label: str
    text: str


def alert_lines(ledger: pure.Ledger, items: dict[int, ProjectItem]) -> list[AlertLine]:
    """Each alert in words, e.g. 超预算：加装电梯 已付 612,000.00 元，超出 12,000.00 元."""
    lines = []
    for alert in ledger.alerts:
        title = items[alert.item].title if alert.item in items else ""
        source = str(SOURCE_LABELS.get(alert.source or "", alert.source or ""))
        if alert.kind == pure.OVERDRAWN:
            figures = ledger.sources[alert.source or ""]
            text = _("%(source)s已付 %(paid)s 元，到位 %(received)s 元，差 %(over)s 元。") % {
                "source": source,
                "paid": yuan(figures.paid),
                "received": yuan(figures.received),
                "over": yuan(alert.over_fen),
            }
        elif alert.kind == pure.OVER_BUDGET:
            text = _("“%(item)s”已付 %(paid)s 元，超出预算 %(over)s 元。") % {
                "item": title,
                "paid": yuan(ledger.items[alert.item or 0].paid),
                "over": yuan(alert.over_fen),
            }
        else:
            text = _("“%(item)s”从%(source)s支付超出计划 %(over)s 元。") % {
                "item": title,
                "source": source,
                "over": yuan(alert.over_fen),
            }
        lines.append(AlertLine(str(ALERT_LABELS[alert.kind]), text))
    return lines


@dataclass
class ItemMoney:
    item: ProjectItem
    figures: pure.ItemFigures
    alerts: list[str]
    has_owners: bool

    @property
    def source_lines(self) -> list[tuple[str, pure.ItemSourceFigures]]:
        return [
            (str(SOURCE_LABELS.get(c.source, c.source)), c) for c in self.figures.sources.values()
        ]


@dataclass
class ProjectMoney:
    project: Project
    ledger: pure.Ledger
    items: list[ItemMoney]
    alerts: list[AlertLine]
    reversed_ids: set[int] = field(default_factory=set)

    @property
    def sources(self) -> list[tuple[str, pure.SourceFigures, list[str]]]:
        return [
            (
                str(SOURCE_LABELS.get(s.source, s.source)),
                s,
                [str(ALERT_LABELS[a.kind]) for a in self.ledger.source_alerts(s.source)],
            )
            for s in self.ledger.sources.values()
        ]


def _owners_planned(figures: pure.ItemFigures) -> int:
    cell = figures.sources.get(FundSource.OWNERS)
    return cell.planned if cell is not None else 0


def project_money(project: Project) -> ProjectMoney:
    """What the money tab shows: sources, items with their sources, alerts in words."""
    ledger = project_ledger(project)
    items = {
        i.pk: i for i in project.items.select_related("estate", "entrance__building").order_by("pk")
    }
    rows = [
        ItemMoney(
            item=items[pk],
            figures=figures,
            alerts=sorted({str(ALERT_LABELS[a.kind]) for a in ledger.item_alerts(pk)}),
            has_owners=_owners_planned(figures) > 0,
        )
        for pk, figures in ledger.items.items()
        if pk in items
    ]
    return ProjectMoney(project, ledger, rows, alert_lines(ledger, items), reversed_ids(project))


def ledger_entries(project: Project) -> QuerySet[MoneyEntry]:
    """The project's ledger, latest first."""
    return project.ledger.select_related("item", "recorded_by").order_by("-on", "-pk")


def reversed_ids(project: Project) -> set[int]:
    """Ids of the project's entries cancelled by a reversing entry."""
    notes = project.ledger.filter(amount_fen__lt=0, note__startswith=REVERSAL_PREFIX).values_list(
        "note", flat=True
    )
    return {pk for pk in (reversed_entry_id(n) for n in notes) if pk is not None}


# --- residents' contributions ---------------------------------------------------------------


def coefficient_for(table: dict[int, Decimal], floor: int) -> Decimal | None:
    """The coefficient a floor takes: its own, else that of the highest floor below it that has
    one (the rule of ``contributions.by_floor``); None below the table."""
    below = [f for f in table if f <= floor]
    return table[max(below)] if below else None


def plan_table(plan: ContributionPlan) -> dict[int, Decimal]:
    return {
        int(f): Decimal(c) for f, c in sorted(plan.coefficients.items(), key=lambda kv: int(kv[0]))
    }


def weight_of(plan: ContributionPlan, dwelling: Dwelling, table: dict[int, Decimal]) -> Decimal:
    """A dwelling's weight in the plan's split (area, coefficient, or coefficient × area)."""
    if plan.method == SplitMethod.AREA:
        return dwelling.area
    coefficient = coefficient_for(table, dwelling.floor) or Decimal(0)
    return coefficient * dwelling.area if plan.times_area else coefficient


@dataclass
class ShareLine:
    dwelling: Dwelling
    amount_fen: int
    coefficient: Decimal | None
    weight: Decimal


@dataclass
class ItemContributions:
    item: ProjectItem
    owners_planned_fen: int
    plan: ContributionPlan | None
    table: dict[int, Decimal]
    lines: list[ShareLine]
    total_fen: int
    total_weight: Decimal


def item_contributions(item: ProjectItem) -> ItemContributions:
    """The item's split, dwelling by dwelling (numbers, floors, areas and amounts only)."""
    plan = ContributionPlan.objects.filter(item=item).first()
    lines: list[ShareLine] = []
    table: dict[int, Decimal] = {}
    if plan is not None:
        table = plan_table(plan)
        shares = plan.shares.select_related("dwelling__building", "dwelling__entrance").order_by(
            "dwelling__building__number",
            "dwelling__entrance__number",
            "dwelling__floor",
            "dwelling__number",
        )
        for share in shares:
            d = share.dwelling
            coefficient = (
                coefficient_for(table, d.floor) if plan.method == SplitMethod.FLOOR else None
            )
            lines.append(ShareLine(d, share.amount_fen, coefficient, weight_of(plan, d, table)))
    return ItemContributions(
        item=item,
        owners_planned_fen=owners_planned_fen(item),
        plan=plan,
        table=table,
        lines=lines,
        total_fen=sum(line.amount_fen for line in lines),
        total_weight=sum((line.weight for line in lines), Decimal(0)),
    )


@dataclass
class StatementLine:
    share: Contribution
    plan: ContributionPlan
    explanation: str
    table: dict[int, Decimal]


@dataclass
class DwellingStatement:
    dwelling: Dwelling
    lines: list[StatementLine]

    @property
    def total_fen(self) -> int:
        return sum(line.share.amount_fen for line in self.lines)


def _plan_totals(plans: list[ContributionPlan]) -> dict[int, tuple[int, Decimal]]:
    """Per plan: how many dwellings share it and the sum of their weights."""
    by_plan: dict[int, list[Dwelling]] = defaultdict(list)
    for share in Contribution.objects.filter(plan__in=plans).select_related("dwelling"):
        by_plan[share.plan_id].append(share.dwelling)
    totals = {}
    for plan in plans:
        table = plan_table(plan)
        dwellings = by_plan[plan.pk]
        totals[plan.pk] = (
            len(dwellings),
            sum((weight_of(plan, d, table) for d in dwellings), Decimal(0)),
        )
    return totals


def explain(plan: ContributionPlan, dwelling: Dwelling, households: int, total: Decimal) -> str:
    """How a dwelling's share was worked out, in words a resident reads."""
    amount = yuan(plan.amount_fen)
    if plan.method == SplitMethod.AREA:
        return _(
            "按专有部分面积分摊（民法典第二百八十三条）：居民出资共 %(amount)s 元，"
            "%(n)d 户共 %(total)s m²，本户 %(area)s m²。"
        ) % {"amount": amount, "n": households, "total": total, "area": dwelling.area}
    table = plan_table(plan)
    coefficient = coefficient_for(table, dwelling.floor) or Decimal(0)
    if plan.times_area:
        return _(
            "按楼层系数 × 面积分摊：居民出资共 %(amount)s 元，本户在 %(floor)d 层，"
            "系数 %(c)s × %(area)s m²，%(n)d 户合计 %(total)s。"
        ) % {
            "amount": amount,
            "floor": dwelling.floor,
            "c": coefficient,
            "area": dwelling.area,
            "n": households,
            "total": total.normalize(),
        }
    return _(
        "按楼层系数分摊：居民出资共 %(amount)s 元，本户在 %(floor)d 层，系数 %(c)s，"
        "%(n)d 户系数合计 %(total)s。"
    ) % {
        "amount": amount,
        "floor": dwelling.floor,
        "c": coefficient,
        "n": households,
        "total": total.normalize(),
    }


def resident_statement(user: Any) -> list[DwellingStatement]:
    """The contributions of the user's own dwellings (owned or lived in), each item's share
    with how it was worked out, per dwelling."""
    homes = home_dwelling_ids(user)
    if not homes:
        return []
    shares = list(
        Contribution.objects.filter(dwelling_id__in=homes)
        .select_related(
            "plan__item__project",
            "plan__item__estate",
            "dwelling__building",
            "dwelling__entrance",
            "dwelling__estate",
        )
        .order_by("dwelling_id", "plan__item__project_id", "plan__item_id")
    )
    plans = list({s.plan_id: s.plan for s in shares}.values())
    totals = _plan_totals(plans)
    statements: dict[int, DwellingStatement] = {}
    for share in shares:
        n, total = totals[share.plan_id]
        statement = statements.setdefault(share.dwelling_id, DwellingStatement(share.dwelling, []))
        statement.lines.append(
            StatementLine(
                share,
                share.plan,
                explain(share.plan, share.dwelling, n, total),
                plan_table(share.plan),
            )
        )
    return list(statements.values())


def has_contributions(user: Any) -> bool:
    homes = home_dwelling_ids(user)
    return bool(homes) and Contribution.objects.filter(dwelling_id__in=homes).exists()


def money_rows_for_export(project: Project) -> list[list[Any]]:
    """The ledger as rows for the spreadsheet (oldest first), with a header row."""
    header = [
        _("日期"),
        _("类型"),
        _("资金来源"),
        _("条目"),
        _("金额（元）"),
        _("收款单位"),
        _("摘要"),
        _("凭证"),
        _("记录人"),
        _("记录时间"),
    ]
    rows: list[list[Any]] = [header]
    for e in project.ledger.select_related("item", "recorded_by").order_by("on", "pk"):
        rows.append(
            [
                e.on,
                str(e.get_kind_display()) if e.amount_fen > 0 else _("冲销"),
                str(SOURCE_LABELS.get(e.source, e.source)),
                e.item.title if e.item else "",
                Decimal(e.amount_fen) / 100,
                e.payee,
                e.note,
                _("有") if e.document else "",
                str(e.recorded_by),
                timezone.localtime(e.recorded_at).replace(tzinfo=None),
            ]
        )
    return rows
