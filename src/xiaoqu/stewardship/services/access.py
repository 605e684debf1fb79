"""Writes of access control (门禁): points, devices and their keys, residents' credentials,
the events devices post, their anomalies, and the retention of events.

* :func:`point_add`: a gate, an entrance door or a garage of the estate, open around the
  clock or between two times (which may run past midnight).
* :func:`device_add` / :func:`device_revoke`: a reader at a point. Its key is random
  (``dev_`` + ``secrets.token_urlsafe(32)``), returned once and stored only as its SHA-256
  digest, like an Open311 key.
* :func:`credential_issue` / :func:`credential_revoke`: a card, a code or a QR payload for a
  person who owns or lives in a dwelling of the estate. Only a keyed digest (HMAC-SHA256 with
  ``XIAOQU_PII_KEY``, as ID numbers) is kept, with the last four characters of a card or a QR
  payload to tell them apart (a code keeps none: its last four would give most of it away).
  A code or QR payload left empty is generated and returned once.
* :func:`credentials_sweep`: residents' access follows their residency — a credential holds
  only while its person still owns or lives in its dwelling; the sweep revokes the others
  (reason 迁出). An event that presents such a credential revokes it at once.
* :func:`events_ingest`: a device's events, stored once per device and event id (a replay
  adds nothing), with their anomalies (``watch``): one credential or face at two points of a
  kind within ``XIAOQU_ACCESS_TWO_POINTS_SECONDS``, a pass outside the point's hours, a
  revoked credential, an unknown one. No face image or template is ever stored (PIPL
  Art. 26, 28): a face event is "matched person N" or "unknown".
* :func:`anomaly_resolve`: staff mark an anomaly handled.
* :func:`events_purge`: events older than ``XIAOQU_ACCESS_RETENTION_DAYS`` go, with their
  anomalies.

Staff writes check ``stewardship.manage_access`` and write an audit row in the same
transaction. Devices are not people: their posts write event rows, not audit rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.keys import key_digest, key_new
from xiaoqu.registry.models import Dwelling, Entrance, Estate, Ownership, Person, Residency
from xiaoqu.stewardship import watch
from xiaoqu.stewardship.models import (
    AccessAnomaly,
    AccessCredential,
    AccessDevice,
    AccessEvent,
    AccessMethod,
    AccessPoint,
    AccessPointKind,
    AnomalyKind,
    CredentialKind,
)
from xiaoqu.stewardship.rules import MANAGE_ACCESS

DEVICE_KEY_PREFIX = "dev_"
NAME_MAX = 64
EVENT_KEY_MAX = 64
# Events a device may post at once.
BATCH_MAX = 500
# A device's clock may run a little ahead; an event further in the future is refused.
FUTURE_SLACK = dt.timedelta(minutes=5)
CODE_DIGITS = 6
_CARD_RE = re.compile(r"^[0-9A-Z]{4,64}$")
_CODE_RE = re.compile(r"^[0-9]{4,12}$")
_QR_RE = re.compile(r"^[\x21-\x7e]{8,255}$")


def normalise_credential(kind: str, value: str) -> str:
    """A card number without spaces, colons or dashes, in capitals; a code or a QR payload
    as given (without surrounding spaces)."""
    value = (value or "").strip()
    if kind == CredentialKind.CARD:
        return re.sub(r"[\s:\-]", "", value).upper()
    return value


def credential_digest(kind: str, value: str, *, key: str | None = None) -> str:
    """Keyed one-way hash (HMAC-SHA256, ``XIAOQU_PII_KEY``) of a normalised card number,
    code or QR payload; the kind is part of the message, so a code never matches a card."""
    secret = (key if key is not None else settings.PII_HASH_KEY).encode()
    message = f"access:{kind}:{normalise_credential(kind, value)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def credential_tail(kind: str, value: str) -> str:
    return "" if kind == CredentialKind.CODE else normalise_credential(kind, value)[-4:]


def two_points_window() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.XIAOQU_ACCESS_TWO_POINTS_SECONDS))


def retention() -> dt.timedelta:
    return dt.timedelta(days=int(settings.XIAOQU_ACCESS_RETENTION_DAYS))


# --- points and devices -------------------------------------------------------------------------


def point_add(
    *,
    estate: Estate,
    name: str,
    kind: str,
    actor: Actor,
    entrance: Entrance | None = None,
    opens_at: dt.time | None = None,
    closes_at: dt.time | None = None,
) -> AccessPoint:
    """An access point of the estate; with hours, open from ``opens_at`` to ``closes_at``."""
    MANAGE_ACCESS.require(actor, estate)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError(_("请填写门禁点名称（64 字以内）。"), code="name")
    if kind not in AccessPointKind.values:
        raise DomainError(_("请选择门禁点类型。"), code="kind")
    if entrance is not None and entrance.building.estate_id != estate.pk:
        raise DomainError(_("所选单元不是本小区的。"), code="entrance")
    if (opens_at is None) != (closes_at is None):
        raise DomainError(_("开放时间要同时填写开始和结束，或都不填（全天开放）。"), code="hours")
    if opens_at is not None and opens_at == closes_at:
        raise DomainError(_("开放和关闭时间不能相同；全天开放请都不填。"), code="hours")
    if AccessPoint.objects.filter(estate=estate, name=name).exists():
        raise DomainError(_("本小区已有名为“%(name)s”的门禁点。") % {"name": name}, code="dup")
    with transaction.atomic():
        point = AccessPoint.objects.create(
            estate=estate,
            name=name,
            kind=kind,
            entrance=entrance,
            opens_at=opens_at,
            closes_at=closes_at,
        )
        audit_record(
            actor=actor,
            action="stewardship.access_point_add",
            obj=point,
            after={
                "estate": estate.pk,
                "name": name,
                "kind": kind,
                "entrance": entrance.pk if entrance else None,
                "opens_at": opens_at.isoformat() if opens_at else None,
                "closes_at": closes_at.isoformat() if closes_at else None,
            },
        )
    return point


def device_add(
    *, point: AccessPoint, name: str, actor: Actor | None = None
) -> tuple[AccessDevice, str]:
    """A reader at ``point`` and its key, returned this once (only the digest is stored).

    ``actor`` None is an operator at the server's command line (``xiaoqu access device``).
    """
    if actor is not None:
        MANAGE_ACCESS.require(actor, point)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError(_("请填写设备名称（64 字以内）。"), code="name")
    if not point.active:
        raise DomainError(_("门禁点已停用，不能添加设备。"), code="inactive")
    raw, digest = key_new(DEVICE_KEY_PREFIX)
    with transaction.atomic():
        device = AccessDevice.objects.create(point=point, name=name, digest=digest)
        audit_record(
            actor=actor,
            action="stewardship.access_device_add",
            obj=device,
            after={"point": point.pk, "name": name},
        )
    return device, raw


def device_revoke(
    *, device: AccessDevice, actor: Actor | None = None, now: dt.datetime | None = None
) -> AccessDevice:
    """Revoke a device's key at once; its later posts are refused. Twice changes nothing."""
    if actor is not None:
        MANAGE_ACCESS.require(actor, device)
    now = now or timezone.now()
    with transaction.atomic():
        if AccessDevice.objects.filter(pk=device.pk, revoked_at=None).update(revoked_at=now):
            audit_record(
                actor=actor,
                action="stewardship.access_device_revoke",
                obj=device,
                before={"revoked_at": None},
                after={"revoked_at": now.isoformat()},
            )
    device.refresh_from_db()
    return device


