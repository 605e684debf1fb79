"""Access control (stewardship.services.access): points, devices with keys kept as digests,
residents' credentials kept as keyed digests that follow their residency, the events devices
post (stored once, with their anomalies), and the retention of events."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_person, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Ownership, Residency
from xiaoqu.stewardship.models import (
    AccessAnomaly,
    AccessCredential,
    AccessDevice,
    AccessEvent,
    AccessPoint,
)
from xiaoqu.stewardship.services import access
from xiaoqu.stewardship.services.access import EventIn, IngestError

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def ago(seconds: float) -> dt.datetime:
    return NOW - dt.timedelta(seconds=seconds)


@pytest.fixture
def estate():
    return make_estate(name="四通街8号院落", buildings=1, entrances=2, floors=2, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("property_manager", estate=estate, password=None)


@pytest.fixture
def home(estate):
    return estate.dwellings.order_by("pk").first()


@pytest.fixture
def owner(home):
    return make_owner(home, "张三")


@pytest.fixture
def east(estate, staff):
    return access.point_add(estate=estate, name="东门", kind="gate", actor=staff)


@pytest.fixture
def west(estate, staff):
    return access.point_add(estate=estate, name="西门", kind="gate", actor=staff)


@pytest.fixture
def device(east, staff):
    return access.device_add(point=east, name="东门读卡器", actor=staff)[0]


@pytest.fixture
def west_device(west, staff):
    return access.device_add(point=west, name="西门读卡器", actor=staff)[0]


@pytest.fixture
def card(estate, owner, home, staff):
    credential, _ = access.credential_issue(
        estate=estate, person=owner, dwelling=home, kind="card", value="0a:1b:2c:3d", actor=staff
    )
    return credential


def swipe(key, at, value="0A1B2C3D", granted=True, method="card") -> EventIn:
    return EventIn(key=key, at=at, method=method, granted=granted, credential=value)


def face(key, at, person_id=None, granted=True) -> EventIn:
    return EventIn(key=key, at=at, method="face", granted=granted, person_id=person_id)


def kinds(event_key: str) -> set[str]:
    return set(
        AccessAnomaly.objects.filter(event__event_key=event_key).values_list("kind", flat=True)
    )


# --- points and devices -----------------------------------------------------------------------


def test_a_point_has_hours_or_none(estate, staff):
    night = access.point_add(
        estate=estate,
        name="夜间侧门",
        kind="gate",
        opens_at=dt.time(20),
        closes_at=dt.time(2),
        actor=staff,
    )
    assert (night.opens_at, night.closes_at) == (dt.time(20), dt.time(2))
    for opens, closes in ((dt.time(6), None), (dt.time(6), dt.time(6))):
        with pytest.raises(DomainError) as error:
            access.point_add(
                estate=estate,
                name="坏门",
                kind="gate",
                opens_at=opens,
                closes_at=closes,
                actor=staff,
            )
        assert error.value.code == "hours"
    assert AuditLog.objects.filter(action="stewardship.access_point_add").count() == 1


def test_a_points_entrance_must_be_of_the_estate_and_names_are_unique(estate, staff, east):
    foreign = make_estate().buildings.first().entrances.first()
    with pytest.raises(DomainError) as error:
        access.point_add(
            estate=estate, name="单元门", kind="entrance", entrance=foreign, actor=staff
        )
    assert error.value.code == "entrance"
    with pytest.raises(DomainError) as error:
        access.point_add(estate=estate, name="东门", kind="gate", actor=staff)
    assert error.value.code == "dup"


def test_a_device_key_is_shown_once_and_only_its_sha256_digest_is_kept(east, staff):
    device, key = access.device_add(point=east, name="东门读卡器", actor=staff)
    assert key.startswith("dev_") and len(key) > 40
    assert device.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in json.dumps(list(AccessDevice.objects.values()), default=str)
    assert access.device_for_key(key) == device
    assert access.device_for_key("dev_nobody") is None


def test_revoking_a_device_is_recorded_once(device, staff):
    access.device_revoke(device=device, actor=staff)
    access.device_revoke(device=device, actor=staff)
    assert device.revoked_at is not None
    assert AuditLog.objects.filter(action="stewardship.access_device_revoke").count() == 1


def test_people_outside_the_managing_side_add_no_points_or_devices(estate, east):
    street = make_user("street_staff", region=estate.community.parent, password=None)
    with pytest.raises(DomainError):
        access.point_add(estate=estate, name="北门", kind="gate", actor=street)
    with pytest.raises(DomainError):
        access.device_add(point=east, name="读卡器", actor=street)


# --- credentials ------------------------------------------------------------------------------


def test_a_card_is_kept_as_a_keyed_digest_and_its_last_four(card):
    """The number is normalised (no colons, capitals), never stored; the digest is an HMAC
    that another key would not give."""
    assert card.tail == "2C3D"
    assert card.digest == access.credential_digest("card", "0A1B2C3D")
    assert card.digest != access.credential_digest("card", "0A1B2C3D", key="another key")
    assert card.digest != hashlib.sha256(b"0A1B2C3D").hexdigest()
    stored = json.dumps(list(AccessCredential.objects.values()), default=str)
    assert "0A1B2C3D" not in stored and "0a:1b" not in stored
    assert str(card) == "门禁卡 ****2C3D"


def test_a_code_left_empty_is_generated_shown_once_and_keeps_no_tail(estate, owner, home, staff):
    credential, code = access.credential_issue(
        estate=estate, person=owner, dwelling=home, kind="code", actor=staff
    )
    assert code.isdigit() and len(code) == 6
    assert credential.tail == "" and credential.digest == access.credential_digest("code", code)
    qr, payload = access.credential_issue(
        estate=estate, person=owner, dwelling=home, kind="qr", actor=staff
    )
    assert len(payload) >= 20 and qr.tail == payload[-4:]


def test_a_credential_is_only_for_someone_who_owns_or_lives_in_the_dwelling(
    estate, home, owner, staff
):
    neighbour_home = estate.dwellings.order_by("pk").last()
    with pytest.raises(DomainError) as error:
        access.credential_issue(
            estate=estate,
            person=owner,
            dwelling=neighbour_home,
            kind="card",
            value="1234",
            actor=staff,
        )
    assert error.value.code == "person"
    other = make_estate().dwellings.first()
    with pytest.raises(DomainError) as error:
        access.credential_issue(
            estate=estate, person=owner, dwelling=other, kind="card", value="1234", actor=staff
        )
    assert error.value.code == "dwelling"
    tenant = make_person("租户")
    Residency.objects.create(person=tenant, dwelling=neighbour_home, relation="tenant")
    credential, _ = access.credential_issue(
        estate=estate,
        person=tenant,
        dwelling=neighbour_home,
        kind="card",
        value="5678",
        actor=staff,
    )
    assert credential.person == tenant


@pytest.mark.parametrize(
    ("kind", "value"),
    [("card", "12"), ("card", "卡号"), ("code", "12ab"), ("qr", "short"), ("card", "")],
)
def test_bad_credential_values_are_refused(estate, owner, home, staff, kind, value):
    with pytest.raises(DomainError) as error:
        access.credential_issue(
            estate=estate, person=owner, dwelling=home, kind=kind, value=value, actor=staff
        )
    assert error.value.code == "value"
    assert not AccessCredential.objects.exists()


def test_a_live_card_number_is_taken_until_it_is_revoked(estate, owner, home, staff, card):
    with pytest.raises(DomainError) as error:
        access.credential_issue(
            estate=estate, person=owner, dwelling=home, kind="card", value="0A1B2C3D", actor=staff
        )
    assert error.value.code == "taken"
    access.credential_revoke(credential=card, reason="遗失", actor=staff)
    again, _ = access.credential_issue(
        estate=estate, person=owner, dwelling=home, kind="card", value="0A1B2C3D", actor=staff
    )
    assert again.revoked_at is None
    with pytest.raises(DomainError) as error:
        access.credential_revoke(credential=card, reason="再注销", actor=staff)
    assert error.value.code == "revoked"


def test_the_sweep_revokes_the_credentials_of_people_who_moved_out(
    estate, owner, home, staff, card
):
    """Access follows residency: once the person neither owns nor lives in the dwelling, the
    sweep revokes it (迁出); running it again changes nothing."""
    tenant = make_person("租户")
    other_home = estate.dwellings.order_by("pk").last()
    Residency.objects.create(person=tenant, dwelling=other_home, relation="tenant")
    tenant_card, _ = access.credential_issue(
        estate=estate,
        person=tenant,
        dwelling=other_home,
        kind="card",
        value="99990001",
        actor=staff,
    )
    assert access.credentials_sweep() == 0
    Ownership.objects.filter(person=owner).delete()
    assert access.credentials_sweep() == 1
    assert access.credentials_sweep() == 0
    card.refresh_from_db()
    tenant_card.refresh_from_db()
    assert card.revoked_at is not None and card.revoke_reason == "迁出"
    assert tenant_card.revoked_at is None


def test_an_owner_who_still_lives_there_keeps_access_after_selling(estate, owner, home, card):
    Residency.objects.create(person=owner, dwelling=home, relation="tenant")
    Ownership.objects.filter(person=owner).delete()
    assert access.credentials_sweep() == 0


def test_the_sweep_from_the_page_is_for_one_estate_and_audited(estate, owner, staff, card):
    Ownership.objects.filter(person=owner).delete()
    assert access.credentials_sweep(estate=estate, actor=staff) == 1
    assert AuditLog.objects.get(action="stewardship.credentials_sweep").after["revoked"] == [
        card.pk
    ]


# --- ingest -----------------------------------------------------------------------------------


def test_events_are_stored_once_per_device_and_event_id(device, card):
    """A replay (the same post again, or the same id twice in one post) stores nothing new."""
    first = access.events_ingest(
        device=device, events=[swipe("1", ago(30)), swipe("2", ago(20))], now=NOW
    )
    assert first.stored == ["1", "2"] and first.duplicates == []
    again = access.events_ingest(
        device=device,
        events=[swipe("2", ago(20)), swipe("3", ago(10)), swipe("3", ago(10))],
        now=NOW,
    )
    assert again.stored == ["3"] and again.duplicates == ["2", "3"]
    assert AccessEvent.objects.count() == 3
    event = AccessEvent.objects.get(event_key="1")
    assert event.credential == card and event.person == card.person and event.granted
    device.refresh_from_db()
    assert device.last_seen_at == NOW


def test_another_device_may_use_the_same_event_ids(device, west_device, card):
    access.events_ingest(device=device, events=[swipe("1", ago(300))], now=NOW)
    result = access.events_ingest(device=west_device, events=[swipe("1", ago(200))], now=NOW)
    assert result.stored == ["1"] and AccessEvent.objects.count() == 2


def test_one_card_at_two_gates_a_minute_apart_is_flagged(device, west_device, card, settings):
    settings.XIAOQU_ACCESS_TWO_POINTS_SECONDS = 60
    access.events_ingest(device=device, events=[swipe("e", ago(100))], now=NOW)
    access.events_ingest(device=west_device, events=[swipe("w", ago(55))], now=NOW)
    access.events_ingest(device=west_device, events=[swipe("w2", ago(0))], now=NOW)
    assert kinds("w") == {"two_gates"} and kinds("e") == set() and kinds("w2") == set()
    anomaly = AccessAnomaly.objects.get()
    assert anomaly.other_event.event_key == "e"
    assert "东门" in anomaly.note and "西门" in anomaly.note and "45" in anomaly.note


def test_the_window_is_configurable(device, west_device, card, settings):
    settings.XIAOQU_ACCESS_TWO_POINTS_SECONDS = 300
    access.events_ingest(device=device, events=[swipe("e", ago(250))], now=NOW)
    access.events_ingest(device=west_device, events=[swipe("w", ago(0))], now=NOW)
    assert kinds("w") == {"two_gates"}


def test_the_gate_then_the_entrance_door_is_not_an_anomaly(estate, staff, device, card):
    door = access.point_add(
        estate=estate,
        name="1单元门",
        kind="entrance",
        entrance=estate.buildings.first().entrances.first(),
        actor=staff,
    )
    door_device, _ = access.device_add(point=door, name="1单元读卡器", actor=staff)
    access.events_ingest(device=device, events=[swipe("g", ago(30))], now=NOW)
    access.events_ingest(device=door_device, events=[swipe("d", ago(10))], now=NOW)
    assert not AccessAnomaly.objects.exists()


def test_the_same_person_by_card_and_by_face_at_two_gates_is_flagged(
    device, west_device, card, owner
):
    """A lent card: its owner's face at one gate, the card at the other, seconds apart."""
    access.events_ingest(device=device, events=[swipe("c", ago(20))], now=NOW)
    access.events_ingest(device=west_device, events=[face("f", ago(10), owner.pk)], now=NOW)
    assert kinds("f") == {"two_gates"}


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_a_pass_outside_the_points_hours_is_flagged_a_refusal_is_not(estate, staff, card):
    gate = access.point_add(
        estate=estate,
        name="侧门",
        kind="gate",
        opens_at=dt.time(6),
        closes_at=dt.time(22),
        actor=staff,
    )
    reader, _ = access.device_add(point=gate, name="侧门读卡器", actor=staff)
    night = timezone.make_aware(dt.datetime.combine(timezone.localdate(NOW), dt.time(23, 30)))
    noon = night.replace(hour=12)
    access.events_ingest(
        device=reader,
        events=[
            swipe("night", night - dt.timedelta(days=1)),
            swipe("refused", night - dt.timedelta(days=1, minutes=5), granted=False),
            swipe("noon", noon - dt.timedelta(days=1)),
        ],
        now=NOW,
    )
    assert kinds("night") == {"outside_hours"} and kinds("refused") == kinds("noon") == set()
    assert "06:00–22:00" in AccessAnomaly.objects.get().note


