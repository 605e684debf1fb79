"""Queueing and sending notifications: idempotent keys, each person's choices, skipped rows
that say why, the memory backends, failures recorded and retried, never raised."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError
from django.utils import timezone

from tests.factories import make_estate, make_person, make_user
from xiaoqu.notify.channels import MemorySmsBackend, MemoryWechatBackend, Message, Outcome
from xiaoqu.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
    SkipReason,
)
from xiaoqu.notify.selectors import Recipient, recent_for, unread_for
from xiaoqu.notify.services import (
    MAX_ATTEMPTS,
    deliveries_send,
    delivery_report,
    notify_send,
)

pytestmark = pytest.mark.django_db


def send(recipients, key="test:1", kind=Kind.VOTE_OPEN, **kwargs):
    return notify_send(
        recipients=recipients,
        kind=kind,
        key=key,
        title="业主表决开始",
        body="请在周五前投票。",
        url="/decisions/votes/1/ballot/",
        **kwargs,
    )


def rows(person=None, user=None):
    """{channel: (status, reason)} of the one notification of a recipient."""
    n = Notification.objects.get(**({"person": person} if person else {"user": user}))
    return {d.channel: (d.status, d.reason) for d in n.deliveries.all()}


def test_a_person_with_a_login_gets_the_inbox_and_an_sms_wechat_unbound():
    """Without any choice made: in-app delivered, SMS queued to the login's phone, WeChat
    skipped as not bound."""
    person = make_person("王芳")
    user = make_user(person=person)
    assert send([person]) == 1
    n = Notification.objects.get()
    assert (n.person_id, n.user_id) == (person.pk, user.pk)
    assert rows(person=person) == {
        Channel.INAPP: (DeliveryStatus.DELIVERED, ""),
        Channel.SMS: (DeliveryStatus.QUEUED, ""),
        Channel.WECHAT: (DeliveryStatus.SKIPPED, SkipReason.WECHAT_UNBOUND),
    }
    assert Delivery.objects.get(channel=Channel.SMS).address == user.phone


def test_the_same_key_never_reaches_the_same_recipient_twice():
    """Calling again with the same key adds only recipients who were not there before."""
    a, b = make_person("甲"), make_person("乙")
    assert send([a]) == 1
    assert send([a, b]) == 1
    assert send([a, b]) == 0
    assert Notification.objects.count() == 2
    assert Delivery.objects.count() == 6
    assert send([a], key="test:2") == 1


def test_a_person_named_twice_or_through_their_login_is_one_recipient():
    """A person, their login, and a Recipient of either are the same recipient."""
    person = make_person()
    user = make_user(person=person)
    created = send([person, user, Recipient(person_id=person.pk), Recipient(user_id=user.pk)])
    assert created == 1
    assert Notification.objects.get().user_id == user.pk


def test_a_login_without_a_person_is_its_own_recipient():
    staff = make_user()
    assert send([Recipient(user_id=staff.pk)]) == 1
    assert rows(user=staff)[Channel.INAPP] == (DeliveryStatus.DELIVERED, "")
    assert send([staff]) == 0


def test_a_person_without_a_login_is_kept_for_when_they_have_one():
    """No login: the in-app row says so; the SMS goes to the register's phone."""
    person = make_person(phone="13912345678")
    send([person])
    assert rows(person=person)[Channel.INAPP] == (DeliveryStatus.SKIPPED, SkipReason.NO_LOGIN)
    assert Delivery.objects.get(channel=Channel.SMS).address == "13912345678"
    later = make_user(person=person)
    assert [n.title for n in unread_for(later)] == ["业主表决开始"]


