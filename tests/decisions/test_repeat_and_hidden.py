"""Findings of the 2026-12-01 security probe about votes: what an anonymous receipt check and
a draft vote show, a second ballot, a second objection, a flood of comments on a plan."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_open_vote,
    make_owner,
    make_plan_in_consultation,
    make_user,
)
from xiaoqu.core.errors import DomainError
from xiaoqu.core.rates import RateLimited
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Ballot, Objection, PlanComment

pytestmark = pytest.mark.django_db

MIGRATION = "0006_objection_one_per_owner"


@pytest.fixture
def estate():
    estate = make_estate(name="回执小区", floors=2, per_floor=2)
    for i, d in enumerate(estate.dwellings.order_by("pk")):
        make_owner(d, f"业主{i}")
    return estate


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


def _draft(estate, staff, title="草拟中的表决：秘密标题"):
    now = timezone.now()
    return services.vote_create(
        estate=estate,
        matter=7,
        title=title,
        description="草拟说明不应外泄",
        opens_at=now + dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=15),
        actor=staff,
    )


def _cast(vote, elector=None, choice="agree"):
    elector = elector or vote.electors.order_by("pk").first()
    owner = make_user(person=elector.persons.first())
    ballot = services.ballot_cast(
        vote=vote, elector=elector, choice=choice, channel="online", actor=owner
    )
    return owner, ballot


# --- the receipt check and drafts ---------------------------------------------------------------


def test_the_receipt_page_names_no_vote_until_a_receipt_matches(client, estate, staff):
    """Anyone may open the receipt check, so walking the vote ids lists nothing: neither the
    vote's title nor its status nor its estate; a receipt that matches shows the ballot's
    number and the vote's title (its holder knows the vote)."""
    vote = make_open_vote(estate, staff)
    _owner, ballot = _cast(vote)
    url = reverse("decisions:receipt_check", kwargs={"vote_id": vote.pk})
    page = client.get(url).content.decode()
    assert vote.title not in page and "投票中" not in page and estate.name not in page
    missing = client.get(url, {"receipt": "0000-0000-0000"}).content.decode()
    assert "未找到" in missing and vote.title not in missing
    found = client.get(url, {"receipt": ballot.receipt}).content.decode()
    assert "已计入" in found and "第 1 张" in found and vote.title in found


def test_a_draft_vote_has_no_receipt_page(client, estate, staff):
    """A draft answers 404 on the receipt page like a missing vote, for anyone."""
    draft = _draft(estate, staff)
    url = reverse("decisions:receipt_check", kwargs={"vote_id": draft.pk})
    missing = reverse("decisions:receipt_check", kwargs={"vote_id": draft.pk + 1000})
    assert client.get(url).status_code == 404 == client.get(missing).status_code
    client.force_login(make_user(person=estate.dwellings.first().ownerships.first().person))
    assert client.get(url).status_code == 404


def test_a_draft_shows_nothing_to_residents_or_other_staff(client, estate, staff):
    """The ballot and result pages of a draft answer 404 to the estate's owners and to staff
    of another community, never its title or description."""
    draft = _draft(estate, staff)
    elsewhere = make_estate(name="别的小区")
    owner = make_user(person=estate.dwellings.first().ownerships.first().person)
    for user in (owner, make_user("community_staff", region=elsewhere.community)):
        client.force_login(user)
        for name in ("ballot", "vote_result", "vote_result_print", "receipt_check"):
            response = client.get(reverse(f"decisions:{name}", args=[draft.pk]))
            assert response.status_code == 404
            assert "秘密标题" not in response.content.decode()
            assert "草拟说明" not in response.content.decode()


def test_the_estates_public_page_and_my_votes_list_no_draft(client, estate, staff):
    draft = _draft(estate, staff)
    client.force_login(make_user(person=estate.dwellings.first().ownerships.first().person))
    for url in (
        reverse("decisions:estate_public", args=[estate.pk]),
        reverse("decisions:my_votes"),
    ):
        response = client.get(url)
        assert response.status_code == 200 and draft.title not in response.content.decode()


# --- a second ballot ------------------------------------------------------------------------------


def test_a_second_ballot_on_the_page_says_already_voted_even_before_confirming(
    client, estate, staff
):
    """Choosing again (the first step, before the confirmation) is answered the same way."""
    vote = make_open_vote(estate, staff)
    owner, ballot = _cast(vote)
    client.force_login(owner)
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    response = client.post(url, {"choice": "disagree"})
    assert response.status_code == 409
    assert "您已经投过票了" in response.content.decode()
    assert ballot.receipt in response.content.decode()
    assert list(Ballot.objects.values_list("choice", flat=True)) == ["agree"]


def test_the_ballot_page_of_an_owner_who_voted_shows_the_receipt_and_its_check(
    client, estate, staff
):
    vote = make_open_vote(estate, staff)
    owner, ballot = _cast(vote)
    client.force_login(owner)
    page = client.get(reverse("decisions:ballot", kwargs={"vote_id": vote.pk})).content.decode()
    assert "您已投票" in page and ballot.receipt in page
    assert reverse("decisions:receipt_check", kwargs={"vote_id": vote.pk}) in page