def test_an_unknown_card_is_stored_without_a_person_and_flagged_with_its_tail(device):
    access.events_ingest(device=device, events=[swipe("u", ago(5), value="DEADBEEF9876")], now=NOW)
    event = AccessEvent.objects.get()
    assert event.credential is None and event.person is None
    assert kinds("u") == {"unknown"} and "****9876" in AccessAnomaly.objects.get().note


def test_a_revoked_card_is_flagged(device, card, staff):
    access.credential_revoke(credential=card, reason="遗失", actor=staff)
    access.events_ingest(device=device, events=[swipe("r", ago(5))], now=NOW)
    assert kinds("r") == {"revoked"} and "遗失" in AccessAnomaly.objects.get().note
    assert AccessEvent.objects.get().credential == card


def test_a_card_of_someone_who_moved_out_is_revoked_at_once(device, card, owner):
    """No sweep has run yet: the event itself finds the person gone, flags it and revokes."""
    Ownership.objects.filter(person=owner).delete()
    access.events_ingest(device=device, events=[swipe("m", ago(5))], now=NOW)
    card.refresh_from_db()
    assert card.revoked_at == NOW and card.revoke_reason == "迁出"
    assert kinds("m") == {"revoked"}


def test_a_face_match_is_a_person_of_the_estate_or_unknown(device, owner, card):
    result = access.events_ingest(
        device=device,
        events=[
            face("f1", ago(30), owner.pk),
            face("f2", ago(20)),
            face("f3", ago(10), None, False),
        ],
        now=NOW,
    )
    assert result.stored == ["f1", "f2", "f3"]
    assert AccessEvent.objects.get(event_key="f1").person == owner
    assert AccessEvent.objects.get(event_key="f2").person is None
    # An unknown face let in is flagged; one refused is the gate doing its job.
    assert kinds("f1") == set() and kinds("f2") == {"unknown"} and kinds("f3") == set()


