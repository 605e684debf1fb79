"""Writes of the works on site: item schedules, progress reports, the site diary, site photos,
hidden works (隐蔽工程) and the project's resident supervisor (居民监督员).

The rules (see docs/renovation.md):

* Progress is taken only while the project is in 施工 and only on items cleared for works
  (``projects.item_clearance``: an item waiting for its owners' vote takes none). A percent is
  0–100; lower than the item's previous report only with a note saying why (rework). A report
  carries a ``client_id`` made on the phone: sent again (its answer was lost, or it waited
  offline and was resent), the stored report is answered and nothing is written twice, also
  when two resends race (the unique constraint decides).
* Reports count in the order they were made (``reported_at``), not received: a report that
  waited offline and arrives after a newer one is kept in the history but does not move the
  item's percent back. The first report above 0 % sets the item's actual start, the newest
  report at 100 % its actual finish (a later report below 100 %, with its note, clears it).
* The site diary has one entry per project and day. The day's entry may be rewritten during
  that day (the site team adds to it in the evening); an earlier day's entry is final.
* A photo's time and place come from its EXIF block when it has them, else the place from the
  phone's position; its distance to the estate is measured and a photo taken beyond
  ``XIAOQU_PHOTO_FAR_METRES`` (default 500 m) is flagged as far.
* A hidden-works record is made before the work is covered, signed by the supervisor's staff
  on the project and by the project's resident supervisor (two different people, either
  first); it may be marked covered only after both signatures.

Every write is one transaction with an audit row and, for a project, an event row.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.uploads import check_photo
from xiaoqu.registry.models import Dwelling, Estate, Person
from xiaoqu.renovation.models import (
    DiaryEntry,
    HiddenWork,
    PhotoPlace,
    ProgressUpdate,
    Project,
    ProjectItem,
    ProjectMember,
    ProjectStage,
    SitePhoto,
)
from xiaoqu.renovation.rules import (
    MANAGE_PROJECTS,
    REPORT_PROGRESS,
    SIGN_HIDDEN_WORKS,
)
from xiaoqu.renovation.services.projects import item_clearance, record_event
from xiaoqu.renovation.sitephotos import haversine_m, read_facts, valid_position

FAR_METRES_DEFAULT = 500
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=10)
# The diary and photos are kept during the works and the rectification of the acceptance.
SITE_STAGES = frozenset({ProjectStage.WORKS, ProjectStage.ACCEPTANCE})
NOTE_MAX = 500
DIARY_MAX = 5000
HIDDEN_MAX = 2000
CAPTION_MAX = 200

SIGN_SUPERVISOR = "supervisor"
SIGN_RESIDENT = "resident"


def far_metres() -> int:
    """Beyond this distance from its estate a photo is flagged (XIAOQU_PHOTO_FAR_METRES)."""
    return int(getattr(settings, "XIAOQU_PHOTO_FAR_METRES", FAR_METRES_DEFAULT))


def _out_of_scope() -> DomainError:
    return DomainError(_("这不在您的工作范围内。"), code="out_of_scope")


# --- schedule -------------------------------------------------------------------------------


def item_schedule(
    *,
    item: ProjectItem,
    planned_start: dt.date | None,
    planned_finish: dt.date | None,
    actor: Actor,
) -> ProjectItem:
    """Set an item's planned start and finish (either may be left empty)."""
    if not (MANAGE_PROJECTS.has(actor, item) or REPORT_PROGRESS.has(actor, item)):
        raise _out_of_scope()
    if item.project.stage == ProjectStage.COMPLETED:
        raise DomainError(_("项目已经完成，不能再改计划。"), code="stage")
    if planned_start and planned_finish and planned_finish < planned_start:
        raise DomainError(_("计划完成日期不能早于计划开始日期。"), code="order")
    before = {
        "planned_start": _iso(item.planned_start),
        "planned_finish": _iso(item.planned_finish),
    }
    with transaction.atomic():
        item.planned_start, item.planned_finish = planned_start, planned_finish
        item.save(update_fields=["planned_start", "planned_finish"])
        after = {"planned_start": _iso(planned_start), "planned_finish": _iso(planned_finish)}
        record_event(
            item.project,
            "schedule",
            actor,
            item=item,
            note=f"{after['planned_start'] or '—'} — {after['planned_finish'] or '—'}",
        )
        audit_record(
            actor=actor, action="renovation.item_schedule", obj=item, before=before, after=after
        )
    return item


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