def device_for_key(raw: str) -> AccessDevice | None:
    """The device of a key, revoked or not (None for a key nobody issued)."""
    if not raw:
        return None
    return (
        AccessDevice.objects.select_related("point__estate").filter(digest=key_digest(raw)).first()
    )


# --- credentials --------------------------------------------------------------------------------


def holds_dwelling(person: Person, dwelling: Dwelling) -> bool:
    """Whether the person owns or lives in the dwelling (what a credential rests on)."""
    return (
        Ownership.objects.filter(person=person, dwelling=dwelling).exists()
        or Residency.objects.filter(person=person, dwelling=dwelling).exists()
    )


def _generated(kind: str) -> str:
    if kind == CredentialKind.CODE:
        return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    return secrets.token_urlsafe(18)


def _check_value(kind: str, value: str) -> str:
    value = normalise_credential(kind, value)
    if kind == CredentialKind.CARD and not _CARD_RE.match(value):
        raise DomainError(_("卡号应为 4–64 位数字或字母。"), code="value")
    if kind == CredentialKind.CODE and not _CODE_RE.match(value):
        raise DomainError(_("密码应为 4–12 位数字。"), code="value")
    if kind == CredentialKind.QR and not _QR_RE.match(value):
        raise DomainError(_("二维码内容应为 8–255 个字符（不含空格）。"), code="value")
    return value