def test_a_face_match_of_someone_not_of_the_estate_refuses_the_whole_post(device, card):
    stranger = make_person("外人")
    with pytest.raises(IngestError) as error:
        access.events_ingest(
            device=device,
            events=[swipe("ok", ago(30)), face("bad", ago(20), stranger.pk)],
            now=NOW,
        )
    assert error.value.code == "unknown_person" and error.value.event == "bad"
    assert not AccessEvent.objects.exists()


def test_a_face_still_enrolled_after_moving_out_is_flagged_and_their_cards_revoked(
    device, owner, card
):
    Ownership.objects.filter(person=owner).delete()
    access.events_ingest(device=device, events=[face("f", ago(5), owner.pk)], now=NOW)
    assert kinds("f") == {"revoked"}
    card.refresh_from_db()
    assert card.revoked_at is not None


def test_events_from_the_future_are_refused_a_little_clock_skew_is_not(device, card):
    access.events_ingest(
        device=device, events=[swipe("skew", NOW + dt.timedelta(minutes=4))], now=NOW
    )
    with pytest.raises(IngestError) as error:
        access.events_ingest(
            device=device,
            events=[swipe("ok", ago(1)), swipe("late", NOW + dt.timedelta(hours=1))],
            now=NOW,
        )
    assert error.value.code == "future_time" and error.value.event == "late"
    assert AccessEvent.objects.count() == 1


