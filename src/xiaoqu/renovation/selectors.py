"""Reads of the works: a project as its pages show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from xiaoqu.registry.models import Estate
from xiaoqu.renovation.models import STAGE_ORDER, DutyShift, Project, ProjectItem, ProjectStage
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


# --- who to call (a card on the resident's page) ---------------------------------------------


@dataclass(frozen=True)
class Contact:
    role: str
    name: str
    phone: str
    note: str = ""


def current_project(estate_id: int) -> Project | None:
    """The estate's unfinished project, else its latest finished one."""
    projects = Project.objects.filter(project_estates__estate_id=estate_id).select_related(
        "builder"
    )
    return (
        projects.exclude(stage=ProjectStage.COMPLETED).order_by("-created_at").first()
        or projects.order_by("-created_at").first()
    )


def who_to_call(estate: Estate, building_id: int | None = None) -> list[Contact]:
    """The people a resident calls about the works and the estate: the site manager of the
    estate's project, the Party member of the responsibility zone covering their building (or
    the estate), the grid worker of their grid; and who is on duty today. These are posts
    whose holders' contacts are published on the estate's notice boards (docs/renovation.md)."""
    from django.utils.translation import gettext as _

    contacts: list[Contact] = []
    project = current_project(estate.pk)
    if (
        project is not None
        and project.stage != ProjectStage.COMPLETED
        and project.site_manager_name
    ):
        contacts.append(
            Contact(
                str(_("施工现场负责人")),
                project.site_manager_name,
                project.site_manager_phone,
                project.builder.name if project.builder else "",
            )
        )
    zone = _zone_for(estate, building_id, project)
    if zone is not None and zone.leader is not None:
        contacts.append(
            Contact(
                str(_("责任区党员")), zone.leader.person.name, zone.leader.person.phone, str(zone)
            )
        )
    worker = _grid_worker_for(estate, building_id)
    if worker is not None:
        contacts.append(
            Contact(str(_("网格员")), worker.person.name, worker.person.phone, worker.grid.name)
        )
    return contacts


def _zone_for(estate: Estate, building_id: int | None, project: Project | None) -> Any:
    from xiaoqu.organization.models import ResponsibilityZone

    zones = ResponsibilityZone.objects.select_related("leader__person")
    if project is not None and project.zones.exists():
        zones = zones.filter(pk__in=project.zones.values("pk"))
    if building_id is not None:
        by_building = zones.filter(buildings=building_id).order_by("number").first()
        if by_building is not None:
            return by_building
    return zones.filter(estates=estate).order_by("number").first()


def _grid_worker_for(estate: Estate, building_id: int | None) -> Any:
    from xiaoqu.organization.models import GridWorkerAssignment

    current = GridWorkerAssignment.objects.filter(ended_on=None).select_related("person", "grid")
    if building_id is not None:
        found = current.filter(grid__buildings=building_id).order_by("pk").first()
        if found is not None:
            return found
    return current.filter(grid__buildings__estate=estate).order_by("pk").first()


def duty_today(project: Project | None, today: dt.date | None = None) -> list[DutyShift]:
    if project is None:
        return []
    today = today or timezone.localdate()
    return list(
        project.duties.filter(date=today).select_related("member__person").order_by("starts")
    )


# --- traceability (从政府想做到群众想要) -----------------------------------------------------


@dataclass
class ItemTrace:
    item: ProjectItem
    source: str  # the demand's source (residents' opinions, life-circle analysis, staff) or ""
    households: int  # households whose opinions are behind the item
    opinions: int


@dataclass
class EstateTrace:
    estate: Estate
    items: list[ItemTrace]
    top: list[tuple[Any, bool]]  # the latest list's top-10 demands, and whether addressed

    @property
    def backed(self) -> int:
        """Items answering a demand that came from residents' opinions."""
        return sum(1 for t in self.items if t.source == "opinions")

    @property
    def backed_share(self) -> float | None:
        return self.backed / len(self.items) if self.items else None

    @property
    def top_addressed(self) -> int:
        return sum(1 for _line, done in self.top if done)

    @property
    def top_share(self) -> float | None:
        return self.top_addressed / len(self.top) if self.top else None


TOP_DEMANDS = 10


def item_traces(items: list[ProjectItem]) -> list[ItemTrace]:
    """Each item with the residents behind it: the opinions placed in its demand (and in the
    demands joined into it) and the households they came from."""
    from django.db.models import Count

    from xiaoqu.needs.models import Demand, Opinion

    demand_ids = {i.demand_id for i in items if i.demand_id}
    merged = dict(
        Demand.objects.filter(merged_into__in=demand_ids).values_list("pk", "merged_into")
    )
    counts: dict[int, tuple[int, int]] = {}
    rows = (
        Opinion.objects.filter(demand__in=demand_ids | set(merged))
        .values("demand")
        .annotate(n=Count("pk"), homes=Count("dwelling", distinct=True))
    )
    for row in rows:
        demand_id: int = row["demand"]
        target = merged.get(demand_id) or demand_id
        n, homes = counts.get(target, (0, 0))
        counts[target] = (n + row["n"], homes + row["homes"])
    sources = dict(Demand.objects.filter(pk__in=demand_ids).values_list("pk", "source"))
    return [
        ItemTrace(
            item,
            sources.get(item.demand_id, "") if item.demand_id else "",
            counts.get(item.demand_id, (0, 0))[1] if item.demand_id else 0,
            counts.get(item.demand_id, (0, 0))[0] if item.demand_id else 0,
        )
        for item in items
    ]


def estate_trace(estate: Estate) -> EstateTrace:
    """Per estate: the items of its projects and who asked for them, and the top demands of
    its latest published list with whether a project item answers them (or they are done)."""
    from xiaoqu.needs.models import DemandList, DemandStatus

    items = list(
        ProjectItem.objects.filter(estate=estate).select_related("demand", "project").order_by("pk")
    )
    latest = DemandList.objects.filter(estate=estate).order_by("-version").first()
    top: list[tuple[Any, bool]] = []
    if latest is not None:
        answered = {i.demand_id for i in items if i.demand_id}
        lines = list(latest.items.select_related("demand").order_by("rank")[:TOP_DEMANDS])
        top = [
            (
                line,
                line.demand_id in answered
                or line.demand.merged_into_id in answered
                or line.demand.status == DemandStatus.DONE,
            )
            for line in lines
        ]
    return EstateTrace(estate, item_traces(items), top)
