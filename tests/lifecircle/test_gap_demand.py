"""A gap of an estate becomes one demand, titled in the default language, by staff who manage
the estate's demands."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import make_estate, make_user
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.lifecircle import services
from xiaoqu.lifecircle.models import AnalysisRun, EstateAccess, FacilityType, RunStatus
from xiaoqu.needs.models import Demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(name="河边小区")


@pytest.fixture
def staff(estate):
    return make_user(Role.COMMUNITY_STAFF, region=estate.community)


def gap(estate, distance: str | None = "850.00", code: str = "kindergarten") -> EstateAccess:
    """The result of a finished analysis run: no facility of the type near enough."""
    run = AnalysisRun.objects.create(region=estate.community, status=RunStatus.DONE)
    kind = FacilityType.objects.get(code=code)
    return EstateAccess.objects.create(
        run=run,
        estate=estate,
        type=kind,
        distance_m=Decimal(distance) if distance is not None else None,
        required_m=kind.distance_m,
        within=False,
    )


def test_the_demand_is_titled_in_the_default_language_whatever_the_session(estate, staff):
    with translation.override("en"):
        demand = services.gap_to_demand(result=gap(estate), actor=staff)
    assert demand.title.startswith("步行") and "幼儿园" in demand.title
    again = services.gap_to_demand(result=gap(estate), actor=staff)
    assert again == demand and Demand.objects.count() == 1


def test_a_later_run_finding_another_distance_is_the_same_gap(estate, staff):
    first = services.gap_to_demand(result=gap(estate, "850.00"), actor=staff)
    assert services.gap_to_demand(result=gap(estate, "910.00"), actor=staff) == first
    assert services.gap_to_demand(result=gap(estate, None), actor=staff) == first
    other = services.gap_to_demand(result=gap(estate, code="clinic"), actor=staff)
    assert other != first and Demand.objects.count() == 2


def test_only_staff_who_manage_the_estates_demands_turn_gaps_into_demands(estate, staff):
    result = gap(estate)
    worker = make_user(Role.GRID_WORKER, estate=estate)
    with pytest.raises(DomainError) as error:
        services.gap_to_demand(result=result, actor=worker)
    assert error.value.code == "out_of_scope" and not Demand.objects.exists()
    services.gap_to_demand(result=result, actor=staff)
    # A demand already made is not handed to someone who may not manage it either.
    with pytest.raises(DomainError):
        services.gap_to_demand(result=result, actor=worker)


def test_the_gap_page_is_for_demand_managers_and_hides_the_estate_otherwise(client, estate, staff):
    result = gap(estate)
    url = reverse("lifecircle:gap_demand", kwargs={"estate_id": estate.pk})
    client.force_login(make_user(Role.GRID_WORKER, estate=estate))
    assert client.post(url, {"result": result.pk}).status_code == 404
    card = client.get(reverse("lifecircle:estate_card", kwargs={"estate_id": estate.pk}))
    assert card.status_code == 200 and card.context["can_demand"] is False
    client.force_login(staff)
    assert client.post(url, {"result": result.pk}).status_code == 302
    assert Demand.objects.count() == 1
    card = client.get(reverse("lifecircle:estate_card", kwargs={"estate_id": estate.pk}))
    assert card.context["can_demand"] is True