@pytest.mark.parametrize(
    ("choice", "sms", "wechat"),
    [
        ({"opted_out": True}, SkipReason.OPTED_OUT, SkipReason.OPTED_OUT),
        ({"sms": False}, SkipReason.SMS_OFF, ""),
        ({"wechat": False}, "", SkipReason.WECHAT_OFF),
    ],
)
def test_each_persons_choice_decides_sms_and_wechat(choice, sms, wechat):
    """Opted out: neither; SMS off: no SMS; WeChat off though bound: no WeChat."""
    person = make_person()
    Preference.objects.create(person=person, **{"wechat": True, "wechat_openid": "oA1", **choice})
    send([person])
    got = rows(person=person)
    assert got[Channel.SMS] == (
        (DeliveryStatus.SKIPPED, sms) if sms else (DeliveryStatus.QUEUED, "")
    )
    assert got[Channel.WECHAT] == (
        (DeliveryStatus.SKIPPED, wechat) if wechat else (DeliveryStatus.QUEUED, "")
    )


def test_reminders_turned_off_stop_sms_and_wechat_reminders_only():
    person = make_person()
    make_user(person=person)
    Preference.objects.create(person=person, reminders=False, wechat=True, wechat_openid="oX")
    send([person], key="vote:1:reminder", kind=Kind.VOTE_REMINDER)
    send([person], key="vote:1:open", kind=Kind.VOTE_OPEN)
    reminder = Notification.objects.get(key="vote:1:reminder")
    assert {d.channel: d.reason for d in reminder.deliveries.all()} == {
        Channel.INAPP: "",
        Channel.SMS: SkipReason.NO_REMINDERS,
        Channel.WECHAT: SkipReason.NO_REMINDERS,
    }
    opened = Notification.objects.get(key="vote:1:open")
    assert opened.deliveries.filter(status=DeliveryStatus.QUEUED).count() == 2


def test_missing_or_bad_phones_are_skipped_with_the_reason():
    no_phone, bad = make_person(), make_person()
    no_phone.phone = ""
    no_phone.save()
    bad.phone = "0851-123"
    bad.save()
    send([no_phone, bad])
    assert rows(person=no_phone)[Channel.SMS][1] == SkipReason.NO_PHONE
    assert rows(person=bad)[Channel.SMS][1] == SkipReason.BAD_PHONE


def test_a_kind_that_does_not_use_sms_says_so():
    person = make_person()
    send([person], channels=(Channel.WECHAT,))
    assert rows(person=person)[Channel.SMS] == (DeliveryStatus.SKIPPED, SkipReason.NOT_FOR_KIND)


def test_queueing_many_recipients_takes_bulk_queries(django_assert_max_num_queries):
    """Recipients are handled in chunks of bulk queries, never one query per person (SQLite
    inserts at most 999 values a statement, so a hundred or so rows each)."""
    from xiaoqu.registry.models import Person

    people = Person.objects.bulk_create(
        Person(name=f"业主{i}", phone=f"137{i:08d}") for i in range(1200)
    )
    with django_assert_max_num_queries(80):
        assert send([Recipient(person_id=p.pk) for p in people]) == 1200
    assert Delivery.objects.filter(status=DeliveryStatus.QUEUED).count() == 1200


def test_sending_goes_through_the_memory_backends_with_absolute_links():
    person = make_person(phone="13912345678")
    Preference.objects.create(person=person, wechat=True, wechat_openid="oWX42")
    send([person])
    report = deliveries_send()
    assert report == {"sent": 1, "delivered": 1, "failed": 0, "skipped": 0, "more": False}
    [sms] = MemorySmsBackend.outbox
    assert sms.address == "13912345678"
    assert sms.url == "https://xiaoqu.example.cn/decisions/votes/1/ballot/"
    assert "请在周五前投票" in sms.text()
    [wx] = MemoryWechatBackend.outbox
    assert wx.address == "oWX42"
    by_channel = {d.channel: d for d in Delivery.objects.all()}
    assert by_channel[Channel.SMS].status == DeliveryStatus.SENT
    assert by_channel[Channel.SMS].sent_at is not None
    assert by_channel[Channel.SMS].attempts == 1
    assert by_channel[Channel.WECHAT].status == DeliveryStatus.DELIVERED
    assert by_channel[Channel.WECHAT].delivered_at is not None
    assert deliveries_send()["sent"] == 0  # nothing twice