def credential_issue(
    *,
    estate: Estate,
    person: Person,
    dwelling: Dwelling,
    kind: str,
    actor: Actor,
    value: str = "",
    now: dt.datetime | None = None,
) -> tuple[AccessCredential, str]:
    """A card, code or QR payload for ``person``, who owns or lives in ``dwelling`` of the
    estate. Returns the credential and the generated value (shown once) when ``value`` was
    left empty for a code or a QR payload, else ""."""
    MANAGE_ACCESS.require(actor, estate)
    if kind not in CredentialKind.values:
        raise DomainError(_("请选择凭证类型（门禁卡、密码或二维码）。"), code="kind")
    if dwelling.estate_id != estate.pk:
        raise DomainError(_("所选房屋不是本小区的。"), code="dwelling")
    if not holds_dwelling(person, dwelling):
        raise DomainError(
            _("%(name)s 不是这户的业主或居住人，不能发放门禁凭证。") % {"name": person.name},
            code="person",
        )
    generated = ""
    if not (value or "").strip():
        if kind == CredentialKind.CARD:
            raise DomainError(_("请填写卡号（读卡器读出的号码）。"), code="value")
        generated = value = _generated(kind)
    value = _check_value(kind, value)
    now = now or timezone.now()
    digest = credential_digest(kind, value)
    for _attempt in range(5):
        live = AccessCredential.objects.filter(
            estate=estate, kind=kind, digest=digest, revoked_at=None
        )
        if not live.exists():
            break
        if not generated:
            raise DomainError(
                _("这个%(kind)s已登记给本小区另一张有效凭证。")
                % {"kind": CredentialKind(kind).label},
                code="taken",
            )
        generated = value = _generated(kind)
        digest = credential_digest(kind, value)
    try:
        with transaction.atomic():
            credential = AccessCredential.objects.create(
                estate=estate,
                person=person,
                dwelling=dwelling,
                kind=kind,
                digest=digest,
                tail=credential_tail(kind, value),
                issued_at=now,
            )
            audit_record(
                actor=actor,
                action="stewardship.credential_issue",
                obj=credential,
                after={
                    "person": person.pk,
                    "dwelling": dwelling.pk,
                    "kind": kind,
                    "tail": credential.tail,
                },
            )
    except IntegrityError:
        raise DomainError(
            _("这个%(kind)s已登记给本小区另一张有效凭证。") % {"kind": CredentialKind(kind).label},
            code="taken",
        ) from None
    return credential, generated


def credential_revoke(
    *, credential: AccessCredential, reason: str, actor: Actor, now: dt.datetime | None = None
) -> AccessCredential:
    """Revoke a credential (lost card, moved out…) at once."""
    MANAGE_ACCESS.require(actor, credential)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise DomainError(_("请填写注销原因（200 字以内）。"), code="reason")
    now = now or timezone.now()
    with transaction.atomic():
        if not AccessCredential.objects.filter(pk=credential.pk, revoked_at=None).update(
            revoked_at=now, revoke_reason=reason
        ):
            raise DomainError(_("这张凭证已经注销。"), code="revoked")
        audit_record(
            actor=actor,
            action="stewardship.credential_revoke",
            obj=credential,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat(), "reason": reason},
        )
    credential.refresh_from_db()
    return credential