def test_a_ballot_that_lost_the_race_says_already_voted(client, estate, staff, monkeypatch):
    """When a ballot of the same owner (another tab, a co-owner) is stored between the page's
    check and the cast, the service refuses it and the page says so, then shows the receipt."""
    vote = make_open_vote(estate, staff)
    elector = vote.electors.order_by("pk").first()
    owner = make_user(person=elector.persons.first())
    client.force_login(owner)
    real = services.ballot_cast

    def first_another(**kwargs):
        real(vote=vote, elector=elector, choice="agree", channel="online", actor=owner)
        return real(**kwargs)

    monkeypatch.setattr(services, "ballot_cast", first_another)
    url = reverse("decisions:ballot", kwargs={"vote_id": vote.pk})
    response = client.post(url, {"choice": "disagree", "confirmed": "on"}, follow=True)
    assert "您已经投过票了" in response.content.decode()
    assert Ballot.objects.get().choice == "agree"


# --- one objection per owner ---------------------------------------------------------------------


@pytest.fixture
def published(estate, staff):
    vote = make_open_vote(estate, staff)
    for elector in vote.electors.order_by("pk")[:3]:
        _cast(vote, elector)
    vote = services.vote_close(vote=vote, actor=staff)
    return services.vote_publish_result(vote=vote, actor=staff)


def _owner(vote):
    return make_user(person=vote.electors.order_by("pk").first().persons.first())


def test_an_owner_objects_once_per_vote(published):
    """The probe filed six objections as one owner: the second is refused with a message."""
    owner = _owner(published)
    services.objection_raise(vote=published, user=owner, text="计票有误")
    with pytest.raises(DomainError) as error:
        services.objection_raise(vote=published, user=owner, text="再提一次")
    assert error.value.code == "already_objected"
    assert "只能提出一次" in error.value.message
    assert Objection.objects.get().text == "计票有误"


def test_co_owners_are_one_owner_for_objections(published):
    """Co-owners of a unit are one elector: once one of them has objected, the other cannot."""
    elector = published.electors.order_by("pk").first()
    first = make_user(person=elector.persons.first())
    co_owner = make_owner(elector.unit_rows.first().dwelling, "共有人")
    elector.persons.add(co_owner)
    services.objection_raise(vote=published, user=first, text="计票有误")
    with pytest.raises(DomainError) as error:
        services.objection_raise(vote=published, user=make_user(person=co_owner), text="我也反对")
    assert error.value.code == "already_objected"


def test_the_database_keeps_one_objection_per_owner(published):
    owner = _owner(published)
    objection = services.objection_raise(vote=published, user=owner, text="计票有误")
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(
            vote=published, elector=objection.elector, raised_by=owner, text="绕过服务"
        )


def test_the_result_page_shows_the_objection_raised_instead_of_the_form(client, published):
    owner = _owner(published)
    client.force_login(owner)
    url = reverse("decisions:vote_result", kwargs={"vote_id": published.pk})
    assert 'id="objection-form"' in client.get(url).content.decode()
    objection_url = reverse("decisions:vote_objection", kwargs={"vote_id": published.pk})
    client.post(objection_url, {"text": "计票有误"})
    again = client.post(objection_url, {"text": "再提一次"}, follow=True)
    page = again.content.decode()
    assert "只能提出一次" in page and 'id="objection-raised"' in page
    assert 'id="objection-form"' not in page
    assert Objection.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_text_of_duplicate_objections(published):
    """Objections filed more than once before the constraint become the owner's first one,
    holding every text with the time it was raised; other owners' objections stay."""
    before, after = ("decisions", "0005_turnout_assignment"), ("decisions", MIGRATION)
    MigrationExecutor(connection).migrate([before])
    try:
        owner = _owner(published)
        elector = published.electors.order_by("pk").first()
        first = Objection.objects.create(
            vote=published, elector=elector, raised_by=owner, text="第一条"
        )
        Objection.objects.create(vote=published, elector=elector, raised_by=owner, text="第二条")
        other = published.electors.order_by("pk")[1]
        Objection.objects.create(vote=published, elector=other, raised_by=owner, text="另一位业主")
    finally:
        MigrationExecutor(connection).migrate([after])
    kept = Objection.objects.get(elector=elector)
    assert kept.pk == first.pk
    assert kept.text.startswith("第一条\n\n（") and kept.text.endswith("补充）第二条")
    assert Objection.objects.get(elector=other).text == "另一位业主"


# --- comments on plans ---------------------------------------------------------------------------


@override_settings(XIAOQU_PLAN_COMMENT_RATE="3/h")
def test_comments_on_plans_are_limited_per_resident(client, estate, staff):
    """A resident's comments on plans are held to XIAOQU_PLAN_COMMENT_RATE: the one over it
    is answered with 429 and a message, and nothing is stored."""
    plan = make_plan_in_consultation(estate, staff)
    resident = make_user(person=estate.dwellings.first().ownerships.first().person)
    for i in range(3):
        services.plan_comment(plan=plan, user=resident, text=f"意见{i}")
    with pytest.raises(RateLimited):
        services.plan_comment(plan=plan, user=resident, text="第四条")
    client.force_login(resident)
    response = client.post(reverse("decisions:plan_comment", args=[plan.pk]), {"text": "第四条"})
    assert response.status_code == 429 and "达到上限" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert PlanComment.objects.count() == 3
    # Another resident is not held back by the first one's comments.
    other = make_user(person=estate.dwellings.order_by("pk")[1].ownerships.first().person)
    services.plan_comment(plan=plan, user=other, text="我的意见")