def test_events_older_than_the_retention_period_are_not_stored(device, card, settings):
    settings.XIAOQU_ACCESS_RETENTION_DAYS = 30
    result = access.events_ingest(
        device=device,
        events=[swipe("old", NOW - dt.timedelta(days=31)), swipe("new", ago(5))],
        now=NOW,
    )
    assert result.expired == ["old"] and result.stored == ["new"]


def test_a_post_has_at_most_500_events(device, card):
    events = [swipe(str(i), ago(i)) for i in range(501)]
    with pytest.raises(IngestError) as error:
        access.events_ingest(device=device, events=events, now=NOW)
    assert error.value.code == "batch_too_large"
    assert access.events_ingest(device=device, events=events[:500], now=NOW).stored


def test_card_events_need_a_credential_and_face_events_none(device):
    for bad in (
        EventIn(key="a", at=ago(1), method="card", granted=True),
        EventIn(key="b", at=ago(1), method="face", granted=True, credential="1234"),
        EventIn(key="c", at=ago(1), method="card", granted=True, credential="1234", person_id=1),
        EventIn(key="d", at=ago(1), method="palm", granted=True, credential="1234"),
    ):
        with pytest.raises(IngestError):
            access.events_ingest(device=device, events=[bad], now=NOW)
    assert not AccessEvent.objects.exists()