def moved_out_q() -> Q:
    """Live credentials whose person no longer owns or lives in their dwelling."""
    owns = Ownership.objects.filter(person=OuterRef("person"), dwelling=OuterRef("dwelling"))
    lives = Residency.objects.filter(person=OuterRef("person"), dwelling=OuterRef("dwelling"))
    return Q(revoked_at=None) & ~Q(Exists(owns)) & ~Q(Exists(lives))


def moved_out_reason() -> str:
    return _("迁出")


def credentials_sweep(
    *, now: dt.datetime | None = None, estate: Estate | None = None, actor: Actor | None = None
) -> int:
    """Revoke every live credential (of ``estate``, or everywhere) whose person moved out of
    its dwelling — no ownership, no residency left; idempotent. Returns how many were
    revoked. ``actor`` None is the scheduled sweep (``xiaoqu access sweep``); a person who
    asks for it from the estate's page needs ``stewardship.manage_access`` there and leaves
    an audit row."""
    if actor is not None:
        if estate is None:
            raise ValueError("a person sweeps one estate")
        MANAGE_ACCESS.require(actor, estate)
    now = now or timezone.now()
    found = AccessCredential.objects.filter(moved_out_q())
    if estate is not None:
        found = found.filter(estate=estate)
    with transaction.atomic():
        ids = list(found.values_list("pk", flat=True))
        revoked = AccessCredential.objects.filter(pk__in=ids, revoked_at=None).update(
            revoked_at=now, revoke_reason=moved_out_reason()
        )
        if actor is not None and revoked:
            audit_record(
                actor=actor,
                action="stewardship.credentials_sweep",
                obj=estate,
                after={"revoked": ids},
            )
    return revoked


# --- events from devices ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventIn:
    """One event as a device reports it (already parsed): ``credential`` for a card, code or
    QR; ``person_id`` for a matched face, neither for an unknown face."""

    key: str
    at: dt.datetime
    method: str
    granted: bool
    credential: str = ""
    person_id: int | None = None


@dataclass
class IngestResult:
    stored: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    anomalies: int = 0


class IngestError(DomainError):
    """A post refused as a whole (nothing stored), naming the event at fault."""

    def __init__(self, message: str, *, code: str, event: str | None = None) -> None:
        super().__init__(message, code=code)
        self.event = event


def _check_events(events: Sequence[EventIn], now: dt.datetime) -> None:
    if not events:
        raise IngestError(_("没有事件。"), code="empty")
    if len(events) > BATCH_MAX:
        raise IngestError(
            _("一次最多上传 %(n)d 条事件。") % {"n": BATCH_MAX}, code="batch_too_large"
        )
    for e in events:
        if not e.key or len(e.key) > EVENT_KEY_MAX:
            raise IngestError(_("事件编号应为 1–64 个字符。"), code="event_id", event=e.key)
        if timezone.is_naive(e.at):
            raise ValueError("event times must be timezone-aware")
        if e.at > now + FUTURE_SLACK:
            raise IngestError(
                _("事件时间 %(at)s 晚于现在，请校准设备时钟。")
                % {"at": timezone.localtime(e.at).isoformat()},
                code="future_time",
                event=e.key,
            )
        if e.method not in AccessMethod.values:
            raise IngestError(_("不支持的通行方式。"), code="method", event=e.key)
        if e.method == AccessMethod.FACE and e.credential:
            raise IngestError(_("人脸事件不带凭证号。"), code="face_credential", event=e.key)
        if e.method != AccessMethod.FACE and (not e.credential or e.person_id is not None):
            raise IngestError(
                _("刷卡、密码、二维码事件要有凭证号，且不带人员编号。"),
                code="credential",
                event=e.key,
            )


