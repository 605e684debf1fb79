"""Reads of notifications: a person's inbox, their choices, the record staff read, and the
recipients events commonly address.

The inbox of a login holds the messages to it and to its person (messages to a person sent
before they had a login appear once they have one). ``unread_for`` and ``recent_for`` are
what other pages show (the resident's feed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from xiaoqu.accounts.models import User
from xiaoqu.notify.models import Channel, Delivery, DeliveryStatus, Kind, Notification, Preference
from xiaoqu.registry.models import Estate, Ownership, Residency


def own_q(user: Any) -> Q:
    """The notifications that are the user's: to the login, or to its person."""
    q = Q(user_id=user.pk)
    if getattr(user, "person_id", None):
        q |= Q(person_id=user.person_id)
    return q


def inbox_for(user: Any) -> QuerySet[Notification]:
    """The user's messages, newest first."""
    return Notification.objects.filter(own_q(user)).order_by("-created_at", "-pk")


def unread_for(user: Any) -> QuerySet[Notification]:
    """The user's unread messages, newest first."""
    return inbox_for(user).filter(read_at__isnull=True)


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_for(user).count()


def recent_for(user: Any, limit: int = 5) -> list[Notification]:
    """The user's newest ``limit`` messages, read or not."""
    return list(inbox_for(user)[: max(limit, 0)])


def preference_for(user: Any) -> Preference:
    """The user's (or their person's) choice of channels; the defaults, unsaved, if they
    never chose."""
    q = Q(user_id=user.pk)
    if getattr(user, "person_id", None):
        q |= Q(person_id=user.person_id)
    found = Preference.objects.filter(q).order_by("pk").first()
    return found or Preference(person_id=getattr(user, "person_id", None), user_id=user.pk)


@dataclass(frozen=True)
class Recipient:
    """Someone to notify (``notify.services.notify_send``): a person of the register, a
    login, or both (the login of that person). A person without a login still gets the
    in-app message, seen once they have one."""

    person_id: int | None = None
    user_id: int | None = None


def estate_residents(estate_id: int) -> list[Recipient]:
    """The logins of the people who own or live in a dwelling of the estate, as recipients:
    who hears of its minutes and plans."""
    owners = Ownership.objects.filter(dwelling__estate_id=estate_id).values("person_id")
    residents = Residency.objects.filter(dwelling__estate_id=estate_id).values("person_id")
    rows = (
        User.objects.filter(is_active=True)
        .filter(Q(person_id__in=owners) | Q(person_id__in=residents))
        .values_list("person_id", "pk")
    )
    return [Recipient(person_id=person_id, user_id=pk) for person_id, pk in rows]


# --- the record (staff) ---------------------------------------------------------------------

CHANNEL_ORDER = [Channel.INAPP, Channel.SMS, Channel.WECHAT]
STATUS_ORDER = [
    DeliveryStatus.DELIVERED,
    DeliveryStatus.SENT,
    DeliveryStatus.QUEUED,
    DeliveryStatus.FAILED,
    DeliveryStatus.SKIPPED,
]


@dataclass
class KeySummary:
    """One event's record: its key, kind, title, first time, and delivery counts by channel
    and status."""

    key: str
    kind: str
    title: str
    first: Any
    recipients: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label) if self.kind in Kind.values else self.kind

    def channels(self) -> list[dict[str, Any]]:
        """Per channel in a fixed order: its label and (status label, count) pairs."""
        rows = []
        for channel in CHANNEL_ORDER:
            counts = self.counts.get(channel, {})
            rows.append(
                {
                    "channel": channel,
                    "label": Channel(channel).label,
                    "total": sum(counts.values()),
                    "statuses": [
                        {"status": s, "label": DeliveryStatus(s).label, "n": counts[s]}
                        for s in STATUS_ORDER
                        if counts.get(s)
                    ],
                }
            )
        return rows


def delivery_events(*, estate: Estate, key_prefix: str = "", key: str = "") -> QuerySet[Any]:
    """The estate's events, one row per key (those starting with ``key_prefix``, or the one
    ``key``), newest first: ``key``, ``kind``, ``title``, ``first`` (time), ``recipients``.
    A grouped query, so a page can paginate it before counting deliveries."""
    notifications = Notification.objects.filter(estate=estate)
    if key:
        notifications = notifications.filter(key=key)
    elif key_prefix:
        notifications = notifications.filter(key__startswith=key_prefix)
    return (
        notifications.values("key", "kind")
        .annotate(first=Min("created_at"), recipients=Count("pk"), title=Min("title"))
        .order_by("-first", "key")
    )


def delivery_summaries(*, estate: Estate, events: Iterable[dict[str, Any]]) -> list[KeySummary]:
    """The events given (rows of ``delivery_events``) with their delivery counts by channel
    and status: one more grouped query."""
    summaries = {
        e["key"]: KeySummary(e["key"], e["kind"], e["title"], e["first"], e["recipients"])
        for e in events
    }
    if not summaries:
        return []
    counts = (
        Delivery.objects.filter(notification__estate=estate, notification__key__in=list(summaries))
        .values("notification__key", "channel", "status")
        .annotate(n=Count("pk"))
    )
    for row in counts:
        summaries[row["notification__key"]].counts.setdefault(row["channel"], {})[row["status"]] = (
            row["n"]
        )
    return list(summaries.values())


def delivery_rows(
    *, estate: Estate, key: str, channel: str = "", status: str = ""
) -> QuerySet[Delivery]:
    """The deliveries of one event of the estate: who (person or login), which channel, which
    status, when; by recipient then channel."""
    rows = Delivery.objects.filter(notification__estate=estate, notification__key=key)
    if channel in Channel.values:
        rows = rows.filter(channel=channel)
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    return rows.select_related("notification__person", "notification__user").order_by(
        "notification_id", "channel"
    )
