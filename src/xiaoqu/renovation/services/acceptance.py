"""The joint acceptance (联合验收) of a project, item by item, and its verdict.

When every item cleared for works is finished the project is in 验收. Staff who manage the
project open an acceptance with the representatives of six parties — the housing bureau
(住建部门), the street (街道), the community (社区), the owners (业主代表), the builder
(施工单位) and the supervisor (监理单位) — all named. Each item cleared for works gets a
verdict: passed, or failed with its defects and a rectification deadline (整改期限); a failed
item is re-inspected (复验) on a date, passed or not (not: a new deadline may be set). The
project's resident supervisor (居民监督员) signs the record once every item has a verdict; a
verdict recorded after the signature voids it (the supervisor signs the record as it stands).

Concluding gives 验收通过 only when every item cleared for works has been checked and passed
(at once or on re-inspection) and the resident supervisor has signed; otherwise the
acceptance is 整改中 with what is missing as its conclusion, and can be concluded again. A
passed acceptance is final; only then may the project be completed
(``services.projects.stage_blockers``). Every step is a project event row and an audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.renovation.models import (
    Acceptance,
    AcceptanceCheck,
    AcceptanceStatus,
    Project,
    ProjectItem,
    ProjectStage,
)
from xiaoqu.renovation.rules import MANAGE_PROJECTS, READ_PROJECTS
from xiaoqu.renovation.services.projects import item_clearance, record_event

# The six parties of a joint acceptance, in the order of the record (keys of
# Acceptance.participants).
ACCEPTANCE_PARTIES: tuple[tuple[str, str | Promise], ...] = (
    ("housing_bureau", gettext_lazy("住建部门")),
    ("street", gettext_lazy("街道")),
    ("community", gettext_lazy("社区")),
    ("owners", gettext_lazy("业主代表")),
    ("builder", gettext_lazy("施工单位")),
    ("supervisor", gettext_lazy("监理单位")),
)
NAMES_MAX = 200
DEFECTS_MAX = 2000
CONCLUSION_MAX = 2000


def cleared_items(project: Project, now: dt.datetime | None = None) -> list[ProjectItem]:
    """The items of the project cleared for works: the ones an acceptance checks."""
    now = now or timezone.now()
    return [
        item
        for item in project.items.select_related("vote", "estate").order_by("pk")
        if item_clearance(item, now)[0]
    ]


def _participants(raw: Mapping[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for key, label in ACCEPTANCE_PARTIES:
        value = " ".join(str(raw.get(key, "") or "").split())
        if not value:
            raise DomainError(
                _("请填写%(party)s的参加人员。") % {"party": label}, code="participants"
            )
        if len(value) > NAMES_MAX:
            raise DomainError(
                _("%(party)s的参加人员不能超过 %(n)d 个字。") % {"party": label, "n": NAMES_MAX},
                code="participants",
            )
        names[key] = value
    return names


def acceptance_open(
    *,
    project: Project,
    held_on: dt.date,
    participants: Mapping[str, str],
    actor: Actor,
) -> Acceptance:
    """Open the joint acceptance of a project in 验收, with the six parties' representatives.

    One acceptance per project: while it is open or rectifying it is continued (verdicts,
    re-inspections, concluding again); once passed it is final."""
    MANAGE_PROJECTS.require(actor, project)
    names = _participants(participants)
    if held_on > timezone.localdate():
        raise DomainError(_("验收日期不能晚于今天。"), code="held_on")
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.stage != ProjectStage.ACCEPTANCE:
            raise DomainError(_("项目进入验收阶段后才能组织联合验收。"), code="stage")
        current = locked.acceptances.order_by("-pk").first()
        if current is not None and current.status == AcceptanceStatus.PASSED:
            raise DomainError(_("本项目的联合验收已经通过。"), code="passed")
        if current is not None:
            raise DomainError(_("本项目已有进行中的联合验收，请在其中继续。"), code="in_progress")
        acceptance = Acceptance.objects.create(
            project=locked, held_on=held_on, participants=names, created_by=actor
        )
        record_event(
            locked,
            "acceptance_open",
            actor,
            note=_("联合验收（%(d)s）") % {"d": held_on.isoformat()},
        )
        audit_record(
            actor=actor,
            action="renovation.acceptance_open",
            obj=acceptance,
            after={"held_on": held_on.isoformat(), "participants": names},
        )
    return acceptance


def _lock_open(acceptance: Acceptance) -> Acceptance:
    """The acceptance, locked, if verdicts may still be recorded on it."""
    locked = Acceptance.objects.select_for_update().select_related("project").get(pk=acceptance.pk)
    if locked.status == AcceptanceStatus.PASSED:
        raise DomainError(_("联合验收已经通过，不能再修改。"), code="passed")
    return locked


def _void_signature(acceptance: Acceptance) -> str:
    """A verdict changed after the resident supervisor signed: the signature no longer holds."""
    if acceptance.resident_signed_at is None:
        return ""
    acceptance.resident_signed_by = None
    acceptance.resident_signed_at = None
    acceptance.save(update_fields=["resident_signed_by", "resident_signed_at"])
    return _("（验收记录已变更，居民监督员需重新签字）")


def _check_dates(acceptance: Acceptance, on: dt.date | None, label: str) -> None:
    if on is None:
        raise DomainError(_("请填写%(what)s。") % {"what": label}, code="date")
    if on < acceptance.held_on:
        raise DomainError(
            _("%(what)s不能早于验收日期 %(d)s。") % {"what": label, "d": acceptance.held_on},
            code="date",
        )


def acceptance_check(
    *,
    acceptance: Acceptance,
    item: ProjectItem,
    passed: bool,
    actor: Actor,
    defects: str = "",
    rectify_by: dt.date | None = None,
) -> AcceptanceCheck:
    """An item's verdict: passed, or failed with its defects and a rectification deadline.

    A verdict may be corrected until the item has been re-inspected."""
    MANAGE_PROJECTS.require(actor, acceptance)
    defects = (defects or "").strip()
    if not passed:
        if not defects:
            raise DomainError(_("不合格的条目请写明存在的问题。"), code="defects")
        if len(defects) > DEFECTS_MAX:
            raise DomainError(
                _("问题描述不能超过 %(n)d 个字。") % {"n": DEFECTS_MAX}, code="defects"
            )
        _check_dates(acceptance, rectify_by, _("整改期限"))
    else:
        defects, rectify_by = "", None
    if item.project_id != acceptance.project_id or not item_clearance(item)[0]:
        raise DomainError(_("这个条目不在本次验收范围内。"), code="item")
    with transaction.atomic():
        locked = _lock_open(acceptance)
        existing = AcceptanceCheck.objects.filter(acceptance=locked, item=item).first()
        if existing is not None and existing.reinspected_on is not None:
            raise DomainError(_("这个条目已经复验，不能再改验收结论。"), code="reinspected")
        check, _created = AcceptanceCheck.objects.update_or_create(
            acceptance=locked,
            item=item,
            defaults={"passed": passed, "defects": defects, "rectify_by": rectify_by},
        )
        voided = _void_signature(locked)
        note = (
            _("合格")
            if passed
            else _("不合格：%(defects)s；整改期限 %(d)s")
            % {"defects": defects, "d": rectify_by.isoformat() if rectify_by else ""}
        )
        record_event(locked.project, "acceptance_check", actor, item=item, note=note + voided)
        audit_record(
            actor=actor,
            action="renovation.acceptance_check",
            obj=check,
            before=None
            if existing is None
            else {"passed": existing.passed, "defects": existing.defects},
            after={
                "passed": passed,
                "defects": defects,
                "rectify_by": rectify_by.isoformat() if rectify_by else None,
            },
        )
    return check


def acceptance_reinspect(
    *,
    acceptance: Acceptance,
    item: ProjectItem,
    passed: bool,
    on: dt.date,
    actor: Actor,
    rectify_by: dt.date | None = None,
) -> AcceptanceCheck:
    """Re-inspect a failed item on ``on``: passed, or still not (with a new deadline, if
    given). An item that passed its re-inspection is done."""
    MANAGE_PROJECTS.require(actor, acceptance)
    _check_dates(acceptance, on, _("复验日期"))
    if on > timezone.localdate():
        raise DomainError(_("复验日期不能晚于今天。"), code="date")
    if not passed and rectify_by is not None and rectify_by < on:
        raise DomainError(_("新的整改期限不能早于复验日期。"), code="date")
    with transaction.atomic():
        locked = _lock_open(acceptance)
        check = AcceptanceCheck.objects.filter(acceptance=locked, item=item).first()
        if check is None or check.passed:
            raise DomainError(_("只有验收不合格的条目需要复验。"), code="not_failed")
        if check.reinspection_passed:
            raise DomainError(_("这个条目已经复验合格。"), code="reinspected")
        check.reinspected_on = on
        check.reinspection_passed = passed
        if not passed and rectify_by is not None:
            check.rectify_by = rectify_by
        check.save(update_fields=["reinspected_on", "reinspection_passed", "rectify_by"])
        voided = _void_signature(locked)
        note = (
            _("复验合格（%(d)s）") % {"d": on.isoformat()}
            if passed
            else _("复验仍不合格（%(d)s）") % {"d": on.isoformat()}
        )
        record_event(locked.project, "acceptance_reinspect", actor, item=item, note=note + voided)
        audit_record(
            actor=actor,
            action="renovation.acceptance_reinspect",
            obj=check,
            after={"on": on.isoformat(), "passed": passed},
        )
    return check


def unchecked_items(acceptance: Acceptance, now: dt.datetime | None = None) -> list[ProjectItem]:
    checked = set(acceptance.checks.values_list("item_id", flat=True))
    return [i for i in cleared_items(acceptance.project, now) if i.pk not in checked]


def acceptance_sign_resident(
    *, acceptance: Acceptance, actor: Actor, now: dt.datetime | None = None
) -> Acceptance:
    """The project's resident supervisor signs the record, once every item has a verdict."""
    READ_PROJECTS.require(actor, acceptance)
    with transaction.atomic():
        locked = _lock_open(acceptance)
        supervisor_id = locked.project.resident_supervisor_id
        if supervisor_id is None:
            raise DomainError(_("本项目还没有确定居民监督员。"), code="no_supervisor")
        if getattr(actor, "person_id", None) != supervisor_id:
            raise DomainError(_("只有本项目的居民监督员可以签字。"), code="not_supervisor")
        if locked.resident_signed_at is not None:
            raise DomainError(_("您已经签过字了。"), code="signed")
        missing = unchecked_items(locked)
        if missing:
            raise DomainError(
                _("还有 %(n)d 个条目没有验收结论，例如“%(t)s”，请验收后再签字。")
                % {"n": len(missing), "t": missing[0].title},
                code="unchecked",
            )
        locked.resident_signed_by = actor
        locked.resident_signed_at = now or timezone.now()
        locked.save(update_fields=["resident_signed_by", "resident_signed_at"])
        record_event(locked.project, "acceptance_sign", actor, note=_("居民监督员签字"))
        audit_record(actor=actor, action="renovation.acceptance_sign_resident", obj=locked)
    return locked


