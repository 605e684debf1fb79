"""Vote reminders: only the owners who have not voted, only inside the window before the
vote closes, once per owner; and the notices of a vote's opening and result."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_user, tiny_image
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions import services
from xiaoqu.decisions.services.reminders import vote_remind, vote_reminders_queue
from xiaoqu.notify.models import Channel, Delivery, DeliveryStatus, Kind, Notification, Preference

pytestmark = pytest.mark.django_db

JPEG = tiny_image("JPEG")


@pytest.fixture
def estate():
    """Six units, each with its own owner."""
    estate = make_estate(name="提醒小区", floors=3, per_floor=2)
    for i, dwelling in enumerate(estate.dwellings.order_by("pk")):
        make_owner(dwelling, f"业主{i}")
    return estate


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


def open_vote(estate, staff, *, opened_days_ago=10, closes_in_hours=24):
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=2,
        title="修改管理规约",
        opens_at=now - dt.timedelta(days=opened_days_ago),
        closes_at=now + dt.timedelta(hours=closes_in_hours),
        actor=staff,
    )
    return services.vote_open(vote=vote, actor=staff, now=now - dt.timedelta(days=opened_days_ago))


def cast(vote, staff, n):
    from django.core.files.uploadedfile import SimpleUploadedFile

    for elector in vote.electors.order_by("pk")[:n]:
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice="agree",
            channel="paper",
            actor=staff,
            scan=SimpleUploadedFile("b.jpg", JPEG, content_type="image/jpeg"),
        )


def reminded(vote):
    return Notification.objects.filter(key=f"vote:{vote.pk}:reminder")


def test_opening_a_vote_tells_every_owner_of_the_electorate(estate, staff):
    vote = open_vote(estate, staff)
    opened = Notification.objects.filter(key=f"vote:{vote.pk}:open")
    assert opened.count() == 6
    n = opened.first()
    assert n.kind == Kind.VOTE_OPEN and n.estate_id == estate.pk
    assert n.url == f"/decisions/votes/{vote.pk}/ballot/"
    assert "修改管理规约" in n.title


def test_reminders_go_only_to_owners_who_have_not_voted(estate, staff):
    vote = open_vote(estate, staff)
    cast(vote, staff, 2)
    assert vote_reminders_queue() == 4
    voted = set(vote.electors.filter(ballots__isnull=False).values_list("persons", flat=True))
    assert not reminded(vote).filter(person_id__in=voted).exists()
    n = reminded(vote).first()
    assert n.kind == Kind.VOTE_REMINDER
    assert "截止" in n.body


def test_reminders_are_sent_once(estate, staff):
    vote = open_vote(estate, staff)
    assert vote_reminders_queue() == 6
    assert vote_reminders_queue() == 0
    assert reminded(vote).count() == 6


def test_no_reminder_before_the_window_opens(estate, staff, settings):
    settings.XIAOQU_VOTE_REMINDER_HOURS = 48
    vote = open_vote(estate, staff, closes_in_hours=72)
    assert vote_reminders_queue() == 0
    later = timezone.now() + dt.timedelta(hours=25)
    assert vote_reminders_queue(now=later) == 6
    assert reminded(vote).count() == 6


def test_no_reminder_after_closing_or_for_a_closed_vote(estate, staff):
    vote = open_vote(estate, staff, closes_in_hours=24)
    assert vote_reminders_queue(now=timezone.now() + dt.timedelta(hours=25)) == 0
    services.vote_close(vote=vote, actor=staff)
    assert vote_reminders_queue() == 0
    assert not reminded(vote).exists()


def test_a_vote_opened_inside_the_window_gets_no_reminder(estate, staff):
    """Its opening notice is as recent as a reminder would be."""
    open_vote(estate, staff, opened_days_ago=0, closes_in_hours=30)
    assert vote_reminders_queue() == 0


def test_reminders_preference_keeps_the_inbox_but_not_sms(estate, staff):
    vote = open_vote(estate, staff)
    person = vote.electors.order_by("pk").first().persons.get()
    Preference.objects.create(person=person, reminders=False)
    vote_reminders_queue()
    n = reminded(vote).get(person=person)
    sms = n.deliveries.get(channel=Channel.SMS)
    assert sms.status == DeliveryStatus.SKIPPED and sms.reason == "no_reminders"
    assert n.deliveries.get(channel=Channel.INAPP).status == DeliveryStatus.SKIPPED  # no login


def test_staff_may_remind_now_and_others_may_not(estate, staff):
    vote = open_vote(estate, staff, closes_in_hours=24 * 10)
    owner = make_user(person=vote.electors.first().persons.get())
    with pytest.raises(DomainError):
        vote_remind(vote=vote, actor=owner)
    assert vote_remind(vote=vote, actor=staff) == 6
    assert vote_remind(vote=vote, actor=staff) == 0


def test_vote_remind_command_prints_how_many(estate, staff, capsys):
    open_vote(estate, staff)
    call_command("vote", "remind")
    assert capsys.readouterr().out.strip() == '{"reminded": 6}'
    call_command("vote", "remind", "--at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    assert capsys.readouterr().out.strip() == '{"reminded": 0}'


def test_vote_remind_command_refuses_a_bad_time(estate, staff):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as caught:
        call_command("vote", "remind", "--at", "30/09/2026")
    assert caught.value.returncode == 2


def test_publishing_the_result_tells_the_owners(estate, staff):
    vote = open_vote(estate, staff)
    cast(vote, staff, 5)
    services.vote_close(vote=vote, actor=staff)
    services.vote_publish_result(vote=vote, actor=staff)
    result = Notification.objects.filter(key=f"vote:{vote.pk}:result")
    assert result.count() == 6
    assert result.first().url == f"/decisions/votes/{vote.pk}/result/"


def test_the_send_command_sends_what_is_queued(estate, staff, capsys):
    from xiaoqu.notify.channels import MemorySmsBackend

    open_vote(estate, staff)
    call_command("notify", "send")
    out = capsys.readouterr().out
    assert '"sent": 6' in out
    assert len(MemorySmsBackend.outbox) == 6
    assert Delivery.objects.filter(status=DeliveryStatus.QUEUED).count() == 0
