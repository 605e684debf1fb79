"""The dashboard's tables: each chart of a region or estate page is drawn from one of these,
shown beside it as a table and exported as a sheet (docs/insights.md). One source for the
three, so the chart, the table and the spreadsheet never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from xiaoqu.insights.selectors import ChildRow, Figures, keyed_family
from xiaoqu.needs.models import DemandClass
from xiaoqu.registry.models import ManagementMode, RenovationStage
from xiaoqu.renovation.models import FundSource, ProjectStage


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    # How the chart draws it: "bar", "funnel", "line" or "pie".
    chart: str = "bar"
    # The last row is a total: in the table and the sheet, not in the chart.
    total: bool = False
    # Which value columns (1-based after the label) the chart plots; all when empty.
    plot: list[int] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    unit: str = ""
    note: str = ""

    @property
    def empty(self) -> bool:
        return not any(
            isinstance(v, (int, float, Decimal)) and v for row in self.rows for v in row[1:]
        )

    def chart_json(self) -> dict[str, Any]:
        plot = self.plot or list(range(1, len(self.columns)))
        rows = self.rows[:-1] if self.total else self.rows
        return {
            "key": self.key,
            "kind": self.chart,
            "categories": [str(r[0]) for r in rows],
            "series": [
                {"name": self.columns[i], "data": [_number(r[i]) for r in rows]} for i in plot
            ],
            "links": self.links,
            "unit": self.unit,
        }


def _number(value: Any) -> float | int | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value if isinstance(value, (int, float)) else None


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _wan_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 1_000_000).quantize(Decimal("0.01"))


def _percent(value: float | None) -> Decimal | str:
    return "" if value is None else (Decimal(value) * 100).quantize(Decimal("0.1"))


def _stage_rank() -> list[str]:
    return list(RenovationStage.values)


def stage_funnel(f: Figures) -> Table:
    """Estates at each stage and estates that have reached it (the funnel)."""
    order = _stage_rank()
    rows = []
    for i, stage in enumerate(order):
        reached = sum(f.by_stage[s]["estates"] for s in order[i:])
        rows.append(
            [
                str(RenovationStage(stage).label),
                f.by_stage[stage]["estates"],
                f.by_stage[stage]["households"],
                reached,
            ]
        )
    return Table(
        key="stages",
        title=_("改造阶段"),
        columns=[_("改造阶段"), _("小区"), _("户数"), _("已到达此阶段的小区")],
        rows=rows,
        chart="funnel",
        plot=[3],
    )


def households_over_time(f: Figures) -> Table:
    years = sorted(set(f.planned_by_year) | set(f.accepted_by_year))
    rows = []
    planned_total = accepted_total = 0
    for year in years:
        planned = f.planned_by_year.get(year, {}).get("households", 0)
        accepted = f.accepted_by_year.get(year, {}).get("households", 0)
        planned_total += planned
        accepted_total += accepted
        rows.append([str(year), planned, planned_total, accepted, accepted_total])
    return Table(
        key="households",
        title=_("受益户数（按年度）"),
        columns=[
            _("年度"),
            _("当年纳入计划户数"),
            _("累计纳入计划户数"),
            _("当年验收户数"),
            _("累计验收户数"),
        ],
        rows=rows,
        chart="line",
        plot=[2, 4],
        note=_("纳入计划：小区所在的年度改造计划；验收：联合验收通过的日期。"),
    )


def demands_by_class(f: Figures) -> Table:
    family = keyed_family(f, "demands")
    rows = [[str(DemandClass(k).label), family.get(k, 0)] for k in DemandClass.values]
    rows.append([_("合计"), f.sums["demands"]])
    table = Table(
        key="demands",
        title=_("居民需求（按改造内容分类）"),
        columns=[_("分类"), _("需求")],
        rows=rows,
        chart="pie",
        total=True,
        note=_("意见 %(o)d 条，需求 %(d)d 条，已列入方案或完成 %(a)d 条。")
        % {"o": f.sums["opinions"], "d": f.sums["demands"], "a": f.sums["demands_addressed"]},
    )
    return table


def votes(f: Figures) -> Table:
    s = f.sums
    return Table(
        key="votes",
        title=_("业主表决"),
        columns=[_("事项"), _("数量")],
        rows=[
            [_("投票中"), s["votes_open"]],
            [_("已结束"), s["votes_closed"]],
            [_("已公示结果"), s["votes_published"]],
            [_("通过"), s["votes_passed"]],
        ],
        note=_("已公示的表决中参与业主 %(p)d 人，共 %(t)d 人，参与率 %(r)s。")
        % {
            "p": s["owners_participating"],
            "t": s["owners_total"],
            "r": f"{_percent(f.turnout)}%" if f.turnout is not None else "—",
        },
    )


def management(f: Figures) -> Table:
    return Table(
        key="management",
        title=_("管理模式"),
        columns=[_("管理模式"), _("小区")],
        rows=[[str(ManagementMode(k).label), v] for k, v in f.by_management.items()],
        chart="pie",
    )


def projects(f: Figures) -> Table:
    family = keyed_family(f, "projects")
    return Table(
        key="projects",
        title=_("改造项目（按阶段）"),
        columns=[_("阶段"), _("项目")],
        rows=[[str(ProjectStage(k).label), family.get(k, 0)] for k in ProjectStage.values],
        note=_("改造内容 %(i)d 项，其中来自居民需求 %(d)d 项。")
        % {"i": f.sums["items"], "d": f.sums["items_from_demands"]},
    )


def money(f: Figures) -> Table:
    parts = {k: keyed_family(f, k) for k in ("planned", "received", "spent")}
    rows = [
        [
            str(FundSource(k).label),
            _wan_yuan(parts["planned"].get(k, 0)),
            _wan_yuan(parts["received"].get(k, 0)),
            _wan_yuan(parts["spent"].get(k, 0)),
        ]
        for k in FundSource.values
    ]
    rows.append(
        [
            _("合计"),
            _wan_yuan(f.sums["planned_fen"]),
            _wan_yuan(f.sums["received_fen"]),
            _wan_yuan(f.sums["spent_fen"]),
        ]
    )
    return Table(
        key="money",
        title=_("资金（按来源，万元）"),
        columns=[_("资金来源"), _("计划"), _("到位"), _("已支付")],
        rows=rows,
        total=True,
        unit=_("万元"),
    )


def satisfaction_and_orders(f: Figures) -> Table:
    s = f.sums
    return Table(
        key="service",
        title=_("验收满意度与工单"),
        columns=[_("项目"), _("数量")],
        rows=[
            [_("满意度问卷"), s["survey_responses"]],
            [_("满意"), s["survey_satisfied"]],
            [_("基本满意"), s["survey_basic"]],
            [_("工单总数"), s["orders"]],
            [_("未办结工单"), s["orders_open"]],
            [_("按时办结"), s["orders_on_time"]],
            [_("升级过的工单"), s["orders_escalated"]],
        ],
        note=_("满意度 %(s)s；办结工单按时率 %(t)s；维修资金余额 %(f)s 元。")
        % {
            "s": f"{_percent(f.satisfaction)}%" if f.satisfaction is not None else "—",
            "t": f"{_percent(f.on_time)}%" if f.on_time is not None else "—",
            "f": f"{_yuan(s['fund_balance_fen']):,}",
        },
    )


def children(rows: list[ChildRow]) -> Table:
    table_rows = []
    links: list[str | None] = []
    for row in rows:
        f = row.figures
        if row.region is not None:
            label = row.region.name
            links.append(reverse("insights:region", kwargs={"region_id": row.region.pk}))
        else:
            assert row.estate is not None
            label = row.estate.name
            links.append(reverse("insights:estate", kwargs={"estate_id": row.estate.pk}))
        table_rows.append(
            [
                label,
                f.estates,
                f.households,
                f.in_plan_households,
                f.benefited_households,
                f.sums["demands"],
                f.sums["demands_addressed"],
                f.sums["votes_passed"],
                f.sums["orders_open"],
            ]
        )
    return Table(
        key="children",
        title=_("下级"),
        columns=[
            _("名称"),
            _("小区"),
            _("户数"),
            _("纳入计划户数"),
            _("已改造受益户数"),
            _("需求"),
            _("已回应需求"),
            _("通过的表决"),
            _("未办结工单"),
        ],
        rows=table_rows,
        plot=[2, 4],
        links=links,
    )


def region_tables(f: Figures, kids: list[ChildRow]) -> list[Table]:
    tables = [stage_funnel(f), households_over_time(f)]
    if kids:
        tables.insert(0, children(kids))
    tables += [demands_by_class(f), votes(f), management(f)]
    later = [projects(f), money(f), satisfaction_and_orders(f)]
    # The later stages' figures appear once the platform holds any.
    tables += [t for t in later if not t.empty]
    return tables


def estate_tables(f: Figures) -> list[Table]:
    tables = [demands_by_class(f), votes(f)]
    later = [projects(f), money(f), satisfaction_and_orders(f)]
    return tables + [t for t in later if not t.empty]