def _residents_of(estate: Estate, person_ids: set[int]) -> set[int]:
    if not person_ids:
        return set()
    return set(
        Ownership.objects.filter(person_id__in=person_ids, dwelling__estate=estate).values_list(
            "person_id", flat=True
        )
    ) | set(
        Residency.objects.filter(person_id__in=person_ids, dwelling__estate=estate).values_list(
            "person_id", flat=True
        )
    )


def _face_people(estate: Estate, events: Sequence[EventIn]) -> tuple[set[int], set[int]]:
    """The matched faces' people who live in or own the estate, and those who once held a
    credential here but no longer do (their faces are still enrolled: flagged as revoked).
    Anyone else is refused: the device's person id is wrong."""
    wanted = {e.person_id for e in events if e.person_id is not None}
    residents = _residents_of(estate, wanted)
    former = set(
        AccessCredential.objects.filter(
            estate=estate, person_id__in=wanted - residents
        ).values_list("person_id", flat=True)
    )
    for e in events:
        if e.person_id is not None and e.person_id not in residents | former:
            raise IngestError(
                _("人员编号 %(id)s 不是本小区的居民。") % {"id": e.person_id},
                code="unknown_person",
                event=e.key,
            )
    return residents, former


def _credentials_by_digest(
    estate: Estate, events: Sequence[EventIn]
) -> dict[tuple[str, str], AccessCredential]:
    """For each (kind, digest) presented, the live credential, else the latest revoked one."""
    wanted = {
        (e.method, credential_digest(e.method, e.credential))
        for e in events
        if e.method != AccessMethod.FACE
    }
    if not wanted:
        return {}
    found: dict[tuple[str, str], AccessCredential] = {}
    rows = AccessCredential.objects.filter(
        estate=estate, digest__in={d for _k, d in wanted}
    ).order_by("revoked_at")
    for c in rows:
        pair = (c.kind, c.digest)
        if pair not in wanted:
            continue
        best = found.get(pair)
        # Live first (revoked_at None), then the most recently revoked.
        if best is None or (
            best.revoked_at is not None and (c.revoked_at is None or c.revoked_at > best.revoked_at)
        ):
            found[pair] = c
    return found


def _held(credentials: list[AccessCredential]) -> set[int]:
    """The live credentials among ``credentials`` whose person still owns or lives in the
    dwelling."""
    live = [c.pk for c in credentials if c.revoked_at is None]
    if not live:
        return set()
    return set(
        AccessCredential.objects.filter(pk__in=live)
        .exclude(moved_out_q())
        .values_list("pk", flat=True)
    )


def _hours_note(point: AccessPoint) -> str:
    assert point.opens_at is not None and point.closes_at is not None
    return _("开放时间 %(opens)s–%(closes)s") % {
        "opens": point.opens_at.strftime("%H:%M"),
        "closes": point.closes_at.strftime("%H:%M"),
    }


def events_ingest(
    *, device: AccessDevice, events: Sequence[EventIn], now: dt.datetime | None = None
) -> IngestResult:
    """Store a live device's events once each and flag their anomalies, all or nothing.

    Replays (an event id the device sent before, or twice in one post) are reported as
    duplicates; events older than the retention period are not stored (``expired``). A face
    event's person must live in or own the estate (or have held a credential here: flagged
    as revoked); a presented credential whose person moved out is revoked at once.
    """
    now = now or timezone.now()
    _check_events(events, now)
    point = device.point
    estate = point.estate
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return _ingest(device, point, estate, events, now)
        except IntegrityError:
            # Another post of the same events won the race: the retry sees them as stored.
            continue
    raise IngestError(_("存储冲突，请稍后重试。"), code="conflict")


