"""A region's figures as the ``xiaoqu rollup --json`` object and as table rows for the pages
and the spreadsheet exports (docs/insights.md, docs/cli.md). Keys of stages, management modes,
content classes and fund sources are the register's Chinese names, whatever the language."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from xiaoqu.insights.selectors import ChildRow, Figures, keyed_family
from xiaoqu.needs.models import DemandClass
from xiaoqu.registry.models import ManagementMode, Region, RenovationStage
from xiaoqu.renovation.models import FundSource, ProjectStage


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _names(choices: Any) -> dict[str, str]:
    with translation.override(None):
        return {value: str(label) for value, label in choices.choices}


def figures_json(f: Figures) -> dict[str, Any]:
    """Everything but the region's own identity, for a region or an estate."""
    stage = _names(RenovationStage)
    mode = _names(ManagementMode)
    klass = _names(DemandClass)
    source = _names(FundSource)
    pstage = _names(ProjectStage)
    s = f.sums
    projects = keyed_family(f, "projects")
    money_keys = {k: keyed_family(f, k) for k in ("planned", "received", "spent")}
    demands = keyed_family(f, "demands")
    return {
        "estates": f.estates,
        "eligible_estates": f.eligible_estates,
        "buildings": s["buildings"],
        "dwellings": s["dwellings"],
        "households": f.households,
        "eligible_households": f.eligible_households,
        "by_stage": {stage[k]: v["estates"] for k, v in f.by_stage.items()},
        "households_by_stage": {stage[k]: v["households"] for k, v in f.by_stage.items()},
        "by_management": {mode[k]: v for k, v in f.by_management.items()},
        "needs": {
            "opinions": s["opinions"],
            "demands": s["demands"],
            "demands_addressed": s["demands_addressed"],
            "demands_by_class": {klass[k]: demands.get(k, 0) for k in DemandClass.values},
        },
        "meetings": {"held": s["meetings"], "minutes_published": s["minutes_published"]},
        "votes": {
            "open": s["votes_open"],
            "closed": s["votes_closed"],
            "published": s["votes_published"],
            "passed": s["votes_passed"],
            "owners_participating": s["owners_participating"],
            "owners_total": s["owners_total"],
            "turnout": _ratio(f.turnout),
        },
        "renovation": {
            "households_in_plan": f.in_plan_households,
            "households_benefited": f.benefited_households,
            "planned_by_year": {str(y): v for y, v in f.planned_by_year.items()},
            "accepted_by_year": {str(y): v for y, v in f.accepted_by_year.items()},
            "projects": s["projects"],
            "projects_by_stage": {pstage[k]: projects.get(k, 0) for k in ProjectStage.values},
            "items": s["items"],
            "items_from_demands": s["items_from_demands"],
            "satisfaction": {
                "responses": s["survey_responses"],
                "satisfied": s["survey_satisfied"],
                "basic": s["survey_basic"],
                "rate": _ratio(f.satisfaction),
            },
        },
        "money": {
            "planned_fen": s["planned_fen"],
            "received_fen": s["received_fen"],
            "spent_fen": s["spent_fen"],
            "by_source": {
                source[k]: {
                    "planned_fen": money_keys["planned"].get(k, 0),
                    "received_fen": money_keys["received"].get(k, 0),
                    "spent_fen": money_keys["spent"].get(k, 0),
                }
                for k in FundSource.values
            },
        },
        "work_orders": {
            "total": s["orders"],
            "open": s["orders_open"],
            "closed": s["orders_closed"],
            "on_time": s["orders_on_time"],
            "escalated": s["orders_escalated"],
        },
        "maintenance_fund_fen": s["fund_balance_fen"],
        "as_of": f.as_of.isoformat() if f.as_of else None,
    }


def rollup_json(region: Region, figures: Figures, children: list[ChildRow]) -> dict[str, Any]:
    """The ``xiaoqu rollup --json`` object (docs/cli.md)."""
    with translation.override(None):
        level = str(region.get_level_display())
    out: dict[str, Any] = {"region": region.code, "name": region.name, "level": level}
    out.update(figures_json(figures))
    out["children"] = [
        {
            "region": c.region.code if c.region else None,
            "estate": c.estate.code if c.estate else None,
            "name": c.region.name if c.region else c.estate.name if c.estate else "",
            "estates": c.figures.estates,
            "households": c.figures.households,
            "dwellings": c.figures.sums["dwellings"],
            "households_benefited": c.figures.benefited_households,
            "demands": c.figures.sums["demands"],
            "demands_addressed": c.figures.sums["demands_addressed"],
            "votes_passed": c.figures.sums["votes_passed"],
            "work_orders_open": c.figures.sums["orders_open"],
        }
        for c in children
    ]
    return out
