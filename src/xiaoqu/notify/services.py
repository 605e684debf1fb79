"""Writes of notifications (docs/notifications.md).

* ``notify_send``: queue one event's message to its recipients, in the caller's transaction:
  one ``Notification`` per recipient (never twice the same key to the same recipient) and one
  ``Delivery`` per channel — in-app always, SMS and WeChat as each person chose, or a skipped
  row that says why, so the record is complete. Sending happens later, in the background.
* ``deliveries_send``: send what is queued through the backends of ``notify.channels`` and
  record sent, delivered or failed (failures are retried a few times, never raised).
* ``delivery_report``: a gateway's later report that a message was delivered or not.
* ``notification_read``, ``notifications_read_all``: a person marks their messages read.
* ``preference_update``, ``preference_wechat_bind``, ``preference_wechat_unbind``: a person's
  choice of channels.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import User
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import normalize_phone, phone_is_valid
from xiaoqu.notify.channels import (
    Message,
    Outcome,
    SmsBackend,
    WechatBackend,
    sms_backend,
    wechat_backend,
)
from xiaoqu.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
    SkipReason,
)
from xiaoqu.notify.selectors import Recipient, own_q, preference_for
from xiaoqu.registry.models import Person

logger = logging.getLogger(__name__)

__all__ = [
    "Recipient",
    "delivery_report",
    "deliveries_send",
    "notification_read",
    "notifications_read_all",
    "notify_send",
    "preference_update",
    "preference_wechat_bind",
    "preference_wechat_unbind",
]

# Recipients handled per round of queries: every IN list stays far below SQLite's limit.
CHUNK = 500
# Deliveries one run of the background task sends before it queues the next run.
SEND_BATCH = 200
# A failed message is tried this many times in all, waiting RETRY_MINUTES × attempts between.
MAX_ATTEMPTS = 3
RETRY_MINUTES = 10
# How long a sender holds the deliveries it took: one that dies lets them go after this.
CLAIM_MINUTES = 5
# The channels beyond the inbox an event uses unless it says otherwise.
OUTSIDE_CHANNELS: tuple[str, ...] = (Channel.SMS, Channel.WECHAT)


@dataclass
class _Target:
    """A recipient resolved: the login to link, the phone to text, their choices."""

    person_id: int | None
    user_id: int | None
    phone: str
    preference: Preference | None


# --- queueing ------------------------------------------------------------------------------


def notify_send(
    *,
    recipients: Iterable[Recipient | Person | User],
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    estate_id: int | None = None,
    channels: Collection[str] = OUTSIDE_CHANNELS,
    now: dt.datetime | None = None,
) -> int:
    """Queue one event's message to each recipient; the number of new notifications.

    ``key`` names the event (``vote:12:reminder``): a recipient who already has a
    notification of that key gets nothing more, so calling again adds only the recipients
    who were not there before. ``channels`` are the channels beyond the inbox this kind of
    message may use (``()`` for in-app only); each recipient's preference decides the rest.
    ``url`` is a path of the site (``/decisions/votes/12/ballot/``).

    Rows are written in the caller's transaction, inside a savepoint: a database error here
    is logged and undone without undoing the caller's work, and sending is queued for when
    the transaction commits.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not key or len(key) > 120:
        raise ValueError("a notification key is 1 to 120 characters")
    now = now or timezone.now()
    message = {
        "kind": kind,
        "key": key,
        "title": title.strip()[:200],
        "body": body.strip(),
        "url": url[:300],
        "estate_id": estate_id,
        "created_at": now,
    }
    recipients = list(recipients)
    if not recipients:
        return 0
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                persons, users = _normalise(recipients)
                created, queued = _queue(persons, users, message, set(channels), now)
            break
        except IntegrityError:
            # Another sender of the same key wrote some of the same recipients first: theirs
            # stand, and the second round adds only the others.
            if attempt == 2:
                logger.exception("notification %s could not be queued", key)
                return 0
        except DatabaseError:
            logger.exception("notification %s could not be queued", key)
            return 0
    if queued:
        transaction.on_commit(_enqueue_sending, robust=True)
    return created


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _normalise(
    recipients: Iterable[Recipient | Person | User],
) -> tuple[dict[int, int | None], list[int]]:
    """Each recipient once: ``{person id: the login named with it, if any}`` and the logins
    that are no person of the register. A login named alone is looked up: the login of a
    person counts as that person."""
    persons: dict[int, int | None] = {}
    users: set[int] = set()
    unknown: set[int] = set()
    for person_id, user_id, known in map(_ids, recipients):
        if person_id:
            if persons.get(person_id) is None:
                persons[person_id] = user_id
        elif user_id:
            (users if known else unknown).add(user_id)
    for chunk in _chunks(sorted(unknown)):
        for pk, person_id in User.objects.filter(pk__in=chunk).values_list("pk", "person_id"):
            if not person_id:
                users.add(pk)
            elif persons.get(person_id) is None:
                persons[person_id] = pk
    return persons, sorted(users)


