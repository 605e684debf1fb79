"""A grid worker and the opinions around the grid.

A demand is an estate-wide object: a grid worker whose grid holds one building of the estate
follows it, but the opinions merged into it come from dwellings of every building. Each
opinion is shown only to those who may read that opinion (``needs.read_opinions``): the grid
worker sees the opinions of the grid's buildings, not the neighbouring building's. The
demand's figures (households, opinions, share, priority) are counts of the whole demand.
What a grid worker records is bound the same way: the grid's buildings and dwellings.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_grid, make_user, region_chain
from xiaoqu.accounts.models import RoleAssignment
from xiaoqu.core.errors import DomainError
from xiaoqu.needs import services
from xiaoqu.needs.models import Channel, Opinion

pytestmark = pytest.mark.django_db

INSIDE = "一栋楼道灯坏了，晚上上楼看不见"
OUTSIDE = "二栋楼道灯坏了，晚上上楼看不见"


@pytest.fixture
def world():
    """An estate of two buildings; a grid holding building 1 and its grid worker; one demand
    merged from an opinion heard at a dwelling of each building."""
    estate = make_estate(region_chain()[-1], name="两栋小区", buildings=2)
    b1, b2 = estate.buildings.order_by("number")
    worker = make_user(password=None)
    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=make_grid([b1]))
    staff = make_user("community_staff", region=estate.community, password=None)
    inside, outside = services.opinions_record(
        estate=estate,
        items=[
            services.OpinionInput(text=INSIDE, dwelling=b1.dwellings.order_by("pk").first()),
            services.OpinionInput(text=OUTSIDE, dwelling=b2.dwellings.order_by("pk").first()),
        ],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    assert inside.demand_id is not None and inside.demand_id == outside.demand_id
    return {
        "estate": estate,
        "worker": worker,
        "staff": staff,
        "inside": inside,
        "outside": outside,
        "demand": inside.demand,
    }


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_detail(user, demand) -> dict:
    response = client_of(user).get(
        reverse("api-1.0.0:needs_demand_detail", kwargs={"demand_id": demand.pk})
    )
    assert response.status_code == 200, response.content
    return response.json()


def page_detail(user, demand):
    response = client_of(user).get(reverse("needs:demand_detail", args=[demand.pk]))
    assert response.status_code == 200
    return response


def test_the_api_shows_a_grid_worker_only_the_demands_opinions_of_the_grid(world):
    """GET /api/v1/needs/demands/<id> lists the grid's opinion, not the other building's."""
    body = api_detail(world["worker"], world["demand"])
    assert [o["id"] for o in body["opinion_list"]] == [world["inside"].pk]
    assert OUTSIDE not in json.dumps(body, ensure_ascii=False)


def test_the_api_agrees_with_the_opinion_endpoint(world):
    """Every opinion the demand shows opens at /api/v1/needs/opinions/<id>, and the hidden one
    is 404 there."""
    client = client_of(world["worker"])
    for o in api_detail(world["worker"], world["demand"])["opinion_list"]:
        url = reverse("api-1.0.0:needs_opinion_detail", kwargs={"opinion_id": o["id"]})
        assert client.get(url).status_code == 200
    url = reverse("api-1.0.0:needs_opinion_detail", kwargs={"opinion_id": world["outside"].pk})
    assert client.get(url).status_code == 404


def test_the_demand_page_shows_a_grid_worker_only_the_opinions_of_the_grid(world):
    """/needs/demands/<id>/ lists the grid's opinion; the other building's text is not there."""
    response = page_detail(world["worker"], world["demand"])
    assert [o.pk for o in response.context["opinions"]] == [world["inside"].pk]
    body = response.content.decode()
    assert INSIDE in body
    assert OUTSIDE not in body


def test_the_demands_figures_stay_those_of_the_whole_demand(world):
    """Households and opinions are counts of the whole demand (no person's data); the page
    says how many opinions are not shown."""
    body = api_detail(world["worker"], world["demand"])
    assert (body["households"], body["opinions"]) == (2, 2)
    response = page_detail(world["worker"], world["demand"])
    assert response.context["hidden_opinions"] == 1
    assert "1 条意见不在您的工作范围内" in response.content.decode()


def test_community_staff_see_every_opinion_of_the_demand(world):
    """Staff of the whole estate read both opinions, on the page and through the API."""
    both = {world["inside"].pk, world["outside"].pk}
    body = api_detail(world["staff"], world["demand"])
    assert {o["id"] for o in body["opinion_list"]} == both
    response = page_detail(world["staff"], world["demand"])
    assert {o.pk for o in response.context["opinions"]} == both
    assert response.context["hidden_opinions"] == 0


def test_a_grid_worker_may_not_record_an_opinion_at_a_dwelling_outside_the_grid(world):
    """A hotline call placed at the other building's dwelling is refused; nothing is stored."""
    b2 = world["estate"].buildings.get(number="2")
    before = Opinion.objects.count()
    with pytest.raises(DomainError) as refused:
        services.opinions_record(
            estate=world["estate"],
            items=[services.OpinionInput(text="屋顶漏水", dwelling=b2.dwellings.last())],
            channel=Channel.HOTLINE,
            actor=world["worker"],
        )
    assert refused.value.code == "out_of_scope"
    with pytest.raises(DomainError):
        services.opinions_record(
            estate=world["estate"],
            items=[services.OpinionInput(text="外墙脱落", building=b2)],
            channel=Channel.HOTLINE,
            actor=world["worker"],
        )
    assert Opinion.objects.count() == before


def test_a_grid_worker_gets_back_the_call_about_the_whole_estate_they_recorded(world):
    """POST /api/v1/needs/opinions for the whole estate answers 201 with the stored opinion,
    though an opinion tied to no building is not in the grid worker's reading scope."""
    body = {"estate_id": world["estate"].pk, "text": "小区大门晚上没有灯"}
    response = client_of(world["worker"]).post(
        reverse("api-1.0.0:needs_opinion_create"),
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "小区大门晚上没有灯"
    assert Opinion.objects.filter(pk=response.json()["id"], building__isnull=True).exists()
