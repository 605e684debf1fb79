"""The inbox (without JavaScript: plain forms), the choice of channels, and the record staff
read: each page reads the caller's own rows or checks the estate's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_person, make_user, region_chain
from xiaoqu.decisions import services as decisions
from xiaoqu.notify.models import Delivery, Kind, Notification, Preference
from xiaoqu.notify.services import notify_send

pytestmark = pytest.mark.django_db

INBOX = reverse("notify:inbox")
PREFS = reverse("notify:preferences")


def message(recipients, key="k:1", url="/needs/mine/", estate=None):
    notify_send(
        recipients=recipients,
        kind=Kind.OPINION_UPDATE,
        key=key,
        title=f"标题{key}",
        body="正文",
        url=url,
        estate_id=estate.pk if estate else None,
    )
    return Notification.objects.get(key=key, person_id=recipients[0].person_id)


@pytest.fixture
def owner():
    return make_user(person=make_person("李大爷"))


def test_the_inbox_lists_own_messages_newest_first_with_unread_marked(client, owner):
    client.force_login(owner)
    older = message([owner], "k:1")
    Notification.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1), read_at=timezone.now()
    )
    message([owner], "k:2")
    message([make_user(person=make_person())], "k:3")
    page = client.get(INBOX).content.decode()
    assert page.index("标题k:2") < page.index("标题k:1")
    assert "标题k:3" not in page
    assert page.count('class="badge unread"') == 1
    assert "1 条未读" in page


def test_opening_a_message_marks_it_read_and_goes_to_its_link(client, owner):
    client.force_login(owner)
    n = message([owner])
    response = client.post(reverse("notify:read"), {"id": n.pk, "go": "1"})
    assert response.status_code == 302 and response["Location"] == "/needs/mine/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_marking_read_without_going_returns_to_the_inbox_page(client, owner):
    client.force_login(owner)
    n = message([owner])
    response = client.post(reverse("notify:read"), {"id": n.pk, "page": "2"})
    assert response["Location"] == INBOX + "?page=2"


def test_another_persons_message_cannot_be_marked_or_opened(client, owner):
    client.force_login(owner)
    theirs = message([make_user(person=make_person())], "k:9", url="/elsewhere/")
    response = client.post(reverse("notify:read"), {"id": theirs.pk, "go": "1"})
    assert response["Location"] == INBOX
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_only_links_of_the_site_are_followed(client, owner):
    client.force_login(owner)
    n = message([owner], url="https://evil.example.com/")
    response = client.post(reverse("notify:read"), {"id": n.pk, "go": "1"})
    assert response["Location"] == INBOX


def test_mark_all_read(client, owner):
    client.force_login(owner)
    message([owner], "k:1")
    message([owner], "k:2")
    client.post(reverse("notify:read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_inbox_needs_a_login(client):
    assert "/accounts/login/" in client.get(INBOX)["Location"]


def test_preferences_are_saved_from_a_plain_form(client, owner):
    client.force_login(owner)
    page = client.get(PREFS).content.decode()
    assert "未绑定" in page and owner.phone[-4:] in page
    client.post(PREFS, {"sms": "on", "reminders": ""})
    p = Preference.objects.get(person=owner.person)
    assert (p.sms, p.wechat, p.reminders, p.opted_out) == (True, False, False, False)
    assert p.user_id == owner.pk
    client.post(PREFS, {"opted_out": "on"})
    p.refresh_from_db()
    assert p.opted_out and not p.sms


def test_a_bound_wechat_shows_and_can_be_unbound(client, owner):
    Preference.objects.create(person=owner.person, user=owner, wechat=True, wechat_openid="oAb12")
    client.force_login(owner)
    assert 'id="wechat-bound"' in client.get(PREFS).content.decode()
    client.post(PREFS, {"unbind": "1"})
    p = Preference.objects.get(person=owner.person)
    assert p.wechat_openid == "" and not p.wechat


# --- the record (staff) ----------------------------------------------------------------------


@pytest.fixture
def estate():
    estate = make_estate(name="记录小区", floors=2, per_floor=2)
    for d in estate.dwellings.all():
        make_owner(d)
    return estate


@pytest.fixture
def vote(estate):
    staff = make_user("community_staff", region=estate.community)
    now = timezone.now()
    vote = decisions.vote_create(
        estate=estate,
        matter=2,
        title="记录表决",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=3),
        actor=staff,
    )
    return decisions.vote_open(vote=vote, actor=staff)


def test_community_staff_read_the_record_of_a_vote_and_its_rows(client, estate, vote):
    client.force_login(make_user("community_staff", region=estate.community))
    page = client.get(reverse("decisions:vote_detail", kwargs={"vote_id": vote.pk})).content
    page = page.decode()
    assert 'id="delivery-record"' in page and "表决开始" in page
    url = reverse("notify:deliveries", kwargs={"estate_id": estate.pk})
    listing = client.get(url).content.decode()
    assert "表决开始" in listing
    rows = client.get(url, {"key": f"vote:{vote.pk}:open", "channel": "sms"}).content.decode()
    table = rows[rows.index('id="delivery-rows"') :]
    assert table.count("<tr>") == 1 + Delivery.objects.filter(channel="sms").count()
    phone = Delivery.objects.filter(channel="sms").first().address
    assert phone not in rows and f"{phone[:3]}****{phone[-4:]}" in rows


def test_the_record_is_not_for_the_owners_committee_nor_out_of_scope(client, estate, vote):
    committee = make_user("owners_committee", estate=estate)
    client.force_login(committee)
    page = client.get(reverse("decisions:vote_detail", kwargs={"vote_id": vote.pk})).content
    assert b'id="delivery-record"' not in page
    url = reverse("notify:deliveries", kwargs={"estate_id": estate.pk})
    assert client.get(url).status_code == 404
    elsewhere = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
    client.force_login(make_user("community_staff", region=elsewhere))
    assert client.get(url).status_code == 404