# --- progress reports -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressResult:
    update: ProgressUpdate
    created: bool


def _check_percent(percent: Any) -> int:
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise DomainError(_("完成比例应为 0 到 100 之间的整数。"), code="percent")
    return percent


def _check_reported_at(reported_at: dt.datetime) -> dt.datetime:
    if timezone.is_naive(reported_at):
        reported_at = timezone.make_aware(reported_at)
    if reported_at > timezone.now() + CLOCK_SKEW:
        raise DomainError(_("填报时间晚于现在：请检查手机的日期和时间设置。"), code="reported_at")
    return reported_at


def check_works(item: ProjectItem) -> None:
    """Works may be reported on the item: its project is in 施工 and the item is cleared."""
    if item.project.stage != ProjectStage.WORKS:
        raise DomainError(
            _("项目不在施工阶段（现在是“%(stage)s”），不能填报。")
            % {"stage": item.project.get_stage_display()},
            code="stage",
        )
    cleared, why = item_clearance(item)
    if not cleared:
        raise DomainError(_("这个条目暂缓施工：%(why)s") % {"why": why}, code="not_cleared")


def _sent_before(client_id: uuid.UUID, actor: Actor, item: ProjectItem) -> ProgressUpdate | None:
    """The report already stored under ``client_id``; another person's or another item's
    key is refused (the phone made a mistake, never a resend)."""
    existing = ProgressUpdate.objects.filter(client_id=client_id).first()
    if existing is None:
        return None
    if existing.reported_by_id != actor.pk or existing.item_id != item.pk:
        raise DomainError(_("提交编号已被使用，请刷新页面后重新填写。"), code="key_taken")
    return existing


def progress_report(
    *,
    item: ProjectItem,
    percent: int,
    client_id: uuid.UUID,
    reported_at: dt.datetime,
    actor: Actor,
    note: str = "",
    photo: UploadedFile | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> ProgressResult:
    """Store a progress report on an item (with an optional photo); idempotent on
    ``client_id`` (see the module's rules)."""
    REPORT_PROGRESS.require(actor, item)
    existing = _sent_before(client_id, actor, item)
    if existing is not None:
        return ProgressResult(existing, False)
    percent = _check_percent(percent)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("说明最多 %(n)d 字。") % {"n": NOTE_MAX}, code="note")
    reported_at = _check_reported_at(reported_at)
    check_works(item)
    if photo is not None:
        check_photo(photo)
        _check_phone_position(latitude, longitude)
    try:
        with transaction.atomic():
            return _store_report(
                item, percent, note, client_id, reported_at, actor, photo, latitude, longitude
            )
    except IntegrityError:
        existing = ProgressUpdate.objects.filter(client_id=client_id).first()
        if existing is None or existing.reported_by_id != actor.pk:
            raise
        return ProgressResult(existing, False)