def _ids(r: Recipient | Person | User) -> tuple[int | None, int | None, bool]:
    """(person id, login id, whether the login's person is known) of one recipient."""
    if isinstance(r, Person):
        return r.pk, None, True
    if isinstance(r, User):
        return r.person_id, r.pk, True
    if isinstance(r, Recipient):
        return r.person_id, r.user_id, r.person_id is not None
    raise TypeError(f"not a recipient: {r!r}")


def _queue(
    persons: dict[int, int | None],
    users: list[int],
    message: dict[str, Any],
    channels: set[str],
    now: dt.datetime,
) -> tuple[int, int]:
    """Resolve the recipients chunk by chunk, leave out those who already have the key, and
    write the rest; (notifications, deliveries queued)."""
    key = message["key"]
    targets: list[_Target] = []
    for chunk in _chunks(sorted(persons)):
        have = set(
            Notification.objects.filter(key=key, person_id__in=chunk).values_list(
                "person_id", flat=True
            )
        )
        fresh = {p: persons[p] for p in chunk if p not in have}
        targets += _person_targets(fresh) if fresh else []
    for chunk in _chunks(users):
        have = set(
            Notification.objects.filter(
                key=key, person__isnull=True, user_id__in=chunk
            ).values_list("user_id", flat=True)
        )
        fresh_users = [u for u in chunk if u not in have]
        targets += _user_targets(fresh_users) if fresh_users else []
    return _write(targets, message, channels, now)


def _person_targets(persons: dict[int, int | None]) -> list[_Target]:
    """The persons (that exist) with their login (the one named, else their first active
    one), the phone to text (the login's, which they use, else the register's) and their
    preference."""
    ids = list(persons)
    phones = dict(Person.objects.filter(pk__in=ids).values_list("pk", "phone"))
    logins: dict[int, dict[int, str]] = {}
    for person_id, pk, phone in User.objects.filter(person_id__in=ids, is_active=True).values_list(
        "person_id", "pk", "phone"
    ):
        logins.setdefault(person_id, {})[pk] = phone
    login_of: dict[int, int | None] = {}
    for person_id in ids:
        own = logins.get(person_id, {})
        named = persons[person_id]
        login_of[person_id] = named if named in own else (min(own) if own else None)
    user_ids = [u for u in login_of.values() if u is not None]
    by_person, by_user = _preferences(ids, user_ids)
    targets = []
    for person_id in ids:
        if person_id not in phones:
            continue
        user_id = login_of[person_id]
        login_phone = logins.get(person_id, {}).get(user_id, "") if user_id else ""
        targets.append(
            _Target(
                person_id=person_id,
                user_id=user_id,
                phone=login_phone or phones[person_id],
                preference=by_person.get(person_id) or by_user.get(user_id or 0),
            )
        )
    return targets