def _at_once(*jobs):
    """Run the jobs in two threads released together; their results in job order."""
    results: list = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(i, job):
        try:
            barrier.wait()
            results[i] = job()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_post_sent_twice_at_once_is_stored_once(device, card):
    batch = [swipe(str(i), ago(60 - i)) for i in range(20)]
    results = _at_once(
        lambda: access.events_ingest(device=device, events=batch, now=NOW),
        lambda: access.events_ingest(device=device, events=batch, now=NOW),
    )
    assert sorted(len(r.stored) for r in results) == [0, 20]
    assert sorted(len(r.duplicates) for r in results) == [0, 20]
    assert AccessEvent.objects.count() == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_gates_posting_at_once_still_see_each_other(device, west_device, card):
    """The estate's posts are taken one at a time, so a card at both gates within the minute
    is flagged once, whichever post comes second."""
    _at_once(
        lambda: access.events_ingest(device=device, events=[swipe("e", ago(30))], now=NOW),
        lambda: access.events_ingest(device=west_device, events=[swipe("w", ago(20))], now=NOW),
    )
    assert AccessAnomaly.objects.filter(kind="two_gates").count() == 1


# --- anomalies and retention ------------------------------------------------------------------


def test_staff_mark_an_anomaly_handled_once(device, staff):
    access.events_ingest(device=device, events=[swipe("u", ago(5), value="FFFF0000")], now=NOW)
    anomaly = AccessAnomaly.objects.get()
    access.anomaly_resolve(anomaly=anomaly, actor=staff)
    assert anomaly.resolved_by == staff and anomaly.resolved_at is not None
    with pytest.raises(DomainError):
        access.anomaly_resolve(anomaly=anomaly, actor=staff)
    resident = make_user(person=make_person("居民"), password=None)
    with pytest.raises(DomainError):
        access.anomaly_resolve(anomaly=anomaly, actor=resident)


