"""Coverage figures on a small world, computed by aggregate queries."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_estate, make_grid, make_member, make_person, region_chain
from xiaoqu.organization.models import GridWorkerAssignment, LiaisonHousehold, Team
from xiaoqu.organization.selectors import coverage, grids_with_completeness, members_by_mark

pytestmark = pytest.mark.django_db


def _complete(grid, leader, liaison):
    GridWorkerAssignment.objects.create(
        grid=grid, person=make_person("网格员"), started_on=dt.date(2026, 1, 1)
    )
    grid.triangle.group_leader = leader
    grid.triangle.save()
    grid.triangle.liaison_members.add(liaison)


def test_triangle_is_complete_only_with_leader_worker_and_a_liaison_member():
    """Each of the three corners is needed; the SQL flag and the property agree."""
    grid = make_grid(make_estate().buildings.all())
    leader, liaison = make_member(), make_member()

    def flag():
        return grids_with_completeness(type(grid).objects.filter(pk=grid.pk)).get().is_complete

    assert not flag() and not grid.triangle.is_complete
    grid.triangle.group_leader = leader
    grid.triangle.save()
    assert not flag()
    GridWorkerAssignment.objects.create(
        grid=grid, person=make_person(), started_on=dt.date(2026, 1, 1)
    )
    assert not flag()
    grid.triangle.liaison_members.add(liaison)
    assert flag() and grid.triangle.is_complete


def test_ended_worker_does_not_complete_a_triangle():
    """A grid whose worker has left has an incomplete triangle."""
    grid = make_grid(make_estate().buildings.all())
    _complete(grid, make_member(), make_member())
    grid.worker_assignments.update(ended_on=dt.date(2026, 2, 1))
    assert not grids_with_completeness(type(grid).objects.all()).get().is_complete


def test_coverage_counts_dwellings_with_liaison_and_complete_grids():
    """Region coverage: linked dwellings over all dwellings, complete grids over grids."""
    community = region_chain()[-1]
    a = make_estate(community, buildings=2)  # 8 dwellings
    b = make_estate(community)  # 4 dwellings
    outside = make_estate(
        region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
    )
    member = make_member()
    for d in list(a.dwellings.order_by("pk")[:3]) + [b.dwellings.first()]:
        LiaisonHousehold.objects.create(member=member, dwelling=d)
    LiaisonHousehold.objects.create(member=make_member(), dwelling=outside.dwellings.first())
    g1 = make_grid(a.buildings.all())
    make_grid(b.buildings.all())
    _complete(g1, make_member(), member)

    figures = coverage(region=community)
    assert figures["dwellings"] == 12
    assert figures["dwellings_with_liaison"] == 4
    assert figures["liaison_share"] == pytest.approx(4 / 12)
    assert (figures["grids"], figures["grids_complete"]) == (2, 1)
    assert figures["triangle_share"] == 0.5

    estate_figures = coverage(estate=b)
    assert (estate_figures["dwellings"], estate_figures["dwellings_with_liaison"]) == (4, 1)
    assert (estate_figures["grids"], estate_figures["grids_complete"]) == (1, 0)


def test_coverage_of_an_empty_region_has_no_shares():
    """With no dwellings and no grids, the shares are None rather than a division by zero."""
    street = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道"))[-1]
    figures = coverage(region=street)
    assert figures["liaison_share"] is None and figures["triangle_share"] is None


def test_members_by_mark_counts_each_mark_in_the_region():
    """Members are counted per mark inside the region, every mark listed."""
    community = region_chain()[-1]
    make_member(marks=("model_household", "vanguard_post"))
    make_member(marks=("model_household",))
    make_member()
    assert members_by_mark(region=community) == {"model_household": 2, "vanguard_post": 1}
    street = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道"))[-1]
    assert members_by_mark(region=street) == {"model_household": 0, "vanguard_post": 0}


def test_coverage_counts_zones_and_teams_of_the_region():
    """Zones and teams of the region's subtree are counted."""
    from xiaoqu.organization.models import ResponsibilityZone

    street = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道"))[-1]
    for n in range(1, 12):
        ResponsibilityZone.objects.create(region=street, number=n, name=f"第{n}区")
    Team.objects.create(region=street, name="党员突击队", leader=make_member())
    figures = coverage(region=street)
    assert (figures["zones"], figures["teams"]) == (11, 1)
    assert coverage(region=region_chain()[-1])["zones"] == 0


def test_coverage_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    """Coverage does not load rows: its query count does not grow with the world."""
    community = region_chain()[-1]
    for _ in range(3):
        estate = make_estate(community, buildings=2)
        make_grid(estate.buildings.all())
    with django_assert_max_num_queries(10):
        coverage(region=community)