def _store_report(
    item: ProjectItem,
    percent: int,
    note: str,
    client_id: uuid.UUID,
    reported_at: dt.datetime,
    actor: Actor,
    photo: UploadedFile | None,
    latitude: float | None,
    longitude: float | None,
) -> ProgressResult:
    locked = (
        ProjectItem.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=item.pk)
    )
    # A racing resend that got the lock first has stored it by now.
    existing = _sent_before(client_id, actor, locked)
    if existing is not None:
        return ProgressResult(existing, False)
    history = ProgressUpdate.objects.filter(item=locked)
    previous = history.filter(reported_at__lte=reported_at).order_by("-reported_at", "-pk").first()
    base = previous.percent if previous is not None else 0
    if percent < base and not note:
        raise DomainError(
            _("比上次填报的 %(base)d%% 低：请在说明里写明原因（如返工）。") % {"base": base},
            code="lower",
        )
    newest = not history.filter(reported_at__gt=reported_at).exists()
    before = _item_state(locked)
    update = ProgressUpdate.objects.create(
        item=locked,
        client_id=client_id,
        percent=percent,
        note=note,
        reported_by=actor,
        reported_at=reported_at,
    )
    _apply_report(locked, percent, timezone.localdate(reported_at), newest)
    if photo is not None:
        _store_photo(locked.project, locked, photo, actor, latitude, longitude, caption=note)
    record_event(
        locked.project,
        "progress",
        actor,
        item=locked,
        note=f"{percent}%" + (f"：{note}" if note else ""),
    )
    audit_record(
        actor=actor,
        action="renovation.progress_report",
        obj=update,
        before=before,
        after=_item_state(locked) | {"reported_at": reported_at.isoformat(), "newest": newest},
    )
    item.refresh_from_db()
    return ProgressResult(update, True)


def _item_state(item: ProjectItem) -> dict[str, Any]:
    return {
        "percent": item.percent,
        "actual_start": _iso(item.actual_start),
        "actual_finish": _iso(item.actual_finish),
    }


def _apply_report(item: ProjectItem, percent: int, day: dt.date, newest: bool) -> None:
    """The item's percent and actual dates after a report made on ``day``."""
    if percent > 0 and (item.actual_start is None or day < item.actual_start):
        item.actual_start = day
    if newest:
        item.percent = percent
        if percent < 100:
            item.actual_finish = None
        elif item.actual_finish is None:
            item.actual_finish = day
    item.save(update_fields=["percent", "actual_start", "actual_finish"])


# --- site diary -----------------------------------------------------------------------------


def _check_site_stage(project: Project) -> None:
    if project.stage not in SITE_STAGES:
        raise DomainError(
            _("项目不在施工或验收阶段（现在是“%(stage)s”）。")
            % {"stage": project.get_stage_display()},
            code="stage",
        )


def _check_diary(date: dt.date, text: str, weather: str, workers: int, project: Project) -> None:
    if not text:
        raise DomainError(_("请填写当天的施工内容。"), code="text")
    if len(text) > DIARY_MAX:
        raise DomainError(_("施工内容最多 %(n)d 字。") % {"n": DIARY_MAX}, code="text")
    if len(weather) > 32:
        raise DomainError(_("天气最多 32 字。"), code="weather")
    if isinstance(workers, bool) or not isinstance(workers, int) or not 0 <= workers <= 10000:
        raise DomainError(_("作业人数应为 0 到 10000 之间的整数。"), code="workers")
    if date > timezone.localdate():
        raise DomainError(_("不能写以后日期的施工日志。"), code="future")
    if project.started_on and date < project.started_on:
        raise DomainError(
            _("项目 %(day)s 开工，不能写开工以前的施工日志。")
            % {"day": project.started_on.isoformat()},
            code="before_start",
        )


def diary_write(
    *,
    project: Project,
    date: dt.date,
    text: str,
    actor: Actor,
    weather: str = "",
    workers: int = 0,
) -> DiaryEntry:
    """Write the site diary of ``date``: one entry per project and day. The entry of today
    may be written again (it is replaced, the audit row keeps the text before); an earlier
    day's entry, once written, is final and a second write is refused."""
    REPORT_PROGRESS.require(actor, project)
    _check_site_stage(project)
    text, weather = (text or "").strip(), (weather or "").strip()
    _check_diary(date, text, weather, workers, project)
    with transaction.atomic():
        entry = (
            DiaryEntry.objects.select_for_update(of=("self",))
            .filter(project=project, date=date)
            .first()
        )
        if entry is not None and date != timezone.localdate():
            raise DomainError(
                _("%(day)s 的施工日志已经写好，过了当天不能再改。") % {"day": date.isoformat()},
                code="diary_final",
            )
        before = None
        if entry is None:
            entry = DiaryEntry(project=project, date=date)
        else:
            before = {"weather": entry.weather, "workers": entry.workers, "text": entry.text}
        entry.weather, entry.workers, entry.text, entry.author = weather, workers, text, actor
        entry.save()
        record_event(
            project, "diary", actor, note=date.isoformat() + ("" if before is None else " ✎")
        )
        audit_record(
            actor=actor,
            action="renovation.diary_write",
            obj=entry,
            before=before,
            after={"date": date.isoformat(), "weather": weather, "workers": workers, "text": text},
        )
    return entry


