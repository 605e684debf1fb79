"""Grid scope: a grid worker sees the estates, buildings and dwellings of their grid only."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from tests.factories import make_estate, make_grid, make_user, region_chain
from xiaoqu.accounts.models import RoleAssignment
from xiaoqu.core.policy import find_permitted
from xiaoqu.registry.models import Building, Dwelling, Estate
from xiaoqu.registry.rules import SEE_PHONES, VIEW_WORKBENCH
from xiaoqu.registry.selectors import visible_estates, visible_regions


def visible_buildings(user):
    return VIEW_WORKBENCH.scoped(user, Building.objects.all())


def visible_dwellings(user):
    return VIEW_WORKBENCH.scoped(user, Dwelling.objects.all())


def access_estate(user, estate_id):
    return find_permitted(user, VIEW_WORKBENCH, Estate.objects.all(), estate_id)


def can_see_phone(user, estate):
    return SEE_PHONES.has(user, estate)


pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """金仓社区 with two estates; the grid covers building 1 of the first estate only."""
    community = region_chain()[-1]
    partly = make_estate(community, name="网格内小区", buildings=2)
    other = make_estate(community, name="网格外小区")
    grid = make_grid(partly.buildings.filter(number="1"))
    worker = make_user()
    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=grid)
    return {"partly": partly, "other": other, "grid": grid, "worker": worker}


def test_grid_worker_sees_the_estates_with_a_building_in_the_grid(world):
    """visible_estates of a grid worker lists the estates the grid touches."""
    assert list(visible_estates(world["worker"])) == [world["partly"]]


def test_grid_worker_sees_only_the_grid_buildings(world):
    """visible_buildings is the grid's buildings, not the whole estate's."""
    assert list(visible_buildings(world["worker"])) == list(world["grid"].buildings.all())


def test_grid_worker_sees_only_the_dwellings_of_the_grid_buildings(world):
    """visible_dwellings is the dwellings of the grid's buildings."""
    building = world["grid"].buildings.get()
    assert set(visible_dwellings(world["worker"])) == set(building.dwellings.all())
    assert visible_dwellings(world["worker"]).count() == 4


def test_grid_worker_out_of_grid_estate_is_404(world):
    """access_estate answers 404 for an estate outside the grid, as for a missing one."""
    assert access_estate(world["worker"], world["partly"].pk) == world["partly"]
    with pytest.raises(Http404):
        access_estate(world["worker"], world["other"].pk)


def test_grid_worker_estate_page_in_grid_opens_and_out_of_grid_is_404(client, world):
    """The estate page opens for the grid's estate and is 404 for the neighbour estate."""
    client.force_login(world["worker"])
    ok = client.get(reverse("registry:estate_detail", args=[world["partly"].pk]))
    assert ok.status_code == 200
    out = client.get(reverse("registry:estate_detail", args=[world["other"].pk]))
    assert out.status_code == 404


def test_grid_worker_sees_the_grid_community_region(world):
    """visible_regions of a grid scope is the grid's community."""
    assert list(visible_regions(world["worker"])) == [world["grid"].community]


def test_grid_worker_contact_rights_cover_the_grid_estates_only(world):
    """Phone rights of a grid worker apply to the grid's estates and not to others."""
    assert can_see_phone(world["worker"], world["partly"])
    assert not can_see_phone(world["worker"], world["other"])


def test_estate_and_region_scopes_keep_their_meaning_for_buildings_and_dwellings(world):
    """Estate scope sees all of its estate's buildings; region scope its subtree's dwellings."""
    estate_user = make_user("property_manager", estate=world["partly"])
    assert visible_buildings(estate_user).count() == 2
    assert set(visible_dwellings(estate_user)) == set(world["partly"].dwellings.all())
    region_user = make_user("community_staff", region=world["grid"].community)
    assert visible_dwellings(region_user).count() == 8 + 4


def test_user_without_workbench_role_sees_no_dwellings():
    """A resident holds no workbench scope: no buildings, no dwellings."""
    estate = make_estate()
    resident = make_user("resident", estate=estate)
    assert not visible_buildings(resident).exists()
    assert not visible_dwellings(resident).exists()


def test_global_admin_sees_every_dwelling():
    """The unscoped administrator sees every dwelling."""
    estate = make_estate()
    admin = make_user("admin")
    assert visible_dwellings(admin).count() == estate.dwellings.count()


def test_grid_worker_estate_page_shows_only_the_grid_buildings(client, world):
    """On an estate the grid covers in part, the page lists the grid's building only."""
    client.force_login(world["worker"])
    page = client.get(reverse("registry:estate_detail", args=[world["partly"].pk]))
    register = page.context["register"]
    assert [b.building.number for b in register.buildings] == ["1"]
    assert register.dwellings == world["partly"].dwellings.filter(building__number="1").count()


def test_grid_worker_api_sees_only_the_grid_buildings_and_dwellings(client, world):
    """The API narrows buildings, entrances and dwellings the same way; others are 404."""
    client.force_login(world["worker"])
    estate = world["partly"]
    buildings = client.get(f"/api/v1/estates/{estate.pk}/buildings").json()["items"]
    assert [b["number"] for b in buildings] == ["1"]
    dwellings = client.get(f"/api/v1/estates/{estate.pk}/dwellings").json()
    assert dwellings["count"] == estate.dwellings.filter(building__number="1").count()
    outside = estate.buildings.get(number="2")
    assert client.get(f"/api/v1/buildings/{outside.pk}/entrances").status_code == 404
    inside = estate.buildings.get(number="1")
    assert client.get(f"/api/v1/buildings/{inside.pk}/entrances").status_code == 200
    entrance = outside.entrances.first()
    assert client.get(f"/api/v1/entrances/{entrance.pk}/dwellings").status_code == 404
    dwelling = outside.dwellings.first()
    assert client.get(f"/api/v1/dwellings/{dwelling.pk}").status_code == 404