def _flags(
    e: EventIn,
    credential: AccessCredential | None,
    point: AccessPoint,
    *,
    former: set[int],
    moved_out: set[int],
) -> list[tuple[str, str]]:
    """The anomalies of one event found on its own: an unknown or revoked credential, a face
    still enrolled after its person moved out, an unknown face let in, a pass outside the
    point's hours. (One credential at two points needs the others: ``_two_points``.)"""
    found: list[tuple[str, str]] = []
    face = e.method == AccessMethod.FACE
    if credential is None and not face:
        tail = credential_tail(e.method, e.credential)
        note = _("未登记的%(kind)s") % {"kind": AccessMethod(e.method).label}
        found.append((AnomalyKind.UNKNOWN, f"{note} ****{tail}" if tail else note))
    elif credential is not None and (
        credential.revoked_at is not None or credential.pk in moved_out
    ):
        reason = credential.revoke_reason if credential.revoked_at else moved_out_reason()
        found.append((AnomalyKind.REVOKED, _("凭证已注销（%(reason)s）") % {"reason": reason}))
    elif face and e.person_id is not None and e.person_id in former:
        found.append((AnomalyKind.REVOKED, _("已迁出人员的人脸仍在设备中，请从设备删除")))
    elif face and e.person_id is None and e.granted:
        found.append((AnomalyKind.UNKNOWN, _("未识别的人脸被放行")))
    if e.granted and watch.outside_hours(
        timezone.localtime(e.at).time(), point.opens_at, point.closes_at
    ):
        found.append((AnomalyKind.OUTSIDE_HOURS, _hours_note(point)))
    return found


def _ingest(
    device: AccessDevice,
    point: AccessPoint,
    estate: Estate,
    events: Sequence[EventIn],
    now: dt.datetime,
) -> IngestResult:
    # The estate's posts one at a time: anomalies across two gates see each other.
    Estate.objects.select_for_update().filter(pk=estate.pk).first()
    result = IngestResult()
    seen = set(
        AccessEvent.objects.filter(
            device=device, event_key__in={e.key for e in events}
        ).values_list("event_key", flat=True)
    )
    cutoff = now - retention()
    fresh: list[EventIn] = []
    for e in events:
        if e.key in seen:
            result.duplicates.append(e.key)
        elif e.at < cutoff:
            result.expired.append(e.key)
            seen.add(e.key)
        else:
            fresh.append(e)
            seen.add(e.key)
    residents, former = _face_people(estate, fresh)
    credentials = _credentials_by_digest(estate, fresh)
    held = _held(list(credentials.values()))
    moved_out = {c.pk for c in credentials.values() if c.revoked_at is None} - held
    # A face matched to someone whose residency ended: their live credentials go too.
    moved_out |= set(
        AccessCredential.objects.filter(estate=estate, person_id__in=former)
        .filter(moved_out_q())
        .values_list("pk", flat=True)
    )
    rows: list[AccessEvent] = []
    flags: list[tuple[int, str, str]] = []  # (row index, kind, note)
    for e in fresh:
        credential = None
        person_id = e.person_id
        if e.method != AccessMethod.FACE:
            credential = credentials.get((e.method, credential_digest(e.method, e.credential)))
            person_id = credential.person_id if credential is not None else None
        flags += [
            (len(rows), kind, note)
            for kind, note in _flags(e, credential, point, former=former, moved_out=moved_out)
        ]
        rows.append(
            AccessEvent(
                point=point,
                device=device,
                event_key=e.key,
                method=e.method,
                credential=credential,
                person_id=person_id,
                granted=e.granted,
                at=e.at,
                received_at=now,
            )
        )
    if rows:
        AccessEvent.objects.bulk_create(rows)
        result.stored = [r.event_key for r in rows]
    pairs = _two_points(estate, point, rows)
    anomalies = [
        AccessAnomaly(event=rows[i], kind=kind, note=note[:200]) for i, kind, note in flags
    ]
    by_pk = {r.pk: r for r in rows}
    for new_pk, (other_pk, note) in pairs.items():
        anomalies.append(
            AccessAnomaly(
                event=by_pk[new_pk], kind=AnomalyKind.TWO_GATES, other_event_id=other_pk, note=note
            )
        )
    AccessAnomaly.objects.bulk_create(anomalies)
    result.anomalies = len(anomalies)
    if moved_out:
        AccessCredential.objects.filter(pk__in=moved_out, revoked_at=None).update(
            revoked_at=now, revoke_reason=moved_out_reason()
        )
    AccessDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
    return result


