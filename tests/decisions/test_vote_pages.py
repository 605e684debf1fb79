"""Vote pages: staff create and open votes and enter paper ballots; owners vote and check."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_open_vote, make_owner, make_user, tiny_image
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Ballot, Vote
from xiaoqu.registry.models import Entrance

pytestmark = pytest.mark.django_db

JPEG = tiny_image("JPEG")


@pytest.fixture
def estate():
    estate = make_estate(name="表决小区", floors=2, per_floor=2)
    for i, d in enumerate(estate.dwellings.order_by("pk")):
        make_owner(d, f"业主{i}")
    return estate


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def vote(estate, staff):
    return make_open_vote(estate, staff)


def owner_client(client, vote):
    elector = vote.electors.order_by("pk").first()
    client.force_login(make_user(person=elector.persons.first()))
    return client, elector


def test_staff_create_a_vote_for_one_entrance(client, estate, staff):
    client.force_login(staff)
    entrance = estate.buildings.first().entrances.first()
    now = timezone.localtime()
    response = client.post(
        reverse("decisions:vote_new", kwargs={"estate_id": estate.pk}),
        {
            "title": "1单元加装电梯",
            "matter": 7,
            "scope": "entrance",
            "target": entrance.pk,
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + dt.timedelta(days=15)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    vote = Vote.objects.get()
    assert response.status_code == 302 and vote.entrance == entrance


def test_vote_closing_before_opening_is_refused(client, estate, staff):
    client.force_login(staff)
    now = timezone.localtime()
    response = client.post(
        reverse("decisions:vote_new", kwargs={"estate_id": estate.pk}),
        {
            "title": "修改管理规约",
            "matter": 2,
            "scope": "estate",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200 and "截止时间必须晚于开始时间" in response.content.decode()
    assert not Vote.objects.exists()


def test_owner_votes_after_confirming_and_gets_a_receipt(client, vote):
    client, elector = owner_client(client, vote)
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    page = client.post(url, {"choice": "agree"})
    assert "确认投票" in page.content.decode() and not Ballot.objects.exists()
    done = client.post(url, {"choice": "agree", "confirmed": "on"})
    assert done.status_code == 302
    ballot = Ballot.objects.get()
    assert ballot.elector == elector and ballot.channel == "online"
    assert ballot.receipt in client.get(url).content.decode()


def test_a_second_ballot_from_the_same_owner_is_refused(client, vote):
    """The second attempt says in words that the owner has voted, shows the receipt with the
    link to check it, and changes nothing (409, not a bare 404)."""
    client, _ = owner_client(client, vote)
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    client.post(url, {"choice": "agree", "confirmed": "on"})
    ballot = Ballot.objects.get()
    again = client.post(url, {"choice": "disagree", "confirmed": "on"})
    page = again.content.decode()
    assert again.status_code == 409
    assert "您已经投过票了" in page and ballot.receipt in page
    check = reverse("decisions:receipt_check", kwargs={"vote_id": vote.pk})
    assert f"{check}?receipt={ballot.receipt}" in page
    assert 'id="ballot-form"' not in page and 'id="confirm-form"' not in page
    assert Ballot.objects.get().choice == "agree"


def test_a_ballot_after_closing_is_refused(client, vote, staff):
    client, _ = owner_client(client, vote)
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    response = client.post(url, {"choice": "agree", "confirmed": "on"}, follow=True)
    assert "不在投票时间内" in response.content.decode()
    assert not Ballot.objects.exists()


def test_a_resident_who_is_not_an_owner_cannot_vote(client, vote, estate):
    from xiaoqu.registry.models import Residency

    tenant = make_user(person=make_owner(make_estate(name="别处").dwellings.first()))
    Residency.objects.create(
        person=tenant.person, dwelling=estate.dwellings.first(), relation="tenant"
    )
    client.force_login(tenant)
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    assert "不在这次表决的业主名册中" in client.get(url).content.decode()
    assert client.post(url, {"choice": "agree", "confirmed": "on"}).status_code == 404
    assert not Ballot.objects.exists()


def test_an_owner_of_another_estate_gets_404(client, vote):
    outsider = make_user(person=make_owner(make_estate(name="别处").dwellings.first()))
    client.force_login(outsider)
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"choice": "agree", "confirmed": "on"}).status_code == 404


def test_a_forged_vote_id_is_404(client, vote):
    client, _ = owner_client(client, vote)
    assert client.get(reverse("decisions:ballot", kwargs={"vote_id": 999999})).status_code == 404


def test_staff_enter_a_paper_ballot_with_its_scan(client, vote, staff):
    client.force_login(staff)
    url = reverse("decisions:ballot_paper", kwargs={"vote_id": vote.pk})
    found = client.get(url, {"q": "1-1-101"})
    elector = vote.electors.get(unit_rows__dwelling__number="101")
    assert f'value="{elector.pk}"' in found.content.decode()
    done = client.post(
        url + "?q=101",
        {
            "elector": elector.pk,
            "choice": "disagree",
            "channel": "paper",
            "scan": SimpleUploadedFile("ballot.jpg", JPEG, content_type="image/jpeg"),
        },
    )
    assert done.status_code == 302
    ballot = Ballot.objects.get()
    assert ballot.cast_by == staff and ballot.channel == "paper" and ballot.scan


def test_paper_ballot_without_scan_changes_nothing(client, vote, staff):
    client.force_login(staff)
    url = reverse("decisions:ballot_paper", kwargs={"vote_id": vote.pk}) + "?q=101"
    elector = vote.electors.get(unit_rows__dwelling__number="101")
    response = client.post(url, {"elector": elector.pk, "choice": "agree", "channel": "paper"})
    assert "扫描件" in response.content.decode()
    assert not Ballot.objects.exists()


def test_receipt_check_is_public_and_says_nothing_of_the_choice(client, vote):
    owner, _ = owner_client(client, vote)
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    owner.post(url, {"choice": "disagree", "confirmed": "on"})
    receipt = Ballot.objects.get().receipt
    owner.logout()
    check = reverse("decisions:receipt_check", kwargs={"vote_id": vote.pk})
    page = client.get(check, {"receipt": receipt.lower()}).content.decode()
    assert "已计入" in page and "反对" not in page
    assert "未找到" in client.get(check, {"receipt": "1234-5678-9ABC"}).content.decode()


def test_live_participation_shows_counts_never_choices(client, vote, staff):
    owner, _ = owner_client(client, vote)
    owner.post(
        reverse("decisions:ballot", kwargs={"vote_id": vote.pk}),
        {"choice": "disagree", "confirmed": "on"},
    )
    client.force_login(staff)
    page = client.get(
        reverse("decisions:vote_detail", kwargs={"vote_id": vote.pk})
    ).content.decode()
    assert "1 / 4" in page and "反对" not in page
    # Areas with two decimals (a SQL sum of decimals once showed as 464.600000000000).
    area = re.search(r"已投票面积</dt><dd>([^<]*) m²", page)
    assert area is not None
    assert re.fullmatch(r"\d+\.\d{2} / \d+\.\d{2}", area.group(1)), area.group(1)


def test_staff_open_and_close_a_vote_each_through_its_own_form(client, estate, staff):
    """Opening freezes the electorate; closing ends the vote; each action is its own URL."""
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=2,
        title="修改管理规约",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(days=7),
        actor=staff,
    )
    client.force_login(staff)
    page = client.get(reverse("decisions:vote_detail", kwargs={"vote_id": vote.pk})).content
    assert 'id="open-form"' in page.decode()
    client.post(reverse("decisions:vote_open", kwargs={"vote_id": vote.pk}))
    vote.refresh_from_db()
    assert vote.status == "open" and vote.electors.count() == 4
    client.post(reverse("decisions:vote_close", kwargs={"vote_id": vote.pk}))
    vote.refresh_from_db()
    assert vote.status == "closed"


def test_closing_a_closed_vote_says_why_and_changes_nothing(client, vote, staff):
    client.force_login(staff)
    url = reverse("decisions:vote_close", kwargs={"vote_id": vote.pk})
    client.post(url)
    closed_at = Vote.objects.get(pk=vote.pk).closed_at
    response = client.post(url, follow=True)
    assert "只有投票中的表决可以结束" in response.content.decode()
    assert Vote.objects.get(pk=vote.pk).closed_at == closed_at


def test_only_those_who_run_votes_open_or_close_them(client, estate, vote):
    """A grid worker of the estate follows the vote but gets 404 on its actions; a GET is
    refused."""
    grid_worker = make_user("grid_worker", estate=estate)
    client.force_login(grid_worker)
    assert (
        client.get(reverse("decisions:vote_detail", kwargs={"vote_id": vote.pk})).status_code == 200
    )
    assert (
        client.post(reverse("decisions:vote_close", kwargs={"vote_id": vote.pk})).status_code == 404
    )
    client.force_login(make_user("community_staff", estate=estate))
    assert (
        client.get(reverse("decisions:vote_close", kwargs={"vote_id": vote.pk})).status_code == 405
    )
    assert Vote.objects.get(pk=vote.pk).status == "open"


def test_a_paper_ballot_for_an_elector_of_another_vote_changes_nothing(client, vote, staff, estate):
    """An elector id from another vote is refused like a missing one, with a message."""
    other = make_open_vote(make_estate(name="别处"), make_user("admin"))
    stranger = other.electors.first()
    client.force_login(staff)
    url = reverse("decisions:ballot_paper", kwargs={"vote_id": vote.pk}) + "?q=101"
    response = client.post(
        url,
        {
            "elector": stranger.pk,
            "choice": "agree",
            "channel": "paper",
            "scan": SimpleUploadedFile("ballot.jpg", JPEG, content_type="image/jpeg"),
        },
    )
    assert response.status_code == 200 and "请从名册中选择业主" in response.content.decode()
    assert not Ballot.objects.exists()


def test_a_draft_vote_is_not_shown_to_residents(client, estate, staff):
    """A vote being drawn up is the staff's: its ballot, result, notice and objection URLs
    answer 404 to an owner of the estate (as for a vote that does not exist), and open once
    the vote is opened."""
    now = timezone.now()
    draft = services.vote_create(
        estate=estate,
        matter=7,
        title="草拟中的表决",
        opens_at=now + dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=15),
        actor=staff,
    )
    owner = estate.dwellings.order_by("pk").first().ownerships.first().person
    client.force_login(make_user(person=owner))
    for name in ("ballot", "vote_result", "vote_result_print"):
        assert client.get(reverse(f"decisions:{name}", args=[draft.pk])).status_code == 404
    objection = reverse("decisions:vote_objection", args=[draft.pk])
    assert client.post(objection, {"text": "异议"}).status_code == 404
    client.force_login(staff)
    assert client.get(reverse("decisions:vote_detail", args=[draft.pk])).status_code == 200


def test_the_vote_list_takes_the_same_queries_however_many_entrance_votes(client):
    estate = make_estate(name="多楼小区", buildings=3, entrances=2, floors=1, per_floor=1)
    staff = make_user("community_staff", region=estate.community)
    client.force_login(staff)
    now = timezone.now()
    entrances = list(Entrance.objects.filter(building__estate=estate).order_by("pk"))

    def entrance_vote(entrance):
        services.vote_create(
            estate=estate,
            matter=7,
            title=f"{entrance.building.number}栋{entrance.number}单元加装电梯",
            opens_at=now,
            closes_at=now + dt.timedelta(days=14),
            actor=staff,
            scope="entrance",
            entrance=entrance,
        )

    url = reverse("decisions:vote_list", kwargs={"estate_id": estate.pk})
    entrance_vote(entrances[0])
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for entrance in entrances[1:]:
        entrance_vote(entrance)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "3栋2单元" in page
    assert len(many) == len(one)
