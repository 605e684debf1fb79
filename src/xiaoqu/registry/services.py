"""Writes to the register that people make one at a time: separate consent to sensitive
information (PIPL Art. 29) and the fields it opens (docs/personal-information.md).

The register's bulk writes are the import (``registry.importing``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.registry.models import CONSENT_FIELDS, Consent, ConsentKind, Person


def consent_is_current(*, person: Person, kind: str) -> bool:
    return Consent.objects.filter(person=person, kind=kind, withdrawn_at__isnull=True).exists()


def consent_record(
    *, person: Person, kind: str, purpose: str, given_on: dt.date, actor: Any
) -> Consent:
    """Record a person's separate consent (from the form they signed); one current consent
    of a kind at a time."""
    purpose = (purpose or "").strip()
    if kind not in ConsentKind.values:
        raise DomainError(_("未知的信息类别。"), code="kind")
    if not purpose:
        raise DomainError(_("请写明处理目的。"), code="purpose")
    if given_on > timezone.localdate():
        raise DomainError(_("同意日期不能晚于今天。"), code="given_on")
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        if consent_is_current(person=person, kind=kind):
            raise DomainError(_("此人已有这一类别的有效同意。"), code="exists")
        consent = Consent.objects.create(
            person=person,
            kind=kind,
            purpose=purpose[:200],
            given_on=given_on,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="registry.consent_record",
            obj=consent,
            after={
                "person": person.pk,
                "kind": kind,
                "purpose": purpose,
                "given_on": str(given_on),
            },
        )
    return consent


def consent_withdraw(*, consent: Consent, actor: Any) -> Consent:
    """Withdraw a consent and delete the information it covered (PIPL Art. 15, 47)."""
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            raise DomainError(_("这份同意已经撤回。"), code="withdrawn")
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = actor if getattr(actor, "is_authenticated", False) else None
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        cleared = CONSENT_FIELDS[consent.kind]
        Person.objects.filter(pk=consent.person_id).update(**cleared)
        audit_record(
            actor=actor,
            action="registry.consent_withdraw",
            obj=consent,
            after={"person": consent.person_id, "kind": consent.kind, "cleared": list(cleared)},
        )
    return consent


def person_assistance_set(
    *, person: Person, needs_assistance: bool, note: str, actor: Any
) -> Person:
    """Set the health-and-mobility fields; refused without a current consent."""
    note = (note or "").strip()
    if len(note) > 200:
        raise DomainError(_("健康与行动情况最多 200 字。"), code="note")
    with transaction.atomic():
        if not consent_is_current(person=person, kind=ConsentKind.ASSISTANCE):
            raise DomainError(
                _("此人没有有效的书面同意，不能记录健康与行动情况。"), code="no_consent"
            )
        before = {"needs_assistance": person.needs_assistance, "note": bool(person.assistance_note)}
        Person.objects.filter(pk=person.pk).update(
            needs_assistance=needs_assistance, assistance_note=note
        )
        person.needs_assistance, person.assistance_note = needs_assistance, note
        # The note itself stays out of the audit row: the log outlives a withdrawal.
        audit_record(
            actor=actor,
            action="registry.person_assistance_set",
            obj=person,
            before=before,
            after={"needs_assistance": needs_assistance, "note": bool(note)},
        )
    return person