class ExplodingSms:
    def send(self, message: Message) -> Outcome:
        raise ConnectionError("gateway unreachable")


def test_a_failing_gateway_is_recorded_retried_and_never_raised():
    """A backend that raises: the delivery is failed with the reason, tried again after a
    wait, and given up after MAX_ATTEMPTS."""
    send([make_person()])
    now = timezone.now()
    report = deliveries_send(now=now, backends={Channel.SMS: ExplodingSms()})
    assert report["failed"] == 1
    d = Delivery.objects.get(channel=Channel.SMS)
    assert d.status == DeliveryStatus.FAILED
    assert "gateway unreachable" in d.reason
    assert d.attempts == 1 and d.next_attempt_at > now
    assert deliveries_send(now=now, backends={Channel.SMS: ExplodingSms()})["failed"] == 0
    later = now
    for _attempt in range(MAX_ATTEMPTS - 1):
        later += dt.timedelta(hours=2)
        deliveries_send(now=later, backends={Channel.SMS: ExplodingSms()})
    d.refresh_from_db()
    assert d.attempts == MAX_ATTEMPTS and d.next_attempt_at is None
    assert deliveries_send(now=later + dt.timedelta(days=1))["sent"] == 0


def test_a_refusal_is_recorded_and_a_retry_succeeds(settings):
    person = make_person(phone="13912345678")
    MemorySmsBackend.refuse.add("13912345678")
    send([person])
    now = timezone.now()
    deliveries_send(now=now)
    d = Delivery.objects.get(channel=Channel.SMS)
    assert (d.status, d.reason) == (DeliveryStatus.FAILED, "refused by the test gateway")
    MemorySmsBackend.refuse.clear()
    deliveries_send(now=now + dt.timedelta(hours=1))
    d.refresh_from_db()
    assert (d.status, d.attempts, d.reason) == (DeliveryStatus.SENT, 2, "")


def test_opting_out_after_queueing_stops_what_was_not_sent_yet():
    person = make_person()
    send([person])
    Preference.objects.create(person=person, opted_out=True)
    assert deliveries_send()["skipped"] == 1
    assert MemorySmsBackend.outbox == []
    assert rows(person=person)[Channel.SMS] == (DeliveryStatus.SKIPPED, SkipReason.OPTED_OUT)


def test_a_gateway_delivery_report_marks_the_message_delivered():
    send([make_person()])
    deliveries_send()
    d = Delivery.objects.get(channel=Channel.SMS)
    assert d.reference == "sms-1"
    assert delivery_report(channel=Channel.SMS, reference="sms-1", delivered=True)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.DELIVERED and d.delivered_at is not None
    assert not delivery_report(channel=Channel.SMS, reference="nope", delivered=True)


def test_a_database_error_while_queueing_is_logged_and_undone_without_raising(monkeypatch):
    """The caller's transaction goes on: the notification's savepoint alone is undone."""
    from django.db import transaction

    from xiaoqu.notify import services

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    estate = make_estate()
    with transaction.atomic():
        monkeypatch.setattr(services, "_insert", broken)
        assert send([make_person()]) == 0
        estate.name = "改过的名字"
        estate.save()
    estate.refresh_from_db()
    assert estate.name == "改过的名字"
    assert Notification.objects.count() == 0


def test_sending_is_queued_when_the_transaction_commits(django_capture_on_commit_callbacks):
    """The background task runs after commit (at once, with the tests' task backend)."""
    send([make_person(phone="13912345678")])
    assert MemorySmsBackend.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        send([make_person(phone="13912345679")], key="test:2")
    assert sorted(m.address for m in MemorySmsBackend.outbox) == ["13912345678", "13912345679"]


def test_unread_and_recent_for_a_user():
    person = make_person()
    user = make_user(person=person)
    send([person], key="a:1")
    send([user], key="a:2")
    assert unread_for(user).count() == 2
    assert [n.key for n in recent_for(user, 1)] == ["a:2"]
    other = make_user()
    assert unread_for(other).count() == 0
