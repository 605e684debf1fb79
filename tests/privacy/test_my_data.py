"""A resident downloads their own data (PIPL Art. 45): their record, homes, opinions,
ballots, work orders, notifications, consents — nobody else's."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_open_vote, make_owner, make_user, make_work_order
from xiaoqu.core.models import AccessEvent
from xiaoqu.decisions.models import Elector
from xiaoqu.decisions.services import ballot_cast
from xiaoqu.needs.models import Opinion
from xiaoqu.notify.models import Notification
from xiaoqu.registry.services import consent_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    estate = make_estate(floors=1, per_floor=2)
    mine, theirs = estate.dwellings.order_by("pk")
    me = make_owner(mine, name="王小明")
    other = make_owner(theirs, name="李四")
    user = make_user(person=me)
    other_user = make_user(person=other)
    return {"estate": estate, "me": me, "user": user, "other": other, "other_user": other_user}


def _download(user) -> dict:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("privacy:my_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        names = set(zf.namelist())
        assert {"all.json", "person.json", "ballots.json", "README.txt"} <= names
        return json.loads(zf.read("all.json"))


def test_the_download_holds_the_residents_own_record_and_homes(home):
    data = _download(home["user"])
    assert data["person"]["name"] == "王小明"
    assert data["person"]["phone"] == home["me"].phone
    assert [o["estate"] for o in data["ownerships"]] == [home["estate"].name]
    assert "李四" not in json.dumps(data, ensure_ascii=False)


def test_the_download_holds_their_own_ballot_with_its_choice(home):
    """Their own ballot, choice included (their own act, shown to them on the ballot page);
    the other owner's ballot is not in it."""
    admin = make_user("admin")
    vote = make_open_vote(home["estate"], admin)
    for person, user, choice in (
        (home["me"], home["user"], "agree"),
        (home["other"], home["other_user"], "disagree"),
    ):
        elector = Elector.objects.get(vote=vote, persons=person)
        ballot_cast(vote=vote, elector=elector, choice=choice, channel="online", actor=user)
    ballots = _download(home["user"])["ballots"]
    assert len(ballots) == 1
    assert ballots[0]["choice"] == "同意" and ballots[0]["receipt"]


def test_the_download_holds_opinions_orders_notifications_and_consents(home):
    user = home["user"]
    Opinion.objects.create(
        estate=home["estate"],
        channel="resident",
        submitted_by=user,
        text="希望加装电梯",
        heard_on=dt.date(2026, 5, 1),
        category="elevator",
    )
    make_work_order(home["estate"], user)
    Notification.objects.create(user=user, kind="vote_opened", key="k1", title="投票开始了")
    consent_record(
        person=home["me"],
        kind="assistance",
        purpose="上门协助投票",
        given_on=dt.date(2026, 1, 2),
        actor=make_user("community_staff", region=home["estate"].community),
    )
    data = _download(user)
    assert [o["text"] for o in data["opinions"]] == ["希望加装电梯"]
    assert len(data["work_orders"]) == 1
    assert [n["title"] for n in data["notifications"]] == ["投票开始了"]
    assert data["consents"][0]["purpose"] == "上门协助投票"


def test_the_download_is_logged_as_the_residents_own(home):
    _download(home["user"])
    event = AccessEvent.objects.get()
    assert (event.action, event.subjects, event.actor) == (
        "self_export",
        [home["me"].pk],
        home["user"],
    )


def test_the_residents_record_shows_who_read_it_without_naming_staff(home):
    """Reads of their record are listed (when, what, where), not the staff member's name."""
    staff = make_user("community_staff", region=home["estate"].community)
    client = Client()
    client.force_login(staff)
    client.get(reverse("registry:estate_detail", kwargs={"estate_id": home["estate"].pk}))
    reads = _download(home["user"])["reads_of_my_record"]
    assert {r["field"] for r in reads} >= {"完整手机号"}
    assert str(staff) not in json.dumps(reads, ensure_ascii=False)


def test_a_login_without_a_person_downloads_its_account_only():
    user = make_user()
    data = _download(user)
    assert data["person"] is None and data["account"]["phone"] == user.phone
    assert AccessEvent.objects.count() == 0


def test_the_page_summarises_and_offers_the_download(home):
    client = Client()
    client.force_login(home["user"])
    page = client.get(reverse("privacy:my_data"))
    assert page.status_code == 200
    assert reverse("privacy:my_data_download").encode() in page.content
    assert "王小明".encode() in page.content


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get(reverse("privacy:my_data_download"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
