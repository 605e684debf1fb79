"""Results: the tally explained, its public notice with an objection period, the A4 notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_open_vote, make_owner, make_person, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Objection, Vote
from xiaoqu.registry.models import Relation, Residency

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    estate = make_estate(name="公示小区", floors=2, per_floor=2)
    for i, d in enumerate(estate.dwellings.order_by("pk")):
        make_owner(d, f"业主{i}")
    return estate


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def closed_vote(estate, staff):
    vote = make_open_vote(estate, staff)
    for elector, choice in zip(vote.electors.order_by("pk")[:3], ["agree"] * 3, strict=True):
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice=choice,
            channel="online",
            actor=make_user(person=elector.persons.first()),
        )
    return services.vote_close(vote=vote, actor=staff)


def owner_of(vote):
    return make_user(person=vote.electors.order_by("pk").first().persons.first())


def test_elevator_votes_get_fifteen_days_of_objection_by_default(closed_vote, staff):
    vote = services.vote_publish_result(vote=closed_vote, actor=staff)
    assert vote.objection_until - vote.result_published_at == dt.timedelta(days=15)
    assert vote.result["passed"] is True and vote.result["matter"] == 7


@override_settings(XIAOQU_OBJECTION_DAYS_ALTERATION=20)
def test_the_objection_period_is_configurable(closed_vote, staff):
    vote = services.vote_publish_result(vote=closed_vote, actor=staff)
    assert (vote.objection_until - vote.result_published_at).days == 20


def test_an_open_vote_cannot_be_published(estate, staff):
    vote = make_open_vote(estate, staff)
    with pytest.raises(DomainError) as error:
        services.vote_publish_result(vote=vote, actor=staff)
    assert error.value.code == "not_closed"


def test_the_published_result_is_frozen(closed_vote, staff):
    vote = services.vote_publish_result(vote=closed_vote, actor=staff)
    with pytest.raises(DomainError):
        services.vote_publish_result(vote=vote, actor=staff)
    assert Vote.objects.get(pk=vote.pk).result == vote.result


def test_an_owner_objects_within_the_period_only(closed_vote, staff):
    vote = services.vote_publish_result(vote=closed_vote, actor=staff)
    owner = owner_of(vote)
    services.objection_raise(vote=vote, user=owner, text="1楼采光受影响，方案未说明补偿")
    with pytest.raises(DomainError) as error:
        services.objection_raise(
            vote=vote,
            user=owner,
            text="再提一条",
            now=vote.objection_until + dt.timedelta(seconds=1),
        )
    assert error.value.code == "too_late"
    with pytest.raises(DomainError) as error:
        services.objection_raise(vote=vote, user=make_user(), text="不是业主")
    assert error.value.code == "out_of_scope"
    assert Objection.objects.count() == 1


def test_residents_see_the_result_only_once_published(client, closed_vote, staff):
    owner = owner_of(closed_vote)
    client.force_login(owner)
    url = reverse("decisions:vote_result", kwargs={"vote_id": closed_vote.pk})
    assert "结果正在核对" in client.get(url).content.decode()
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert "同意的业主 3 人" in page and 'id="publish-form"' in page
    client.post(
        reverse("decisions:vote_publish", kwargs={"vote_id": closed_vote.pk}),
        {"objection_days": "15"},
    )
    client.force_login(owner)
    page = client.get(url).content.decode()
    assert "通过" in page and 'id="objection-form"' in page


def test_the_notice_names_nobody(client, closed_vote, staff):
    vote = services.vote_publish_result(vote=closed_vote, actor=staff)
    client.force_login(owner_of(vote))
    for name in ("decisions:vote_result", "decisions:vote_result_print"):
        body = client.get(reverse(name, kwargs={"vote_id": vote.pk})).content.decode()
        assert "业主0" not in body and "业主1" not in body
    assert "表决结果公示" in body and "盖章" in body


def test_an_objection_through_the_page(client, closed_vote, staff):
    vote = services.vote_publish_result(vote=closed_vote, actor=staff)
    client.force_login(owner_of(vote))
    url = reverse("decisions:vote_objection", kwargs={"vote_id": vote.pk})
    client.post(url, {"text": "   "})
    assert not Objection.objects.exists()
    client.post(url, {"text": "计票有误"})
    assert Objection.objects.get().text == "计票有误"


def test_outsiders_get_404(client, closed_vote, staff):
    services.vote_publish_result(vote=closed_vote, actor=staff)
    client.force_login(make_user(person=make_owner(make_estate(name="别处").dwellings.first())))
    for name in ("decisions:vote_result", "decisions:vote_result_print"):
        assert client.get(reverse(name, kwargs={"vote_id": closed_vote.pk})).status_code == 404
    url = reverse("decisions:vote_objection", kwargs={"vote_id": closed_vote.pk})
    assert client.post(url, {"text": "x"}).status_code == 404


def test_print_page_needs_a_published_result(client, estate, staff):
    vote = make_open_vote(estate, staff)
    client.force_login(staff)
    url = reverse("decisions:vote_result_print", kwargs={"vote_id": vote.pk})
    assert client.get(url).status_code == 404
    assert timezone.now() < vote.closes_at


def test_objecting_needs_the_permission_as_well_as_a_place_in_the_electorate(closed_vote, staff):
    """An elector whose account was deactivated no longer holds decisions.raise_objections;
    a tenant of the estate holds it but is not in the electorate."""
    vote = services.vote_publish_result(vote=closed_vote, actor=staff)
    owner = owner_of(vote)
    owner.is_active = False
    owner.save()
    with pytest.raises(DomainError) as error:
        services.objection_raise(vote=vote, user=owner, text="我反对")
    assert error.value.code == "out_of_scope"
    tenant = make_person("租户")
    Residency.objects.create(
        person=tenant, dwelling=vote.estate.dwellings.first(), relation=Relation.TENANT
    )
    with pytest.raises(DomainError) as error:
        services.objection_raise(vote=vote, user=make_user(person=tenant), text="我反对")
    assert error.value.code == "not_elector"
    assert not Objection.objects.exists()
