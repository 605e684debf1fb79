"""Writes for door-knocking: campaigns (敲门行动) and the visits made in them.

Campaigns are run by those who manage demands, on every estate they span; a visit is recorded
by someone who holds ``needs.record_visit`` for its dwelling (a grid worker: the grid's
buildings). Every write is audited in its transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.uploads import check_photo
from xiaoqu.needs.models import Campaign, CampaignStatus, Channel, Visit, VisitOutcome
from xiaoqu.needs.rules import MANAGE_DEMANDS, RECORD_VISIT, runs_campaign
from xiaoqu.needs.services.opinions import OpinionInput, build_opinions, save_opinions
from xiaoqu.needs.services.placing import place_opinions
from xiaoqu.registry.models import Dwelling, Estate

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User


def campaign_create(
    *,
    name: str,
    estates: Sequence[Estate],
    starts_on: dt.date,
    ends_on: dt.date,
    actor: User,
) -> Campaign:
    """Start a campaign over ``estates``, each of them in the actor's demand-managing scope."""
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError(_("活动名称不能为空，最长 100 字。"), code="name")
    if not estates:
        raise DomainError(_("请至少选择一个小区。"), code="no_estates")
    if ends_on < starts_on:
        raise DomainError(_("结束日期不能早于开始日期。"), code="dates")
    allowed = set(
        MANAGE_DEMANDS.scoped(
            actor, Estate.objects.filter(pk__in=[e.pk for e in estates])
        ).values_list("pk", flat=True)
    )
    if len(allowed) != len({e.pk for e in estates}):
        raise DomainError(_("所选小区有的不在您的工作范围内。"), code="out_of_scope")
    status = CampaignStatus.ACTIVE if starts_on <= timezone.localdate() else CampaignStatus.PLANNED
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name, starts_on=starts_on, ends_on=ends_on, status=status, created_by=actor
        )
        campaign.estates.set(estates)
        audit_record(
            actor=actor,
            action="needs.campaign_create",
            obj=campaign,
            after={"name": name, "estates": sorted(allowed)},
        )
    return campaign


def campaign_set_status(*, campaign: Campaign, status: str, actor: User) -> Campaign:
    """Open, plan or close a campaign: only someone who runs it on every one of its estates."""
    if status not in CampaignStatus.values:
        raise DomainError(_("状态不正确。"), code="status")
    if not runs_campaign(actor, campaign):
        raise DomainError(_("这个活动有小区不在您的工作范围内。"), code="out_of_scope")
    with transaction.atomic():
        before = campaign.status
        campaign.status = status
        campaign.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="needs.campaign_set_status",
            obj=campaign,
            before={"status": before},
            after={"status": status},
        )
    return campaign


@dataclass
class VisitResult:
    visit: Visit
    created: bool


def visit_record(
    *,
    client_key: uuid.UUID,
    dwelling: Dwelling,
    visitor: User,
    visited_at: dt.datetime,
    outcome: str,
    opinions: Sequence[OpinionInput] = (),
    people_met: int = 0,
    note: str = "",
    photo: UploadedFile | None = None,
    campaign: Campaign | None = None,
) -> VisitResult:
    """Store one door-knock with the opinions heard; idempotent by ``client_key``.

    A phone that lost the answer sends the same visit again with the same key: the stored
    visit is returned and nothing is written twice (also when two resends race: the unique
    key decides).
    """
    existing = _visit_sent_before(client_key, visitor)
    if existing is not None:
        return VisitResult(existing, False)
    people_met = _checked_people_met(
        dwelling=dwelling,
        visitor=visitor,
        visited_at=visited_at,
        outcome=outcome,
        opinions=opinions,
        people_met=people_met,
        note=note,
    )
    if campaign is not None:
        _check_campaign_takes(campaign, dwelling)
    check_photo(photo)
    estate = dwelling.estate
    items = _visit_opinions(opinions, client_key=client_key, dwelling=dwelling, at=visited_at)
    try:
        with transaction.atomic():
            visit = Visit(
                client_key=client_key,
                campaign=campaign,
                estate=estate,
                dwelling=dwelling,
                visitor=visitor,
                visited_at=visited_at,
                outcome=outcome,
                people_met=people_met if outcome == VisitOutcome.MET else 0,
                note=note.strip(),
            )
            if photo is not None:
                visit.photo.save(photo.name or "visit.jpg", photo, save=False)
            visit.save()
            built = build_opinions(
                estate=estate, items=items, channel=Channel.VISIT, recorded_by=visitor, visit=visit
            )
            save_opinions(built, items)
            place_opinions(estate, built)
            audit_record(
                actor=visitor,
                action="needs.visit_record",
                obj=visit,
                after={"outcome": outcome, "opinions": len(built)},
            )
    except IntegrityError:
        existing = Visit.objects.filter(client_key=client_key).first()
        if existing is None or existing.visitor_id != visitor.pk:
            raise
        return VisitResult(existing, False)
    return VisitResult(visit, True)


def _visit_sent_before(client_key: uuid.UUID, visitor: User) -> Visit | None:
    """The visit already stored under ``client_key`` by ``visitor`` (another's key is refused)."""
    existing = Visit.objects.filter(client_key=client_key).first()
    if existing is not None and existing.visitor_id != visitor.pk:
        raise DomainError(_("提交编号已被使用。"), code="key_taken")
    return existing


def _checked_people_met(
    *,
    dwelling: Dwelling,
    visitor: User,
    visited_at: dt.datetime,
    outcome: str,
    opinions: Sequence[OpinionInput],
    people_met: int,
    note: str,
) -> int:
    """Refuse a visit the visitor may not record or that contradicts itself; the people met.

    A visit that met the household met at least one person.
    """
    if not RECORD_VISIT.has(visitor, dwelling):
        raise DomainError(_("这户不在您的走访范围内。"), code="out_of_scope")
    if outcome not in VisitOutcome.values:
        raise DomainError(_("走访结果不正确。"), code="outcome")
    if outcome != VisitOutcome.MET and opinions:
        raise DomainError(_("没见到住户时不能记录意见。"), code="opinions_without_meeting")
    if outcome == VisitOutcome.MET and people_met < 1:
        people_met = 1
    if not 0 <= people_met <= 50:
        raise DomainError(_("见到人数应在 0 到 50 之间。"), code="people_met")
    if len(note) > 500:
        raise DomainError(_("备注最长 500 字。"), code="note_long")
    if visited_at > timezone.now() + dt.timedelta(minutes=10):
        raise DomainError(_("走访时间不能晚于现在。"), code="time_future")
    return people_met


def _check_campaign_takes(campaign: Campaign, dwelling: Dwelling) -> None:
    """Refuse a visit to a campaign that is closed or does not span the dwelling's estate."""
    if not campaign.estates.filter(pk=dwelling.estate_id).exists():
        raise DomainError(_("这户所在小区不在本次走访活动内。"), code="campaign_estate")
    if campaign.status == CampaignStatus.CLOSED:
        raise DomainError(_("走访活动已结束。"), code="campaign_closed")


def _visit_opinions(
    opinions: Sequence[OpinionInput], *, client_key: uuid.UUID, dwelling: Dwelling, at: dt.datetime
) -> list[OpinionInput]:
    """The opinions heard, placed at the dwelling on the day of the visit."""
    visit_day = timezone.localtime(at).date()
    items = []
    for i, item in enumerate(opinions):
        item.dwelling = dwelling
        item.heard_on = visit_day
        # Derived keys, so the opinions of a resent visit are the same opinions.
        item.client_key = uuid.uuid5(client_key, str(i))
        items.append(item)
    return items
