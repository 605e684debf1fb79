"""Residents' complaints and suggestions during the works (施工期间投诉建议).

A resident raises one from their phone about their own home's estate, while the estate's
project is in 施工 or 验收: noise, dust, blocked access, a safety hazard, a suggestion. The
complaint is routed to the builder's site manager (the project's 项目经理) and to the Party
member who leads the project's responsibility zone (党员责任区) covering the resident's building,
or else their estate; both are shown on it. It must be answered within
``XIAOQU_COMPLAINT_ANSWER_HOURS`` (default 48) hours; an open complaint past its deadline is
overdue. Staff who handle complaints (``renovation.handle_complaints``) answer and close it
(closing needs an answer first); the resident who raised it may close it at any time (they
are satisfied, or withdraw it). Each write is an audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.renovation.models import (
    Complaint,
    ComplaintKind,
    ComplaintStatus,
    Project,
    ProjectStage,
)
from xiaoqu.renovation.rules import COMPLAIN, HANDLE_COMPLAINTS

# Stages in which residents raise complaints: the works and their acceptance.
COMPLAINT_STAGES = (ProjectStage.WORKS, ProjectStage.ACCEPTANCE)
DEFAULT_ANSWER_HOURS = 48
TEXT_MAX = 2000
ANSWER_MAX = 2000
PLACE_MAX = 200


def answer_hours() -> int:
    """Hours a complaint may wait for its answer (setting ``XIAOQU_COMPLAINT_ANSWER_HOURS``)."""
    return int(getattr(settings, "XIAOQU_COMPLAINT_ANSWER_HOURS", DEFAULT_ANSWER_HOURS))


def project_in_works(estate: Estate | int) -> Project | None:
    """The estate's project in 施工 or 验收, the one its residents complain about."""
    estate_id = estate if isinstance(estate, int) else estate.pk
    return (
        Project.objects.filter(project_estates__estate_id=estate_id, stage__in=COMPLAINT_STAGES)
        .order_by("-created_at", "-pk")
        .first()
    )


def responsible_zone(project: Project, dwelling: Dwelling) -> Any:
    """The project's responsibility zone covering the dwelling's building, else its estate."""
    zones = project.zones.select_related("leader__person").order_by("number", "pk")
    return (
        zones.filter(buildings=dwelling.building_id).first()
        or zones.filter(estates=dwelling.estate_id).first()
    )


def _clean_text(value: str, limit: int, empty: str, too_long: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(empty, code="empty")
    if len(value) > limit:
        raise DomainError(too_long % {"n": limit}, code="too_long")
    return value


def complaint_raise(
    *,
    dwelling: Dwelling,
    kind: str,
    text: str,
    actor: Actor,
    place: str = "",
    now: dt.datetime | None = None,
) -> Complaint:
    """A resident's complaint about the works near their home (``dwelling``: their own)."""
    COMPLAIN.require(actor, dwelling)
    if kind not in ComplaintKind.values:
        raise DomainError(_("请选择投诉建议的类型。"), code="kind")
    text = _clean_text(
        text, TEXT_MAX, _("请写下您遇到的问题或建议。"), _("内容不能超过 %(n)d 个字。")
    )
    place = (place or "").strip()
    if len(place) > PLACE_MAX:
        raise DomainError(_("位置不能超过 %(n)d 个字。") % {"n": PLACE_MAX}, code="place_too_long")
    project = project_in_works(dwelling.estate_id)
    if project is None:
        raise DomainError(_("您所在的小区目前没有在施工或验收中的改造项目。"), code="not_in_works")
    now = now or timezone.now()
    zone = responsible_zone(project, dwelling)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            project=project,
            estate_id=dwelling.estate_id,
            kind=kind,
            text=text,
            place=place,
            author=actor,
            zone=zone,
            created_at=now,
            due_at=now + dt.timedelta(hours=answer_hours()),
        )
        audit_record(
            actor=actor,
            action="renovation.complaint_raise",
            obj=complaint,
            after={"project": project.pk, "kind": kind, "zone": zone.pk if zone else None},
        )
    return complaint


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def complaint_answer(
    *, complaint: Complaint, answer: str, actor: Actor, now: dt.datetime | None = None
) -> Complaint:
    """Answer a complaint (again, while it is not closed: the newer answer replaces it)."""
    HANDLE_COMPLAINTS.require(actor, complaint)
    answer = _clean_text(answer, ANSWER_MAX, _("请填写答复内容。"), _("答复不能超过 %(n)d 个字。"))
    with transaction.atomic():
        locked = _locked(complaint)
        if locked.status == ComplaintStatus.CLOSED:
            raise DomainError(_("这条投诉建议已经办结。"), code="closed")
        before = {"status": locked.status, "answer": locked.answer}
        locked.answer = answer
        locked.answered_by = actor
        locked.answered_at = now or timezone.now()
        locked.status = ComplaintStatus.ANSWERED
        locked.save(update_fields=["answer", "answered_by", "answered_at", "status"])
        audit_record(
            actor=actor,
            action="renovation.complaint_answer",
            obj=locked,
            before=before,
            after={"status": locked.status, "answer": answer},
        )
    return locked


def complaint_close(
    *, complaint: Complaint, actor: Actor, now: dt.datetime | None = None
) -> Complaint:
    """Close a complaint: its author at any time (satisfied, or withdrawing it); staff who
    handle complaints once it has been answered."""
    by_author = complaint.author_id == getattr(actor, "pk", None)
    if not by_author:
        HANDLE_COMPLAINTS.require(actor, complaint)
    with transaction.atomic():
        locked = _locked(complaint)
        if locked.status == ComplaintStatus.CLOSED:
            raise DomainError(_("这条投诉建议已经办结。"), code="closed")
        if not by_author and locked.status != ComplaintStatus.ANSWERED:
            raise DomainError(_("请先答复，再办结。"), code="not_answered")
        before = locked.status
        locked.status = ComplaintStatus.CLOSED
        locked.closed_at = now or timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor,
            action="renovation.complaint_close",
            obj=locked,
            before={"status": before},
            after={"status": locked.status, "by_author": by_author},
        )
    return locked


# --- reads ----------------------------------------------------------------------------------


def is_overdue(complaint: Complaint, now: dt.datetime | None = None) -> bool:
    """Still waiting for an answer past its deadline."""
    now = now or timezone.now()
    return complaint.status == ComplaintStatus.OPEN and complaint.due_at < now


@dataclass(frozen=True)
class Routing:
    """Who a complaint goes to: the builder's site manager and the zone's Party member."""

    site_manager_name: str
    site_manager_phone: str
    zone: Any
    leader_name: str
    leader_phone: str


def routing_of(complaint: Complaint) -> Routing:
    project, zone = complaint.project, complaint.zone
    leader = zone.leader if zone is not None else None
    return Routing(
        project.site_manager_name,
        project.site_manager_phone,
        zone,
        leader.person.name if leader is not None else "",
        leader.person.phone if leader is not None else "",
    )
