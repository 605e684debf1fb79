"""What moves which figures: saves and deletes of single rows, heard here, and the bulk
changes other apps report through ``xiaoqu.core.figures`` (docs/insights.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save

from xiaoqu.core import figures
from xiaoqu.decisions.models import Vote
from xiaoqu.insights import services
from xiaoqu.meetings.models import Meeting
from xiaoqu.needs.models import Demand, Opinion
from xiaoqu.registry.models import Building, Dwelling, Estate
from xiaoqu.renovation.models import (
    Acceptance,
    BatchEstate,
    ItemFunding,
    MoneyEntry,
    Project,
    ProjectEstate,
    ProjectItem,
    Survey,
    SurveyResponse,
)
from xiaoqu.stewardship.models import FundEntry, WorkOrder


def _own(instance: Any) -> Iterable[int]:
    return [instance.estate_id]


def _project_estates(project_id: int | None) -> list[int]:
    if project_id is None:
        return []
    return list(
        ProjectEstate.objects.filter(project_id=project_id).values_list("estate_id", flat=True)
    )


def _project_of(instance: Any) -> Iterable[int]:
    return _project_estates(instance.project_id)


def _project_entry(instance: ProjectEstate) -> Iterable[int]:
    return {instance.estate_id, *_project_estates(instance.project_id)}


def _funding(instance: ItemFunding) -> Iterable[int]:
    return ProjectItem.objects.filter(pk=instance.item_id).values_list("estate_id", flat=True)


def _money(instance: MoneyEntry) -> Iterable[int]:
    if instance.item_id is not None:
        return ProjectItem.objects.filter(pk=instance.item_id).values_list("estate_id", flat=True)
    return _project_estates(instance.project_id)


def _response(instance: SurveyResponse) -> Iterable[int]:
    return Survey.objects.filter(pk=instance.survey_id).values_list("estate_id", flat=True)


def _fund(instance: FundEntry) -> Iterable[int]:
    return Dwelling.objects.filter(pk=instance.dwelling_id).values_list("estate_id", flat=True)


# model → (section or sections, the estates a saved or deleted row concerns)
WATCHED: dict[type[models.Model], tuple[str | tuple[str, ...], Callable[[Any], Iterable[int]]]] = {
    Estate: ("register", lambda e: [e.pk]),
    Building: ("register", _own),
    Dwelling: ("register", _own),
    Opinion: ("needs", _own),
    Demand: ("needs", _own),
    Meeting: ("meetings", _own),
    Vote: ("votes", _own),
    BatchEstate: ("plan", _own),
    Project: ("projects", lambda p: _project_estates(p.pk)),
    # Adding or removing an estate can move the estate a project, and its ledger lines without
    # an item, are counted at.
    ProjectEstate: (("projects", "money"), _project_entry),
    ProjectItem: ("items", _own),
    ItemFunding: ("items", _funding),
    MoneyEntry: ("money", _money),
    Acceptance: ("projects", _project_of),
    SurveyResponse: ("surveys", _response),
    WorkOrder: ("orders", _own),
    FundEntry: ("fund", _fund),
}


def _heard(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # fixtures and restores: a rebuild follows them
        return
    sections, estates = WATCHED[sender]
    figures.changed(estates(instance), *((sections,) if isinstance(sections, str) else sections))


def connect_all() -> None:
    figures.connect(services.refresh)
    for model in WATCHED:
        uid = f"insights:{model._meta.label}"
        post_save.connect(_heard, sender=model, dispatch_uid=uid + ":save", weak=False)
        post_delete.connect(_heard, sender=model, dispatch_uid=uid + ":delete", weak=False)