def test_purge_deletes_events_older_than_the_retention_with_their_anomalies(
    device, west_device, card, settings
):
    settings.XIAOQU_ACCESS_RETENTION_DAYS = 90
    access.events_ingest(
        device=device,
        events=[
            swipe("old", NOW - dt.timedelta(days=89, hours=23)),
            swipe("x", ago(100), value="FFFF0001"),
        ],
        now=NOW,
    )
    access.events_ingest(
        device=west_device,
        events=[swipe("old-w", NOW - dt.timedelta(days=89, hours=23) + dt.timedelta(seconds=30))],
        now=NOW,
    )
    assert AccessAnomaly.objects.count() == 2  # the unknown card, and two gates
    later = NOW + dt.timedelta(hours=2)
    done = access.events_purge(now=later)
    assert done == {"events": 2, "anomalies": 1}
    assert list(AccessEvent.objects.values_list("event_key", flat=True)) == ["x"]
    assert list(AccessAnomaly.objects.values_list("kind", flat=True)) == ["unknown"]
    assert access.events_purge(now=later) == {"events": 0, "anomalies": 0}


def test_purge_with_fewer_days(device, card):
    access.events_ingest(device=device, events=[swipe("a", ago(3 * 86400))], now=NOW)
    assert access.events_purge(now=NOW, days=2)["events"] == 1
    with pytest.raises(DomainError):
        access.events_purge(now=NOW, days=0)


# --- the command ------------------------------------------------------------------------------


def test_the_device_command_prints_the_key_as_its_last_line(east):
    out = StringIO()
    call_command(
        "access",
        "device",
        "--point",
        str(east.pk),
        "--name",
        "东门读卡器",
        stdout=out,
        stderr=StringIO(),
    )
    lines = out.getvalue().strip().splitlines()
    key = lines[-1]
    device = AccessDevice.objects.get()
    assert json.loads(lines[0])["device"] == device.pk
    assert device.digest == hashlib.sha256(key.encode()).hexdigest()
    call_command("access", "revoke", "--device", str(device.pk), stdout=StringIO())
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_the_device_command_refuses_an_unknown_point():
    with pytest.raises(CommandError):
        call_command("access", "device", "--point", "999999", "--name", "x", stdout=StringIO())
    assert not AccessPoint.objects.exists()


def test_the_sweep_and_purge_commands_print_json(device, card, owner):
    Ownership.objects.filter(person=owner).delete()
    out = StringIO()
    call_command("access", "sweep", stdout=out)
    assert json.loads(out.getvalue()) == {"revoked": 1}
    out = StringIO()
    call_command("access", "purge", "--days", "30", stdout=out)
    assert json.loads(out.getvalue()) == {"events": 0, "anomalies": 0}
