"""Writes of personal-information protection: correction requests and the retention purge
(docs/personal-information.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AccessEvent
from xiaoqu.needs.models import Visit
from xiaoqu.privacy.models import CorrectionRequest, CorrectionStatus
from xiaoqu.privacy.rules import RESOLVE_CORRECTIONS
from xiaoqu.registry.scope import home_dwellings
from xiaoqu.stewardship.models import AccessEvent as DoorEvent
from xiaoqu.stewardship.services.access import events_purge

TEXT_MAX = 1000
ANSWER_MAX = 500
PURGE_CHUNK = 2000


def correction_request(*, user: Any, text: str) -> CorrectionRequest:
    """A resident asks for their record to be corrected; it goes to their home estate's
    community (the first of their dwellings' estates)."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请写明哪里需要更正。"), code="text")
    if len(text) > TEXT_MAX:
        raise DomainError(_("最多 %(n)d 字。") % {"n": TEXT_MAX}, code="text")
    person_id = getattr(user, "person_id", None)
    home = home_dwellings(user).order_by("pk").values_list("estate_id", flat=True).first()
    if not person_id or home is None:
        raise DomainError(_("您的账号没有关联房屋档案，请到社区办理。"), code="no_person")
    with transaction.atomic():
        if (
            CorrectionRequest.objects.filter(
                person_id=person_id, status=CorrectionStatus.OPEN
            ).count()
            >= 5
        ):
            raise DomainError(
                _("您已有 5 条待处理的更正申请，请等社区处理后再提。"), code="too_many"
            )
        request = CorrectionRequest.objects.create(
            person_id=person_id, estate_id=home, requested_by=user, text=text
        )
        audit_record(
            actor=user,
            action="privacy.correction_request",
            obj=request,
            after={"estate": home, "person": person_id},
        )
    return request


def correction_resolve(
    *, request: CorrectionRequest, status: str, answer: str, actor: Any
) -> CorrectionRequest:
    """Staff answer a correction request: corrected (done) or declined, with a reason."""
    RESOLVE_CORRECTIONS.require(actor, request)
    answer = (answer or "").strip()
    if status not in (CorrectionStatus.DONE, CorrectionStatus.DECLINED):
        raise DomainError(_("请选择处理结果。"), code="status")
    if status == CorrectionStatus.DECLINED and not answer:
        raise DomainError(_("不予更正时请写明理由。"), code="answer")
    if len(answer) > ANSWER_MAX:
        raise DomainError(_("处理说明最多 %(n)d 字。") % {"n": ANSWER_MAX}, code="answer")
    with transaction.atomic():
        updated = CorrectionRequest.objects.filter(
            pk=request.pk, status=CorrectionStatus.OPEN
        ).update(status=status, answer=answer, resolved_by=actor, resolved_at=timezone.now())
        if not updated:
            raise DomainError(_("这条申请已经处理过了。"), code="resolved")
        audit_record(
            actor=actor,
            action="privacy.correction_resolve",
            obj=request,
            before={"status": CorrectionStatus.OPEN},
            after={"status": status, "answer": answer},
        )
    request.refresh_from_db()
    return request


# --- retention ------------------------------------------------------------------------------


def _cutoff(now: dt.datetime, days: int) -> dt.datetime | None:
    return now - dt.timedelta(days=days) if days > 0 else None


def privacy_purge(*, dry_run: bool = False, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention period: visit photos (the file in storage and the
    visit's reference to it; the visit stays), rows of the personal-information access log,
    and access-control events with their anomalies (stewardship's own retention). Idempotent;
    with ``dry_run``, counts and changes nothing. Writes one audit row with the counts."""
    now = now or timezone.now()
    photos_cut = _cutoff(now, settings.XIAOQU_RETENTION_VISIT_PHOTOS_DAYS)
    log_cut = _cutoff(now, settings.XIAOQU_RETENTION_ACCESS_EVENTS_DAYS)
    door_days = settings.XIAOQU_ACCESS_RETENTION_DAYS
    door_cut = _cutoff(now, door_days)
    photos = (
        Visit.objects.filter(visited_at__lt=photos_cut).exclude(photo="")
        if photos_cut
        else Visit.objects.none()
    )
    log = AccessEvent.objects.filter(at__lt=log_cut) if log_cut else AccessEvent.objects.none()
    if dry_run:
        return {
            "visit_photos": photos.count(),
            "access_log": log.count(),
            "door_events": DoorEvent.objects.filter(at__lt=door_cut).count() if door_cut else 0,
            "dry_run": 1,
        }
    done = {"visit_photos": 0, "access_log": 0, "door_events": 0, "door_anomalies": 0}
    while True:
        chunk = list(photos.order_by("pk").values_list("pk", "photo")[:PURGE_CHUNK])
        if not chunk:
            break
        storage = Visit._meta.get_field("photo").storage
        # The file first, then the reference: a run killed in between leaves a reference to
        # a missing file, which the next run clears (deleting a missing file is no error).
        for _pk, name in chunk:
            storage.delete(name)
        Visit.objects.filter(pk__in=[pk for pk, _name in chunk]).update(photo="")
        done["visit_photos"] += len(chunk)
    while True:
        ids = list(log.order_by("pk").values_list("pk", flat=True)[:PURGE_CHUNK])
        if not ids:
            break
        done["access_log"] += AccessEvent.objects.filter(pk__in=ids).delete()[0]
    if door_cut:
        door = events_purge(now=now, days=door_days)
        done["door_events"], done["door_anomalies"] = door["events"], door["anomalies"]
    audit_record(
        actor=None,
        action="privacy.purge",
        object_type="privacy.retention",
        after={
            **done,
            "visit_photos_days": settings.XIAOQU_RETENTION_VISIT_PHOTOS_DAYS,
            "access_log_days": settings.XIAOQU_RETENTION_ACCESS_EVENTS_DAYS,
            "door_events_days": door_days,
        },
    )
    return done