def _user_targets(user_ids: list[int]) -> list[_Target]:
    rows = list(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "phone"))
    _none, by_user = _preferences([], [pk for pk, _phone in rows])
    return [
        _Target(person_id=None, user_id=pk, phone=phone, preference=by_user.get(pk))
        for pk, phone in rows
    ]


def _preferences(
    person_ids: list[int], user_ids: list[int]
) -> tuple[dict[int, Preference], dict[int, Preference]]:
    if not person_ids and not user_ids:
        return {}, {}
    by_person: dict[int, Preference] = {}
    by_user: dict[int, Preference] = {}
    for p in Preference.objects.filter(Q(person_id__in=person_ids) | Q(user_id__in=user_ids)):
        if p.person_id:
            by_person[p.person_id] = p
        if p.user_id:
            by_user[p.user_id] = p
    return by_person, by_user


def _write(
    targets: list[_Target], message: dict[str, Any], channels: set[str], now: dt.datetime
) -> tuple[int, int]:
    """Insert the targets' notifications, read their ids back (one query: this key at this
    time), insert their deliveries."""
    if not targets:
        return 0, 0
    at = _db_time(message["created_at"])
    _insert(
        Notification,
        ["person", "user", "estate", "kind", "key", "title", "body", "url", "created_at"],
        [
            (
                t.person_id,
                t.user_id,
                message["estate_id"],
                message["kind"],
                message["key"],
                message["title"],
                message["body"],
                message["url"],
                at,
            )
            for t in targets
        ],
    )
    by_person: dict[int, int] = {}
    by_user: dict[int, int] = {}
    for pk, person_id, user_id in Notification.objects.filter(
        key=message["key"], created_at=message["created_at"]
    ).values_list("pk", "person_id", "user_id"):
        if person_id is not None:
            by_person[person_id] = pk
        else:
            by_user[user_id] = pk
    rows = [
        row
        for t in targets
        for row in _deliveries(
            by_person[t.person_id] if t.person_id is not None else by_user[t.user_id or 0],
            t,
            message["kind"],
            channels,
            now,
        )
    ]
    _insert(Delivery, DELIVERY_FIELDS, rows)
    queued = sum(row[3] == DeliveryStatus.QUEUED for row in rows)
    return len(targets), queued


# The columns of a delivery as ``_deliveries`` gives them.
DELIVERY_FIELDS = [
    "notification",
    "channel",
    "address",
    "status",
    "reason",
    "attempts",
    "queued_at",
    "sent_at",
    "delivered_at",
    "reference",
]


