"""Reads of access control: an estate's points and devices, its residents' credentials, the
event log and the anomalies as staff see them, and a resident's own credentials.

People in the log are whereabouts (PIPL Art. 28): they are shown by name only to those who
manage the estate's access (``stewardship.manage_access``, who issue the credentials), and
masked as 张** to everyone else who may read the log; a credential is always its kind and
the last four characters (门禁卡 ****1234), never its number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from xiaoqu.core.pii import mask_name
from xiaoqu.registry.models import Dwelling, Estate, Ownership, Person, Residency
from xiaoqu.stewardship.models import (
    AccessAnomaly,
    AccessCredential,
    AccessDevice,
    AccessEvent,
    AccessPoint,
)

EVENT_RELATED = ("point", "credential", "person")
MY_EVENTS = 20


def points_of(estate: Estate) -> list[AccessPoint]:
    """The estate's points with their devices (live first, newest first) and the number of
    open anomalies at each (``open_anomalies``), counted from the anomalies, not the events."""
    points = list(
        AccessPoint.objects.filter(estate=estate)
        .select_related("entrance__building")
        .prefetch_related(
            Prefetch("devices", queryset=AccessDevice.objects.order_by("revoked_at", "-pk"))
        )
        .order_by("kind", "name")
    )
    counts = dict(
        AccessAnomaly.objects.filter(event__point__estate=estate, resolved_at=None)
        .values("event__point")
        .annotate(n=Count("pk"))
        .values_list("event__point", "n")
    )
    for point in points:
        point.open_anomalies = counts.get(point.pk, 0)  # type: ignore[attr-defined]
    return points


def credentials_of(estate: Estate, *, live: bool | None = None) -> QuerySet[AccessCredential]:
    found = AccessCredential.objects.filter(estate=estate).select_related(
        "person", "dwelling__building", "dwelling__entrance"
    )
    if live is True:
        found = found.filter(revoked_at=None)
    elif live is False:
        found = found.exclude(revoked_at=None)
    return found.order_by("revoked_at", "dwelling__building__number", "dwelling__number", "pk")


@dataclass(frozen=True)
class Holder:
    """A person who may hold a credential for a dwelling, as the issue form offers them."""

    person: Person
    dwelling: Dwelling
    relation: str

    @property
    def value(self) -> str:
        return f"{self.person.pk}:{self.dwelling.pk}"


def holders_of(estate: Estate) -> list[Holder]:
    """Every (person, dwelling) of the estate a credential may be issued for: owners and
    the people who live there, by dwelling."""
    found: dict[tuple[int, int], Holder] = {}
    for o in Ownership.objects.filter(dwelling__estate=estate).select_related(
        "person", "dwelling__building", "dwelling__entrance"
    ):
        found[(o.person_id, o.dwelling_id)] = Holder(o.person, o.dwelling, "owner")
    for r in Residency.objects.filter(dwelling__estate=estate).select_related(
        "person", "dwelling__building", "dwelling__entrance"
    ):
        found.setdefault((r.person_id, r.dwelling_id), Holder(r.person, r.dwelling, r.relation))
    return sorted(found.values(), key=lambda h: (h.dwelling.label, h.person.name, h.person.pk))


def person_label(person: Person | None, *, names: bool) -> str:
    if person is None:
        return ""
    return person.name if names else mask_name(person.name)


@dataclass(frozen=True)
class EventFilters:
    point: int | None = None
    day: dt.date | None = None
    anomalies_only: bool = False


def events_of(estate: Estate, filters: EventFilters) -> QuerySet[AccessEvent]:
    """The estate's events, newest first, with the kinds of their anomalies."""
    found = (
        AccessEvent.objects.filter(point__estate=estate)
        .select_related(*EVENT_RELATED)
        .prefetch_related("anomalies")
        .order_by("-at", "-pk")
    )
    if filters.point is not None:
        found = found.filter(point_id=filters.point)
    if filters.day is not None:
        start = timezone.make_aware(dt.datetime.combine(filters.day, dt.time.min))
        found = found.filter(at__gte=start, at__lt=start + dt.timedelta(days=1))
    if filters.anomalies_only:
        found = found.filter(anomalies__isnull=False).distinct()
    return found


def event_row(event: AccessEvent, *, names: bool) -> dict[str, Any]:
    """One line of the log as shown: the credential as kind and tail, the person by name or
    masked."""
    credential = event.credential
    return {
        "pk": event.pk,
        "at": timezone.localtime(event.at),
        "point": event.point.name,
        "method": event.get_method_display(),
        "credential": str(credential) if credential is not None else "",
        "person": person_label(event.person, names=names),
        "granted": event.granted,
        "anomalies": [a.get_kind_display() for a in event.anomalies.all()],
    }


def anomalies_of(estate: Estate, *, open_only: bool = True) -> QuerySet[AccessAnomaly]:
    found = (
        AccessAnomaly.objects.filter(event__point__estate=estate)
        .select_related(
            "event__point",
            "event__person",
            "event__credential",
            "other_event__point",
            "resolved_by",
        )
        .order_by("-event__at", "-pk")
    )
    return found.filter(resolved_at=None) if open_only else found


def anomaly_row(anomaly: AccessAnomaly, *, names: bool) -> dict[str, Any]:
    event = anomaly.event
    return {
        "pk": anomaly.pk,
        "kind": anomaly.get_kind_display(),
        "code": anomaly.kind,
        "at": timezone.localtime(event.at),
        "point": event.point.name,
        "method": event.get_method_display(),
        "credential": str(event.credential) if event.credential_id else "",
        "person": person_label(event.person, names=names),
        "granted": event.granted,
        "note": anomaly.note,
        "resolved_at": anomaly.resolved_at,
        "resolved_by": anomaly.resolved_by,
    }


def open_anomaly_count(estate: Estate) -> int:
    return AccessAnomaly.objects.filter(event__point__estate=estate, resolved_at=None).count()


# --- the resident's own ----------------------------------------------------------------------


def my_credentials(user: Any) -> list[AccessCredential]:
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return []
    return list(
        AccessCredential.objects.filter(person_id=person_id)
        .select_related("estate", "dwelling__building", "dwelling__entrance")
        .order_by("revoked_at", "-issued_at")
    )


def my_events(user: Any, limit: int = MY_EVENTS) -> list[AccessEvent]:
    """The signed-in resident's own latest passes (their own whereabouts, theirs to read)."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return []
    return list(
        AccessEvent.objects.filter(person_id=person_id)
        .select_related("point__estate", "credential")
        .order_by("-at", "-pk")[:limit]
    )