# --- site photos ----------------------------------------------------------------------------


def _check_phone_position(latitude: float | None, longitude: float | None) -> None:
    if latitude is None and longitude is None:
        return
    if latitude is None or longitude is None or not valid_position(latitude, longitude):
        raise DomainError(_("手机定位的经纬度不正确。"), code="position")


def _estate_points(project: Project, item: ProjectItem | None) -> list[tuple[float, float]]:
    """Where the photo should have been taken: the item's estate, or for a photo of the
    whole project every estate of it (the nearest one counts)."""
    if item is not None:
        estates: list[Estate] = [item.estate]
    else:
        estates = list(Estate.objects.filter(project_entries__project=project).order_by("pk"))
    return [
        (float(e.latitude), float(e.longitude))
        for e in estates
        if e.latitude is not None and e.longitude is not None
    ]


def _store_photo(
    project: Project,
    item: ProjectItem | None,
    file: UploadedFile,
    actor: Actor,
    latitude: float | None,
    longitude: float | None,
    caption: str = "",
) -> SitePhoto:
    """Save the photo with its time and place (inside the caller's transaction)."""
    facts = read_facts(file)
    file.seek(0)
    taken_at = facts.taken_at
    if taken_at is not None and timezone.is_naive(taken_at):
        taken_at = timezone.make_aware(taken_at)
    if facts.has_position:
        place, lat, lon = PhotoPlace.EXIF, facts.latitude, facts.longitude
    elif latitude is not None and longitude is not None:
        place, lat, lon = PhotoPlace.PHONE, latitude, longitude
    else:
        place, lat, lon = PhotoPlace.NONE, None, None
    distance = None
    if lat is not None and lon is not None:
        points = _estate_points(project, item)
        if points:
            distance = min(haversine_m(lat, lon, p_lat, p_lon) for p_lat, p_lon in points)
    photo = SitePhoto(
        project=project,
        item=item,
        caption=caption[:CAPTION_MAX],
        taken_at=taken_at,
        latitude=None if lat is None else round(lat, 6),
        longitude=None if lon is None else round(lon, 6),
        place_source=place,
        distance_m=None if distance is None else math.floor(distance + 0.5),
        far=distance is not None and distance > far_metres(),
        uploaded_by=actor,
    )
    photo.image.save(file.name or "photo.jpg", file, save=False)
    photo.save()
    return photo


def photo_add(
    *,
    project: Project,
    file: UploadedFile | None,
    actor: Actor,
    item: ProjectItem | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    caption: str = "",
) -> SitePhoto:
    """A site photo of the project (or one of its items), with the time and place it was
    taken: EXIF first, else the phone's position (see the module's rules)."""
    REPORT_PROGRESS.require(actor, project)
    if item is not None and item.project_id != project.pk:
        raise DomainError(_("条目不属于这个项目。"), code="item")
    _check_site_stage(project)
    if file is None:
        raise DomainError(_("请选择照片。"), code="no_photo")
    check_photo(file)
    _check_phone_position(latitude, longitude)
    caption = (caption or "").strip()
    if len(caption) > CAPTION_MAX:
        raise DomainError(_("说明最多 %(n)d 字。") % {"n": CAPTION_MAX}, code="caption")
    with transaction.atomic():
        photo = _store_photo(project, item, file, actor, latitude, longitude, caption)
        record_event(project, "photo", actor, item=item, note=_photo_note(photo))
        audit_record(
            actor=actor,
            action="renovation.photo_add",
            obj=photo,
            after={
                "item": item.pk if item else None,
                "place_source": photo.place_source,
                "distance_m": photo.distance_m,
                "far": photo.far,
            },
        )
    return photo


