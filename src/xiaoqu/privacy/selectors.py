"""Reads of personal-information protection: the access log with its filters, a resident's
own data as plain rows, and correction requests in scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from xiaoqu.core.access_log import FIELD_LABELS
from xiaoqu.core.models import AccessAction, AccessEvent
from xiaoqu.decisions.models import Ballot
from xiaoqu.needs.models import Opinion
from xiaoqu.notify.models import Notification
from xiaoqu.privacy.models import CorrectionRequest, CorrectionStatus
from xiaoqu.privacy.rules import RESOLVE_CORRECTIONS
from xiaoqu.registry.models import Consent, Ownership, Person, Residency
from xiaoqu.stewardship.models import WorkOrder

# --- the access log -------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    """The access log's filters, already parsed (the view turns bad input into a message)."""

    actor: str = ""
    subject: int | None = None
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def describe(self) -> str:
        parts = [
            f"{k}={v}"
            for k, v in (
                ("actor", self.actor),
                ("subject", self.subject),
                ("action", self.action),
                ("since", self.since),
                ("until", self.until),
            )
            if v not in ("", None)
        ]
        return " ".join(parts)


def access_log(flt: LogFilter) -> QuerySet[AccessEvent]:
    """The rows matching ``flt``, newest first. ``actor`` matches the name recorded with the
    row or the account's phone; ``subject`` a person id among the row's subjects."""
    qs = AccessEvent.objects.select_related("actor").order_by("-at", "-pk")
    if flt.actor:
        qs = qs.filter(Q(actor_label__icontains=flt.actor) | Q(actor__phone=flt.actor))
    if flt.subject is not None:
        qs = qs.filter(subject_ids__contains=f",{flt.subject},")
    if flt.action:
        qs = qs.filter(action=flt.action)
    tz = timezone.get_current_timezone()
    if flt.since:
        qs = qs.filter(at__gte=dt.datetime.combine(flt.since, dt.time.min, tzinfo=tz))
    if flt.until:
        qs = qs.filter(
            at__lt=dt.datetime.combine(flt.until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    return qs


LOG_COLUMNS = (
    gettext_noop("时间"),
    gettext_noop("操作人"),
    gettext_noop("操作"),
    gettext_noop("信息项"),
    gettext_noop("涉及人数"),
    gettext_noop("涉及人员编号"),
    gettext_noop("说明"),
    gettext_noop("页面或接口"),
    gettext_noop("来源地址"),
)


def access_log_rows(qs: QuerySet[AccessEvent]) -> list[list[Any]]:
    """The rows as the page and the exports show them (labels translated)."""
    actions = dict(AccessAction.choices)
    rows = []
    for e in qs.iterator(chunk_size=2000):
        rows.append(
            [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_label,
                str(actions.get(e.action, e.action)),
                _(FIELD_LABELS[e.field]) if e.field in FIELD_LABELS else e.field,
                e.subject_count,
                " ".join(map(str, e.subjects)),
                e.description,
                e.path,
                e.address or "",
            ]
        )
    return rows


# --- a resident's own data --------------------------------------------------------------------


def _when(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def my_data(*, user: Any) -> dict[str, Any]:
    """Everything the platform holds about the caller, as plain JSON-ready data (PIPL Art. 45).

    Their own ballots include the choice: it is the owner's own act, already shown to them
    on their ballot page; nobody else's choice is ever in it. Staff names are left out of the
    log of who read their record (the role's work, not the person, is what they may know)."""
    person_id = getattr(user, "person_id", None)
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    data: dict[str, Any] = {
        "exported_at": _when(timezone.now()),
        "account": {
            "phone": user.phone,
            "name": user.name,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
        },
        "person": None,
        "consents": [],
        "ownerships": [],
        "residencies": [],
        "opinions": [],
        "ballots": [],
        "work_orders": [],
        "notifications": [],
        "corrections": [],
        "reads_of_my_record": [],
    }
    if person is not None:
        data["person"] = {
            "id": person.pk,
            "name": person.name,
            "phone": person.phone,
            "id_number_last4": person.id_last4,
            "needs_assistance": person.needs_assistance,
            "assistance_note": person.assistance_note,
        }
        data["consents"] = [
            {
                "kind": c.get_kind_display(),
                "purpose": c.purpose,
                "given_on": _when(c.given_on),
                "withdrawn_at": _when(c.withdrawn_at),
            }
            for c in Consent.objects.filter(person=person).order_by("given_on", "pk")
        ]
        data["ownerships"] = [
            {
                "estate": o.dwelling.estate.name,
                "dwelling": o.dwelling.label,
                "area_m2": str(o.dwelling.area),
                "share": str(o.share) if o.share is not None else "",
            }
            for o in Ownership.objects.filter(person=person).select_related(
                "dwelling__estate", "dwelling__building", "dwelling__entrance"
            )
        ]
        data["residencies"] = [
            {
                "estate": r.dwelling.estate.name,
                "dwelling": r.dwelling.label,
                "relation": r.get_relation_display(),
                "since": _when(r.since),
            }
            for r in Residency.objects.filter(person=person).select_related(
                "dwelling__estate", "dwelling__building", "dwelling__entrance"
            )
        ]
        data["ballots"] = [
            {
                "vote": b.vote.title,
                "estate": b.vote.estate.name,
                "choice": b.get_choice_display(),
                "channel": b.get_channel_display(),
                "cast_at": _when(b.cast_at),
                "receipt": b.receipt,
                "seq": b.seq,
            }
            for b in Ballot.objects.filter(elector__persons=person)
            .select_related("vote__estate")
            .order_by("cast_at", "pk")
            .distinct()
        ]
        data["reads_of_my_record"] = [
            {
                "at": _when(e.at),
                "action": e.get_action_display(),
                "field": _(FIELD_LABELS[e.field]) if e.field in FIELD_LABELS else e.field,
                "page": e.path,
            }
            for e in AccessEvent.objects.filter(subject_ids__contains=f",{person.pk},").order_by(
                "at", "pk"
            )[:1000]
        ]
        data["corrections"] = [
            {
                "text": c.text,
                "status": c.get_status_display(),
                "created_at": _when(c.created_at),
                "answer": c.answer,
                "resolved_at": _when(c.resolved_at),
            }
            for c in CorrectionRequest.objects.filter(person=person).order_by("created_at")
        ]
    data["opinions"] = [
        {
            "estate": o.estate.name,
            "text": o.text,
            "channel": o.get_channel_display(),
            "heard_on": _when(o.heard_on),
            "category": o.category,
        }
        for o in Opinion.objects.filter(submitted_by=user)
        .select_related("estate")
        .order_by("heard_on", "pk")
    ]
    data["work_orders"] = [
        {
            "estate": w.estate.name,
            "text": w.text,
            "place": w.place,
            "status": w.get_status_display(),
            "created_at": _when(w.created_at),
        }
        for w in WorkOrder.objects.filter(reporter=user)
        .select_related("estate")
        .order_by("created_at", "pk")
    ]
    data["notifications"] = [
        {
            "title": n.title,
            "body": n.body,
            "created_at": _when(n.created_at),
            "read_at": _when(n.read_at),
        }
        for n in Notification.objects.filter(user=user).order_by("created_at", "pk")
    ]
    return data


# --- correction requests ----------------------------------------------------------------------


def my_corrections(*, user: Any) -> QuerySet[CorrectionRequest]:
    return CorrectionRequest.objects.filter(requested_by=user).order_by("-created_at", "-pk")


def corrections_in_scope(*, user: Any, status: str = "") -> QuerySet[CorrectionRequest]:
    qs = RESOLVE_CORRECTIONS.scoped(user, CorrectionRequest.objects.all()).select_related(
        "estate", "person", "resolved_by"
    )
    if status in CorrectionStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")
