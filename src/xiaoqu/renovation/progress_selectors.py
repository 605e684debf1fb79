"""Reads of the works on site: a project's timeline (planned against actual), diary, photos,
hidden works, and the items a user may report progress on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import User
from xiaoqu.renovation.models import (
    HiddenWork,
    ProgressUpdate,
    Project,
    ProjectItem,
    ProjectStage,
    SitePhoto,
)
from xiaoqu.renovation.rules import REPORT_PROGRESS
from xiaoqu.renovation.selectors import ItemLine, ProjectView, project_view
from xiaoqu.renovation.services.projects import item_clearance

# The phone page lists at most this many items (a street's staff may reach many projects).
SITE_ITEMS_MAX = 300


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def timeline_row(line: ItemLine, today: dt.date) -> dict[str, Any]:
    """One item of the timeline: its planned bar, and its actual bar from the actual start to
    the actual finish (to today while it is under way)."""
    item = line.item
    actual_end = item.actual_finish or (today if item.actual_start else None)
    if item.actual_start and actual_end and actual_end < item.actual_start:
        actual_end = item.actual_start
    return {
        "id": item.pk,
        "name": item.title,
        "estate": item.estate.name,
        "ps": _day(item.planned_start),
        "pf": _day(item.planned_finish),
        "as": _day(item.actual_start),
        "ae": _day(actual_end),
        "done": item.actual_finish is not None,
        "percent": item.percent,
        "overdue": line.overdue,
        "held": not line.cleared,
    }


def timeline(view: ProjectView, today: dt.date) -> dict[str, Any]:
    """What the ECharts timeline draws (through json_script): the rows, today and its words."""
    return {
        "today": today.isoformat(),
        "rows": [timeline_row(line, today) for line in view.items],
        "labels": {
            "planned": str(_("计划")),
            "actual": str(_("实际")),
            "today": str(_("今天")),
            "overdue": str(_("逾期")),
            "held": str(_("暂缓")),
            "noDates": str(_("未排期")),
        },
    }


@dataclass
class ProgressPage:
    view: ProjectView
    chart: dict[str, Any]
    updates: list[ProgressUpdate]
    diary: list[Any]
    photos: list[SitePhoto]
    hidden: list[HiddenWork]

    @property
    def scheduled(self) -> bool:
        return any(line.item.planned_start or line.item.actual_start for line in self.view.items)


def progress_page(project: Project, today: dt.date | None = None) -> ProgressPage:
    today = today or timezone.localdate()
    view = project_view(project, today)
    updates = list(
        ProgressUpdate.objects.filter(item__project=project)
        .select_related("item", "reported_by")
        .order_by("-reported_at", "-pk")[:30]
    )
    return ProgressPage(
        view=view,
        chart=timeline(view, today),
        updates=updates,
        diary=list(project.diary.select_related("author").order_by("-date")[:60]),
        photos=list(
            project.photos.select_related("item", "uploaded_by").order_by("-uploaded_at", "-pk")[
                :60
            ]
        ),
        hidden=hidden_works(project),
    )


def hidden_works(project: Project) -> list[HiddenWork]:
    return list(
        HiddenWork.objects.filter(item__project=project)
        .select_related(
            "item", "photo", "recorded_by", "supervisor_signed_by", "resident_signed_by"
        )
        .order_by("-recorded_at", "-pk")
    )


@dataclass
class SiteItem:
    item: ProjectItem
    cleared: bool
    held_because: str


def site_items(user: User) -> list[SiteItem]:
    """The items of projects in 施工 the user may report progress on, project by project."""
    items: QuerySet[ProjectItem] = REPORT_PROGRESS.scoped(
        user, ProjectItem.objects.filter(project__stage=ProjectStage.WORKS)
    )
    now = timezone.now()
    lines = []
    for item in items.select_related("project", "estate", "vote").order_by("project", "pk")[
        :SITE_ITEMS_MAX
    ]:
        cleared, why = item_clearance(item, now)
        lines.append(SiteItem(item, cleared, why))
    return lines