def _photo_note(photo: SitePhoto) -> str:
    if photo.far:
        return _("远离小区 %(m)d 米") % {"m": photo.distance_m}
    return photo.caption


# --- the resident supervisor and hidden works -----------------------------------------------


def _person_in_project(person: Person, project: Project) -> bool:
    """The person owns or lives in a dwelling of one of the project's estates."""
    estates = project.project_estates.values("estate_id")
    return (
        Dwelling.objects.filter(estate__in=estates).filter(ownerships__person=person).exists()
        or Dwelling.objects.filter(estate__in=estates).filter(residencies__person=person).exists()
    )


def project_set_resident_supervisor(*, project: Project, person: Person, actor: Actor) -> Project:
    """Name the project's resident supervisor: an owner or resident of one of its estates."""
    MANAGE_PROJECTS.require(actor, project)
    if project.stage == ProjectStage.COMPLETED:
        raise DomainError(_("项目已经完成。"), code="stage")
    if not _person_in_project(person, project):
        raise DomainError(_("居民监督员应是本项目小区的业主或住户。"), code="not_resident")
    before = {"resident_supervisor": project.resident_supervisor_id}
    with transaction.atomic():
        project.resident_supervisor = person
        project.save(update_fields=["resident_supervisor", "updated_at"])
        record_event(project, "resident_supervisor", actor, note=person.name)
        audit_record(
            actor=actor,
            action="renovation.project_set_resident_supervisor",
            obj=project,
            before=before,
            after={"resident_supervisor": person.pk},
        )
    return project