def acceptance_missing(acceptance: Acceptance, now: dt.datetime | None = None) -> list[str]:
    """What stops the acceptance from passing (empty: it may pass)."""
    missing: list[str] = []
    unchecked = unchecked_items(acceptance, now)
    if unchecked:
        missing.append(
            _("%(n)d 个条目尚未验收：%(t)s")
            % {"n": len(unchecked), "t": "、".join(i.title for i in unchecked)}
        )
    failing = [c for c in acceptance.checks.select_related("item") if not c.ok]
    if failing:
        missing.append(
            _("%(n)d 个条目不合格待整改：%(t)s")
            % {
                "n": len(failing),
                "t": "、".join(
                    f"{c.item.title}（{c.rectify_by.isoformat() if c.rectify_by else ''}）"
                    for c in failing
                ),
            }
        )
    if acceptance.project.resident_supervisor_id is None:
        missing.append(_("本项目还没有确定居民监督员。"))
    elif acceptance.resident_signed_at is None:
        missing.append(_("居民监督员尚未签字。"))
    return missing


@dataclass(frozen=True)
class Verdict:
    acceptance: Acceptance
    missing: list[str]

    @property
    def passed(self) -> bool:
        return not self.missing


def acceptance_conclude(
    *,
    acceptance: Acceptance,
    actor: Actor,
    conclusion: str = "",
    now: dt.datetime | None = None,
) -> Verdict:
    """Conclude: 验收通过 when nothing is missing (``acceptance_missing``), else 整改中 with
    what is missing as the conclusion."""
    MANAGE_PROJECTS.require(actor, acceptance)
    conclusion = (conclusion or "").strip()
    if len(conclusion) > CONCLUSION_MAX:
        raise DomainError(
            _("验收结论不能超过 %(n)d 个字。") % {"n": CONCLUSION_MAX}, code="conclusion"
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_open(acceptance)
        before = locked.status
        missing = acceptance_missing(locked, now)
        if missing:
            locked.status = AcceptanceStatus.RECTIFYING
            locked.conclusion = "；".join([conclusion, *missing] if conclusion else missing)
        else:
            locked.status = AcceptanceStatus.PASSED
            locked.passed_at = now
            locked.conclusion = conclusion or _(
                "经联合验收，全部改造条目合格（含整改后复验合格），同意通过验收。"
            )
        locked.save(update_fields=["status", "conclusion", "passed_at"])
        record_event(
            locked.project,
            "acceptance_conclude",
            actor,
            note=f"{locked.get_status_display()}：{locked.conclusion}",
        )
        audit_record(
            actor=actor,
            action="renovation.acceptance_conclude",
            obj=locked,
            before={"status": before},
            after={"status": locked.status, "missing": missing},
        )
    return Verdict(locked, missing)


# --- reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemVerdict:
    item: ProjectItem
    check: AcceptanceCheck | None


@dataclass(frozen=True)
class Record:
    """An acceptance as its pages show it: the parties in order, each item with its verdict."""

    acceptance: Acceptance
    parties: list[tuple[str, str, str]]  # (key, label, names)
    lines: list[ItemVerdict]
    missing: list[str]

    @property
    def passed(self) -> bool:
        return self.acceptance.status == AcceptanceStatus.PASSED


def acceptance_record(acceptance: Acceptance) -> Record:
    """The parties, every item cleared for works with its verdict (or none yet), and while it
    has not passed, what is still missing."""
    checks = {c.item_id: c for c in acceptance.checks.select_related("item", "item__estate")}
    items = cleared_items(acceptance.project)
    cleared = {i.pk for i in items}
    # Items checked but no longer cleared stay on the record after the cleared ones.
    items += [c.item for c in checks.values() if c.item_id not in cleared]
    parties = [
        (key, str(label), str(acceptance.participants.get(key, "")))
        for key, label in ACCEPTANCE_PARTIES
    ]
    missing = [] if acceptance.status == AcceptanceStatus.PASSED else acceptance_missing(acceptance)
    return Record(
        acceptance,
        parties,
        [ItemVerdict(i, checks.get(i.pk)) for i in items],
        missing,
    )
