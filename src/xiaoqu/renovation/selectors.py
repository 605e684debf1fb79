"""Reads of the works: a project as its pages show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from xiaoqu.renovation.models import STAGE_ORDER, Project, ProjectItem, ProjectStage
from xiaoqu.renovation.services.projects import item_clearance


@dataclass
class ItemLine:
    item: ProjectItem
    cleared: bool
    held_because: str
    overdue: bool


@dataclass
class ProjectView:
    project: Project
    items: list[ItemLine] = field(default_factory=list)
    budget_fen: int = 0
    percent: int = 0  # budget-weighted progress of the items cleared for works

    @property
    def overdue(self) -> list[ItemLine]:
        return [line for line in self.items if line.overdue]


def is_overdue(item: ProjectItem, today: dt.date) -> bool:
    """Past its planned finish and not finished."""
    return bool(item.planned_finish and item.percent < 100 and item.planned_finish < today)


def project_view(project: Project, today: dt.date | None = None) -> ProjectView:
    today = today or timezone.localdate()
    now = timezone.now()
    view = ProjectView(project)
    weighted = weight = 0
    for item in project.items.select_related("vote", "estate", "entrance__building", "demand"):
        cleared, why = item_clearance(item, now)
        view.items.append(ItemLine(item, cleared, why, is_overdue(item, today)))
        view.budget_fen += item.budget_fen
        if cleared:
            weighted += item.percent * item.budget_fen
            weight += item.budget_fen
    view.percent = round(weighted / weight) if weight else 0
    return view


@dataclass(frozen=True)
class StageStep:
    value: str
    label: str
    done: bool
    current: bool


def stage_steps(project: Project) -> list[StageStep]:
    here = STAGE_ORDER.index(project.stage)
    return [
        StageStep(value, str(label), i < here, i == here)
        for i, (value, label) in enumerate(ProjectStage.choices)
    ]