def hidden_work_record(
    *,
    item: ProjectItem,
    description: str,
    actor: Actor,
    photo: UploadedFile | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> HiddenWork:
    """Record a hidden work (what is about to be covered), optionally with a photo, on an
    item under works; it then waits for the two signatures."""
    REPORT_PROGRESS.require(actor, item)
    description = (description or "").strip()
    if not description:
        raise DomainError(_("请写明隐蔽工程的内容和部位。"), code="description")
    if len(description) > HIDDEN_MAX:
        raise DomainError(_("隐蔽内容最多 %(n)d 字。") % {"n": HIDDEN_MAX}, code="description")
    check_works(item)
    if photo is not None:
        check_photo(photo)
        _check_phone_position(latitude, longitude)
    with transaction.atomic():
        site_photo = None
        if photo is not None:
            site_photo = _store_photo(
                item.project, item, photo, actor, latitude, longitude, description[:CAPTION_MAX]
            )
        hidden = HiddenWork.objects.create(
            item=item,
            description=description,
            photo=site_photo,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        record_event(item.project, "hidden_work", actor, item=item, note=description)
        audit_record(
            actor=actor,
            action="renovation.hidden_work_record",
            obj=hidden,
            after={"item": item.pk, "photo": site_photo.pk if site_photo else None},
        )
    return hidden


def missing_signatures(hidden: HiddenWork) -> list[str]:
    """Who has not signed yet, as people read it."""
    missing = []
    if hidden.supervisor_signed_at is None:
        missing.append(_("监理单位"))
    if hidden.resident_signed_at is None:
        missing.append(_("居民监督员"))
    return missing


def can_sign_as_supervisor(user: Actor, hidden: HiddenWork) -> bool:
    """The user is on the project as staff of its supervisor company."""
    project = hidden.item.project
    return (
        project.supervisor_id is not None
        and SIGN_HIDDEN_WORKS.has(user, hidden)
        and ProjectMember.objects.filter(
            project=project, user=user, company_id=project.supervisor_id
        ).exists()
    )


def is_resident_supervisor(user: Actor, project: Project) -> bool:
    person_id = getattr(user, "person_id", None)
    return bool(person_id) and person_id == project.resident_supervisor_id


def _check_supervisor_signer(hidden: HiddenWork, actor: Actor) -> None:
    if not can_sign_as_supervisor(actor, hidden):
        raise DomainError(
            _("只有本项目监理单位的参建人员才能以监理身份签字。"), code="not_supervisor"
        )
    if hidden.supervisor_signed_at is not None:
        raise DomainError(_("监理单位已经签过字。"), code="signed")
    if hidden.resident_signed_by_id == actor.pk:
        raise DomainError(_("同一人不能既以居民监督员又以监理身份签字。"), code="same")


def _check_resident_signer(hidden: HiddenWork, actor: Actor) -> None:
    project = hidden.item.project
    person = project.resident_supervisor
    if person is None:
        raise DomainError(_("本项目还没有居民监督员。"), code="no_resident_supervisor")
    if not is_resident_supervisor(actor, project):
        raise DomainError(
            _("只有本项目的居民监督员本人才能以居民监督员身份签字。"), code="not_resident"
        )
    if not _person_in_project(person, project):
        raise DomainError(_("居民监督员已不是本项目小区的居民。"), code="moved")
    if hidden.resident_signed_at is not None:
        raise DomainError(_("居民监督员已经签过字。"), code="signed")
    if hidden.supervisor_signed_by_id == actor.pk:
        raise DomainError(_("同一人不能既以监理又以居民监督员身份签字。"), code="same")


def hidden_work_sign(*, hidden: HiddenWork, actor: Actor, capacity: str) -> HiddenWork:
    """Sign a hidden-works record as the supervisor (``SIGN_SUPERVISOR``: staff of the
    project's supervisor company on the project) or as the project's resident supervisor
    (``SIGN_RESIDENT``: the user whose person it is; a resident, checked here rather than by
    a role). Either may sign first; each signs once, and not the same person twice."""
    with transaction.atomic():
        locked = (
            HiddenWork.objects.select_for_update(of=("self",))
            .select_related("item__project__resident_supervisor")
            .get(pk=hidden.pk)
        )
        if locked.covered_at is not None:
            raise DomainError(_("已经覆盖，不能再签字。"), code="covered")
        if capacity == SIGN_SUPERVISOR:
            _check_supervisor_signer(locked, actor)
        elif capacity == SIGN_RESIDENT:
            _check_resident_signer(locked, actor)
        else:
            raise DomainError(_("签字身份不正确。"), code="capacity")
        now = timezone.now()
        if capacity == SIGN_SUPERVISOR:
            locked.supervisor_signed_by, locked.supervisor_signed_at = actor, now
        else:
            locked.resident_signed_by, locked.resident_signed_at = actor, now
        locked.save()
        label = _("监理单位") if capacity == SIGN_SUPERVISOR else _("居民监督员")
        record_event(
            locked.item.project,
            "hidden_sign",
            actor,
            item=locked.item,
            note=f"{label}：{locked.description[:200]}",
        )
        audit_record(
            actor=actor,
            action="renovation.hidden_work_sign",
            obj=locked,
            after={"capacity": capacity},
        )
    hidden.refresh_from_db()
    return hidden


def hidden_work_cover(*, hidden: HiddenWork, actor: Actor) -> HiddenWork:
    """Mark the hidden work covered: only after both signatures (the message says who has
    not signed yet)."""
    REPORT_PROGRESS.require(actor, hidden)
    with transaction.atomic():
        locked = (
            HiddenWork.objects.select_for_update(of=("self",))
            .select_related("item__project")
            .get(pk=hidden.pk)
        )
        if locked.covered_at is not None:
            raise DomainError(_("已经记录覆盖。"), code="covered")
        missing = missing_signatures(locked)
        if missing:
            raise DomainError(
                _("还不能覆盖：%(who)s尚未签字。") % {"who": "、".join(missing)},
                code="unsigned",
            )
        locked.covered_at = timezone.now()
        locked.save(update_fields=["covered_at"])
        record_event(
            locked.item.project,
            "hidden_cover",
            actor,
            item=locked.item,
            note=locked.description[:200],
        )
        audit_record(
            actor=actor,
            action="renovation.hidden_work_cover",
            obj=locked,
            after={"covered_at": locked.covered_at.isoformat()},
        )
    hidden.refresh_from_db()
    return hidden