def _two_points(
    estate: Estate, point: AccessPoint, rows: list[AccessEvent]
) -> dict[int, tuple[int, str]]:
    """The new events whose person passed another point of the same kind within the window:
    ``{event pk: (other event pk, note)}``."""
    people = {r.person_id for r in rows if r.person_id is not None}
    if not people:
        return {}
    window = two_points_window()
    low = min(r.at for r in rows) - window
    high = max(r.at for r in rows) + window
    new_pks = {r.pk for r in rows}
    known = list(
        AccessEvent.objects.filter(
            point__estate=estate, person_id__in=people, at__gte=low, at__lte=high
        )
        .exclude(pk__in=new_pks)
        .select_related("point")
    )
    names: dict[Hashable, str] = {point.pk: point.name}
    names |= {k.point_id: k.point.name for k in known}
    at_of = {k.pk: k.at for k in known} | {r.pk: r.at for r in rows}
    point_of = {k.pk: k.point_id for k in known} | {r.pk: r.point_id for r in rows}
    found = watch.two_points(
        [watch.Pass(r.pk, r.person_id, r.point_id, point.kind, r.at) for r in rows],
        [watch.Pass(k.pk, k.person_id, k.point_id, k.point.kind, k.at) for k in known],
        window=window,
    )
    result: dict[int, tuple[int, str]] = {}
    for new_pk, other_pk in found.items():
        assert isinstance(new_pk, int) and isinstance(other_pk, int)
        seconds = int(abs((at_of[new_pk] - at_of[other_pk]).total_seconds()))
        result[new_pk] = (
            other_pk,
            _("%(other)s 与 %(this)s 相隔 %(s)d 秒")
            % {"other": names[point_of[other_pk]], "this": names[point_of[new_pk]], "s": seconds},
        )
    return result


# --- anomalies and retention --------------------------------------------------------------------


def anomaly_resolve(
    *, anomaly: AccessAnomaly, actor: Actor, now: dt.datetime | None = None
) -> AccessAnomaly:
    """Mark an anomaly handled (处理完毕)."""
    MANAGE_ACCESS.require(actor, anomaly)
    now = now or timezone.now()
    with transaction.atomic():
        if not AccessAnomaly.objects.filter(pk=anomaly.pk, resolved_at=None).update(
            resolved_at=now, resolved_by=actor
        ):
            raise DomainError(_("这条异常已经处理过了。"), code="resolved")
        audit_record(
            actor=actor,
            action="stewardship.access_anomaly_resolve",
            obj=anomaly,
            after={"resolved_at": now.isoformat()},
        )
    anomaly.refresh_from_db()
    return anomaly


PURGE_CHUNK = 5000


def events_purge(*, now: dt.datetime | None = None, days: int | None = None) -> dict[str, int]:
    """Delete the access events older than the retention period (``days``, by default
    ``XIAOQU_ACCESS_RETENTION_DAYS``) with their anomalies, in chunks; idempotent."""
    now = now or timezone.now()
    keep = dt.timedelta(days=days) if days is not None else retention()
    if keep <= dt.timedelta(0):
        raise DomainError(_("保留天数应为正数。"), code="days")
    cutoff = now - keep
    done = {"events": 0, "anomalies": 0}
    while True:
        with transaction.atomic():
            ids = list(
                AccessEvent.objects.filter(at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:PURGE_CHUNK]
            )
            if not ids:
                return done
            done["anomalies"] += AccessAnomaly.objects.filter(event_id__in=ids).delete()[0]
            AccessAnomaly.objects.filter(other_event_id__in=ids).update(other_event=None)
            deleted = AccessEvent.objects.filter(pk__in=ids).delete()[1]
            done["events"] += deleted.get(AccessEvent._meta.label, 0)