def _insert(model: Any, fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into ``model``'s table: COPY on PostgreSQL, one prepared statement
    run per row (executemany) elsewhere, as the register import writes.

    ``bulk_create`` compiles every value through the ORM, which was most of the time of
    queueing a large vote's messages (docs/benchmarks.md#notifications); the values here are
    plain numbers, texts and times already adapted to the database."""
    ops = connection.ops
    meta = model._meta
    table = ops.quote_name(meta.db_table)
    columns = ", ".join(ops.quote_name(meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Past Django's cursor wrapper: its errors are made Django's (IntegrityError) here.
            sql = f"COPY {table} ({columns}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        for chunk in _chunks(rows, 2000):
            cursor.executemany(sql, chunk)


def _db_time(value: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def _deliveries(
    notification_id: int, target: _Target, kind: str, channels: set[str], now: dt.datetime
) -> list[tuple[Any, ...]]:
    """One row per channel (``DELIVERY_FIELDS``): the inbox at once, SMS and WeChat queued or
    skipped with why."""
    at = _db_time(now)

    def row(channel: str, status: str, reason: str = "", address: str = "") -> tuple[Any, ...]:
        delivered = at if status == DeliveryStatus.DELIVERED else None
        return (notification_id, channel, address, status, reason, 0, at, delivered, delivered, "")

    rows = [
        row(Channel.INAPP, DeliveryStatus.DELIVERED)
        if target.user_id
        else row(Channel.INAPP, DeliveryStatus.SKIPPED, SkipReason.NO_LOGIN)
    ]
    for channel in (Channel.SMS, Channel.WECHAT):
        address, reason = _address(channel, target, kind, channels)
        if reason:
            rows.append(row(channel, DeliveryStatus.SKIPPED, reason))
        else:
            rows.append(row(channel, DeliveryStatus.QUEUED, address=address))
    return rows


def _address(
    channel: str, target: _Target, kind: str, channels: Collection[str]
) -> tuple[str, str]:
    """Where to send on ``channel`` and "", or "" and why not (a ``SkipReason``)."""
    if channel not in channels:
        return "", SkipReason.NOT_FOR_KIND
    refusal = _refusal(channel, target.preference, kind)
    if refusal:
        return "", refusal
    if channel == Channel.SMS:
        phone = normalize_phone(target.phone or "")
        if not phone:
            return "", SkipReason.NO_PHONE
        if not phone_is_valid(phone):
            return "", SkipReason.BAD_PHONE
        return phone, ""
    assert target.preference is not None  # _refusal refuses WeChat without a preference
    return target.preference.wechat_openid, ""


def _refusal(channel: str, preference: Preference | None, kind: str) -> str:
    """Why the person's choices rule out ``channel`` for a message of ``kind`` ("" if not).
    Without a preference row the defaults hold: SMS on, WeChat not bound, reminders on."""
    if preference is None:
        return SkipReason.WECHAT_UNBOUND if channel == Channel.WECHAT else ""
    if preference.opted_out:
        return SkipReason.OPTED_OUT
    if kind == Kind.VOTE_REMINDER and not preference.reminders:
        return SkipReason.NO_REMINDERS
    if channel == Channel.SMS:
        return "" if preference.sms else SkipReason.SMS_OFF
    if not preference.wechat_openid:
        return SkipReason.WECHAT_UNBOUND
    return "" if preference.wechat else SkipReason.WECHAT_OFF


def _enqueue_sending(run_after: dt.datetime | None = None) -> None:
    """Ask the background worker to send what is queued (at ``run_after``, when the task
    backend can defer); a queue that cannot take it leaves the rows for ``xiaoqu notify
    send``."""
    from xiaoqu.notify.tasks import send_deliveries

    try:
        if run_after is not None:
            if not send_deliveries.get_backend().supports_defer:
                return
            send_deliveries.using(run_after=run_after).enqueue()
        else:
            send_deliveries.enqueue()
    except Exception:
        logger.exception("sending notifications could not be queued")


# --- sending -------------------------------------------------------------------------------


class SendReport(TypedDict):
    """What one run of ``deliveries_send`` did; ``more``: due deliveries left for the next."""

    sent: int
    delivered: int
    failed: int
    skipped: int
    more: bool


def deliveries_send(
    *,
    limit: int = SEND_BATCH,
    now: dt.datetime | None = None,
    backends: Mapping[str, SmsBackend | WechatBackend] | None = None,
) -> SendReport:
    """Send up to ``limit`` due deliveries (queued ones, and failed ones whose next attempt
    has come) through the configured backends, or through ``backends`` by channel.

    Deliveries are claimed first (so two senders never send one twice), then sent outside
    any transaction, then recorded. A backend that refuses or raises makes the delivery
    failed with the reason; it is tried again up to ``MAX_ATTEMPTS`` times in all. A person
    who opted out since the message was queued gets nothing: the delivery is skipped.
    """
    now = now or timezone.now()
    report: SendReport = {"sent": 0, "delivered": 0, "failed": 0, "skipped": 0, "more": False}
    claimed = _claim(limit, now)
    if not claimed:
        return report
    chosen = dict(backends or {})
    withdrawn = _withdrawn(claimed)
    retry_at: list[dt.datetime] = []
    for delivery in claimed:
        notification = delivery.notification
        reason = withdrawn.get(delivery.pk)
        if reason:
            delivery.status, delivery.reason = DeliveryStatus.SKIPPED, reason
            delivery.next_attempt_at = None
            report["skipped"] += 1
            continue
        if delivery.channel not in chosen:
            chosen[delivery.channel] = (
                sms_backend() if delivery.channel == Channel.SMS else wechat_backend()
            )
        outcome = _send(chosen[delivery.channel], delivery, notification)
        at = timezone.now()
        if outcome.accepted:
            delivery.status = DeliveryStatus.DELIVERED if outcome.delivered else DeliveryStatus.SENT
            delivery.sent_at = at
            delivery.delivered_at = at if outcome.delivered else None
            delivery.reference = outcome.reference[:64]
            delivery.reason = ""
            delivery.next_attempt_at = None
            report["delivered" if outcome.delivered else "sent"] += 1
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.reason = (outcome.reason or _("网关未接受"))[:200]
            delivery.next_attempt_at = (
                at + dt.timedelta(minutes=RETRY_MINUTES * delivery.attempts)
                if delivery.attempts < MAX_ATTEMPTS
                else None
            )
            if delivery.next_attempt_at:
                retry_at.append(delivery.next_attempt_at)
            report["failed"] += 1
    _record(claimed)
    report["more"] = _due(now).exists()
    if retry_at:
        _enqueue_sending(run_after=min(retry_at))
    return report


def _record(deliveries: list[Delivery]) -> None:
    """Write the outcomes with one prepared UPDATE run for each delivery (executemany):
    ``bulk_update`` builds a CASE expression per field and row, which took most of sending."""
    ops = connection.ops
    table = ops.quote_name(Delivery._meta.db_table)
    fields = ["status", "reason", "sent_at", "delivered_at", "reference", "next_attempt_at"]
    sets = ", ".join(f"{ops.quote_name(f)} = %s" for f in fields)
    sql = f"UPDATE {table} SET {sets} WHERE {ops.quote_name('id')} = %s"
    rows = [
        (
            d.status,
            d.reason,
            _db_time(d.sent_at),
            _db_time(d.delivered_at),
            d.reference,
            _db_time(d.next_attempt_at),
            d.pk,
        )
        for d in deliveries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _due(now: dt.datetime) -> Any:
    return Delivery.objects.filter(
        status__in=[DeliveryStatus.QUEUED, DeliveryStatus.FAILED],
        attempts__lt=MAX_ATTEMPTS,
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _claim(limit: int, now: dt.datetime) -> list[Delivery]:
    """Take up to ``limit`` due deliveries, oldest first: count the attempt and hold them for
    ``CLAIM_MINUTES``. Two senders take different rows: PostgreSQL skips rows another
    sender has locked; SQLite runs one writing transaction at a time."""
    with transaction.atomic():
        due = _due(now).order_by("queued_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[: max(limit, 0)])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(
            attempts=F("attempts") + 1,
            next_attempt_at=now + dt.timedelta(minutes=CLAIM_MINUTES),
        )
    return list(
        Delivery.objects.filter(pk__in=ids)
        .select_related("notification")
        .order_by("queued_at", "pk")
    )


def _withdrawn(deliveries: list[Delivery]) -> dict[int, str]:
    """Deliveries whose person has since opted out (or turned the channel or reminders off):
    ``{delivery id: reason}``."""
    persons = {d.notification.person_id for d in deliveries} - {None}
    users = {d.notification.user_id for d in deliveries} - {None}
    by_person, by_user = _preferences(sorted(persons), sorted(users))  # type: ignore[arg-type]
    withdrawn = {}
    for d in deliveries:
        n = d.notification
        preference = by_person.get(n.person_id or 0) or by_user.get(n.user_id or 0)
        if preference is None:
            continue
        reason = _refusal(d.channel, preference, n.kind)
        if reason:
            withdrawn[d.pk] = reason
    return withdrawn


def _send(
    backend: SmsBackend | WechatBackend, delivery: Delivery, notification: Notification
) -> Outcome:
    url = notification.url
    if url.startswith("/"):
        url = settings.XIAOQU_SITE_URL + url
    message = Message(
        address=delivery.address,
        title=notification.title,
        body=notification.body,
        url=url,
        kind=notification.kind,
        key=notification.key,
    )
    try:
        return backend.send(message)
    except Exception as exc:  # a gateway's failure is recorded, never raised
        logger.warning("%s delivery %s failed: %s", delivery.channel, delivery.pk, exc)
        return Outcome(accepted=False, reason=f"{type(exc).__name__}: {exc}"[:200])


def delivery_report(
    *,
    channel: str,
    reference: str,
    delivered: bool,
    reason: str = "",
    at: dt.datetime | None = None,
) -> bool:
    """Record a gateway's delivery report (回执) of the message it knows as ``reference``:
    delivered, or not (with its reason). Whether such a message was found."""
    if not reference:
        return False
    at = at or timezone.now()
    found = Delivery.objects.filter(
        channel=channel, reference=reference, status__in=[DeliveryStatus.SENT]
    )
    if delivered:
        return bool(found.update(status=DeliveryStatus.DELIVERED, delivered_at=at))
    return bool(found.update(status=DeliveryStatus.FAILED, reason=(reason or _("未送达"))[:200]))


# --- the inbox -----------------------------------------------------------------------------


def notification_read(*, user: User, notification_id: Any) -> Notification:
    """Mark one of the user's own messages read (once: the first reading's time stays).
    Another's message, or no message, is refused like a missing one."""
    try:
        pk = int(notification_id)
    except (TypeError, ValueError):
        pk = 0
    notification = Notification.objects.filter(own_q(user), pk=pk).first()
    if notification is None:
        raise DomainError(_("没有这条消息。"), code="not_found")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_read_all(*, user: User) -> int:
    """Mark all the user's unread messages read; how many there were."""
    return Notification.objects.filter(own_q(user), read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- preferences ---------------------------------------------------------------------------


def _preference_snapshot(p: Preference) -> dict[str, Any]:
    return {
        "sms": p.sms,
        "wechat": p.wechat,
        "wechat_bound": bool(p.wechat_openid),
        "reminders": p.reminders,
        "opted_out": p.opted_out,
    }


def _save_preference(user: User, change: Mapping[str, Any], action: str) -> Preference:
    with transaction.atomic():
        preference = preference_for(user)
        if preference.pk is not None:
            preference = Preference.objects.select_for_update().get(pk=preference.pk)
        before = _preference_snapshot(preference) if preference.pk else None
        for field, value in change.items():
            setattr(preference, field, value)
        preference.person_id = preference.person_id or user.person_id
        preference.user = user
        preference.save()
        audit_record(
            actor=user,
            action=action,
            obj=preference,
            before=before,
            after=_preference_snapshot(preference),
        )
    return preference


def preference_update(
    *, user: User, sms: bool, wechat: bool, reminders: bool, opted_out: bool
) -> Preference:
    """The user's choice of channels: SMS, WeChat, vote reminders, or no SMS and WeChat at all
    (in-app messages are always kept). Takes effect for messages not yet sent too."""
    return _save_preference(
        user,
        {"sms": sms, "wechat": wechat, "reminders": reminders, "opted_out": opted_out},
        "notify.preference_update",
    )


def preference_wechat_bind(*, user: User, openid: str) -> Preference:
    """Bind the openid WeChat gave for this user (the WeChat login's callback calls this) and
    turn WeChat messages on."""
    openid = (openid or "").strip()
    if not openid or len(openid) > 64:
        raise DomainError(_("微信 openid 不正确。"), code="openid")
    return _save_preference(
        user, {"wechat_openid": openid, "wechat": True}, "notify.preference_wechat_bind"
    )


def preference_wechat_unbind(*, user: User) -> Preference:
    """Forget the user's WeChat openid: no more WeChat messages until they bind again."""
    return _save_preference(
        user, {"wechat_openid": "", "wechat": False}, "notify.preference_wechat_unbind"
    )
