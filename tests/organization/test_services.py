"""Organisation services: validation with Chinese errors, audit rows, limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from tests.factories import (
    make_estate,
    make_grid,
    make_member,
    make_party_org,
    make_person,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role, RoleAssignment
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.organization import services
from xiaoqu.organization.models import GridBuilding, LiaisonHousehold, ResponsibilityZone, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    """An administrator without a scope: may change every part of the organisation."""
    return make_user(Role.ADMIN)


def test_grid_create_refuses_a_building_of_another_grid_in_chinese(actor):
    """Putting a building already in one grid into a new grid names the building and grid."""
    estate = make_estate(name="金仓小区", buildings=2)
    first = estate.buildings.get(number="1")
    make_grid([first], name="一网格")
    with pytest.raises(DomainError) as err:
        services.grid_create(
            code="G-X", name="二网格", community=estate.community, buildings=[first], actor=actor
        )
    assert err.value.code == "grid_building_taken"
    assert "楼栋已属于其他网格" in err.value.message
    assert "金仓小区1栋（一网格）" in err.value.message
    assert not GridBuilding.objects.filter(grid__code="G-X").exists()


def test_grid_create_refuses_buildings_of_another_community(actor):
    """A grid covers buildings of its own community only."""
    estate = make_estate()
    elsewhere = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道", "花果园社区"))[-1]
    with pytest.raises(DomainError) as err:
        services.grid_create(
            code="G1",
            name="网格",
            community=elsewhere,
            buildings=estate.buildings.all(),
            actor=actor,
        )
    assert err.value.code == "grid_building_outside"
    assert "楼栋不在本网格所属社区" in err.value.message


def test_grid_create_writes_an_audit_row_and_an_empty_triangle():
    """Creating a grid is audited and gives the grid its (incomplete) iron triangle."""
    estate = make_estate(buildings=2)
    actor = make_user("community_staff", region=estate.community)
    grid = services.grid_create(
        code="G1",
        name="一网格",
        community=estate.community,
        buildings=estate.buildings.all(),
        actor=actor,
    )
    assert grid.buildings.count() == 2
    assert grid.triangle.group_leader is None
    row = AuditLog.objects.get(action="grid.create")
    assert row.actor == actor
    assert row.object_id == str(grid.pk)


def test_grid_update_may_keep_its_own_buildings(actor):
    """Updating a grid's buildings does not count its own buildings as taken."""
    estate = make_estate(buildings=3)
    grid = make_grid(estate.buildings.filter(number__in=["1", "2"]))
    services.grid_update(grid=grid, buildings=estate.buildings.all(), actor=actor)
    assert grid.buildings.count() == 3


def test_grid_worker_assign_ends_the_previous_worker_and_moves_the_grid_role(actor):
    """A new grid worker ends the old assignment; the grid-scoped role follows the login."""
    grid = make_grid(make_estate().buildings.all())
    old_person, new_person = make_person("老网格员"), make_person("新网格员")
    old_user, new_user = make_user(person=old_person), make_user(person=new_person)
    services.grid_worker_assign(
        grid=grid, person=old_person, user=old_user, started_on=dt.date(2025, 1, 1), actor=actor
    )
    services.grid_worker_assign(
        grid=grid, person=new_person, user=new_user, started_on=dt.date(2026, 1, 1), actor=actor
    )
    current = grid.worker_assignments.get(ended_on__isnull=True)
    assert current.person == new_person
    assert grid.worker_assignments.get(person=old_person).ended_on == dt.date(2026, 1, 1)
    assert not RoleAssignment.objects.filter(user=old_user, grid=grid).exists()
    assert RoleAssignment.objects.filter(user=new_user, grid=grid, role="grid_worker").exists()


def test_triangle_leader_must_belong_to_a_group_or_branch(actor):
    """The triangle's group leader must be a member of a 党小组 or 党支部, said in Chinese."""
    grid = make_grid(make_estate().buildings.all())
    committee_member = make_member(make_party_org("committee"))
    with pytest.raises(DomainError) as err:
        services.iron_triangle_set(
            grid=grid, group_leader=committee_member, liaison_members=[], actor=actor
        )
    assert err.value.code == "triangle_leader_kind"
    assert "党小组或党支部" in err.value.message


def test_triangle_members_must_work_in_the_grid_community(actor):
    """A member of an organisation of another community cannot stand in this grid's triangle."""
    grid = make_grid(make_estate().buildings.all())
    elsewhere = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道", "花果园社区"))[-1]
    outsider = make_member(make_party_org("group", region=elsewhere), name="外社区党员")
    with pytest.raises(DomainError) as err:
        services.iron_triangle_set(
            grid=grid, group_leader=outsider, liaison_members=[], actor=actor
        )
    assert err.value.code == "member_outside_region"
    assert "外社区党员所在党组织不负责该社区" in err.value.message


def test_liaison_households_set_links_dwellings_and_audits(actor):
    """A member is linked to a set of dwellings; setting again replaces the set."""
    estate = make_estate(floors=3)
    member = make_member()
    dwellings = list(estate.dwellings.order_by("pk"))
    result = services.liaison_households_set(member=member, dwellings=dwellings[:4], actor=actor)
    assert result.count == 4 and result.warnings == []
    services.liaison_households_set(member=member, dwellings=dwellings[2:5], actor=actor)
    assert set(member.liaison_households.values_list("dwelling_id", flat=True)) == {
        d.pk for d in dwellings[2:5]
    }
    assert AuditLog.objects.filter(action="liaison.set").count() == 2


def test_liaison_dwelling_of_another_member_is_refused_in_chinese(actor):
    """A dwelling that already has a liaison member cannot be given to another."""
    estate = make_estate()
    dwelling = estate.dwellings.first()
    services.liaison_households_set(
        member=make_member(name="李四"), dwellings=[dwelling], actor=actor
    )
    with pytest.raises(DomainError) as err:
        services.liaison_households_set(member=make_member(), dwellings=[dwelling], actor=actor)
    assert err.value.code == "liaison_dwelling_taken"
    assert "房屋已有联户党员" in err.value.message and "李四" in err.value.message


@override_settings(XIAOQU_LIAISON_SOFT_LIMIT=3, XIAOQU_LIAISON_HARD_LIMIT=5)
def test_liaison_above_soft_limit_warns_and_above_hard_limit_is_refused(actor):
    """Beyond the soft limit the link is saved with a warning; beyond the hard limit, refused."""
    estate = make_estate(floors=3, per_floor=2)
    member = make_member()
    dwellings = list(estate.dwellings.order_by("pk"))
    result = services.liaison_households_set(member=member, dwellings=dwellings[:4], actor=actor)
    assert result.warnings == ["联系4户，超过通常的3户"]
    with pytest.raises(DomainError) as err:
        services.liaison_households_set(member=member, dwellings=dwellings[:6], actor=actor)
    assert err.value.code == "liaison_hard_limit"
    assert err.value.message == "一名党员最多联系5户，本次为6户"
    assert member.liaison_households.count() == 4


def test_liaison_default_limits_are_fifteen_and_thirty():
    """By default a member typically links up to 15 households and at most 30."""
    assert services.liaison_limits() == (15, 30)


def test_liaison_dwellings_must_lie_in_one_community(actor):
    """Dwellings of two communities cannot be linked to one member."""
    here = make_estate()
    elsewhere = region_chain(("贵州省", "贵阳市", "云岩区", "盐务街街道", "吉祥社区"))[-1]
    there = make_estate(elsewhere)
    member = make_member(make_party_org("branch", region=region_chain()[3]))
    with pytest.raises(DomainError) as err:
        services.liaison_households_set(
            member=member,
            dwellings=[here.dwellings.first(), there.dwellings.first()],
            actor=actor,
        )
    assert err.value.code == "liaison_many_communities"
    assert not LiaisonHousehold.objects.exists()


def test_organisation_kind_order_is_enforced(actor):
    """A 党委 cannot be set under a 党支部."""
    branch = make_party_org("branch")
    with pytest.raises(DomainError) as err:
        services.party_organization_create(
            kind="committee", name="社区党委", region=branch.region, parent=branch, actor=actor
        )
    assert err.value.message == "党委不能设在党支部之下"


def test_organisation_cannot_move_under_its_own_subtree(actor):
    """Moving an organisation under one of its descendants is refused."""
    committee = make_party_org("committee")
    branch = make_party_org("branch", parent=committee)
    with pytest.raises(DomainError) as err:
        services.party_organization_update(organization=committee, parent=branch, actor=actor)
    assert err.value.code == "org_cycle"


def test_member_create_checks_marks_and_duplicates(actor):
    """Unknown marks and a person registered twice are refused in Chinese."""
    org = make_party_org("branch")
    person = make_person("王五")
    with pytest.raises(DomainError) as err:
        services.party_member_create(person=person, organization=org, marks=["英雄"], actor=actor)
    assert err.value.message == "未知的党员标识：英雄"
    member = services.party_member_create(
        person=person, organization=org, marks=["vanguard_post"], actor=actor
    )
    assert list(member.marks.values_list("mark", flat=True)) == ["vanguard_post"]
    with pytest.raises(DomainError) as err:
        services.party_member_create(person=person, organization=org, actor=actor)
    assert err.value.message == "王五已登记为党员"


def test_member_update_replaces_marks(actor):
    """Updating marks replaces the set, and the change is audited with before and after."""
    member = make_member(marks=("model_household",))
    services.party_member_update(member=member, marks=["vanguard_post"], actor=actor)
    assert list(member.marks.values_list("mark", flat=True)) == ["vanguard_post"]
    row = AuditLog.objects.get(action="party_member.update")
    assert row.before["marks"] == ["model_household"]
    assert row.after["marks"] == ["vanguard_post"]


def test_zone_number_is_unique_in_its_street(actor):
    """A street's zones have distinct numbers; a taken number is refused in Chinese."""
    street = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道"))[-1]
    services.responsibility_zone_create(region=street, number=1, name="一区", actor=actor)
    with pytest.raises(DomainError) as err:
        services.responsibility_zone_create(region=street, number=1, name="又一区", actor=actor)
    assert err.value.message == "兴关路街道已有第1责任区"


def test_zone_covers_only_estates_of_its_region(actor):
    """A zone cannot cover an estate outside its street or community."""
    street = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道"))[-1]
    outside = make_estate(name="金仓小区")
    with pytest.raises(DomainError) as err:
        services.responsibility_zone_create(
            region=street, number=1, name="一区", estates=[outside], actor=actor
        )
    assert err.value.message == "不在该街道或社区内：金仓小区"


def test_team_leader_is_always_a_member(actor):
    """A team's leader is counted among its members, also after a change of leader."""
    street = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道"))[-1]
    org = make_party_org("working_committee", region=street)
    leader, other = make_member(org, name="书记"), make_member(org)
    team = services.team_create(region=street, name="党员突击队", leader=leader, actor=actor)
    assert list(team.members.all()) == [leader]
    services.team_update(team=team, leader=other, members=[], actor=actor)
    assert set(team.members.all()) == {other}


@pytest.fixture
def xingguan():
    """兴关路街道 with a community, a branch there and a member of another district's branch."""
    chain = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道", "兴关社区"))
    street, community = chain[-2], chain[-1]
    return {
        "street": street,
        "community": community,
        "street_member": make_member(make_party_org("working_committee", region=street)),
        "branch_member": make_member(make_party_org("branch", region=community), name="本社区"),
        "stranger": make_member(name="外区党员"),
    }


def test_a_team_takes_members_of_its_regions_organisations_only(actor, xingguan):
    """A street's team takes members of the street's and its communities' organisations; one
    from another district is refused by name, as leader or member, and nothing is written."""
    street, stranger = xingguan["street"], xingguan["stranger"]
    for leader, members in ((stranger, []), (xingguan["branch_member"], [stranger])):
        with pytest.raises(DomainError) as err:
            services.team_create(
                region=street, name="突击队", leader=leader, members=members, actor=actor
            )
        assert err.value.code == "member_outside_region"
        assert err.value.message == "党员所在党组织不属于兴关路街道：外区党员"
    assert not Team.objects.exists()
    team = services.team_create(
        region=street,
        name="突击队",
        leader=xingguan["street_member"],
        members=[xingguan["branch_member"]],
        actor=actor,
    )
    for change in ({"leader": stranger}, {"members": [xingguan["branch_member"], stranger]}):
        with pytest.raises(DomainError) as err:
            services.team_update(team=team, actor=actor, **change)
        assert err.value.code == "member_outside_region"
    team.refresh_from_db()
    assert team.leader == xingguan["street_member"]
    assert set(team.members.all()) == {xingguan["street_member"], xingguan["branch_member"]}
    assert AuditLog.objects.filter(action="team.update").count() == 0


def test_a_zone_leader_belongs_to_the_zones_region(actor, xingguan):
    """A community's zone may be led by the street's working committee member or the
    community's branch member, never by a member from another district."""
    community, stranger = xingguan["community"], xingguan["stranger"]
    with pytest.raises(DomainError) as err:
        services.responsibility_zone_create(
            region=community, number=1, name="一区", leader=stranger, actor=actor
        )
    assert err.value.code == "member_outside_region" and "外区党员" in err.value.message
    assert not ResponsibilityZone.objects.exists()
    zone = services.responsibility_zone_create(
        region=community, number=1, name="一区", leader=xingguan["street_member"], actor=actor
    )
    with pytest.raises(DomainError) as err:
        services.responsibility_zone_update(zone=zone, leader=stranger, actor=actor)
    assert err.value.code == "member_outside_region"
    zone.refresh_from_db()
    assert zone.leader == xingguan["street_member"]
    services.responsibility_zone_update(zone=zone, leader=xingguan["branch_member"], actor=actor)
    zone.refresh_from_db()
    assert zone.leader == xingguan["branch_member"]


# --- who may change the organisation ----------------------------------------------------


def test_community_staff_cannot_create_a_grid_in_another_community():
    """A grid of a community outside the actor's scope is refused and nothing is written."""
    staff = make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1])
    elsewhere = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道", "花果园社区"))[-1]
    with pytest.raises(DomainError) as err:
        services.grid_create(code="G1", name="网格", community=elsewhere, actor=staff)
    assert err.value.code == "out_of_scope"
    assert not AuditLog.objects.filter(action="grid.create").exists()


def test_a_grid_worker_cannot_hand_the_grid_to_someone_else():
    """The grid-worker role is given by those who manage grids, not by the grid worker."""
    grid = make_grid(make_estate().buildings.all())
    worker = make_user()
    RoleAssignment.objects.create(user=worker, role=Role.GRID_WORKER, grid=grid)
    successor = make_person("接班人")
    with pytest.raises(DomainError) as err:
        services.grid_worker_assign(
            grid=grid, person=successor, user=make_user(person=successor), actor=worker
        )
    assert err.value.code == "out_of_scope"
    assert not grid.worker_assignments.exists()
    assert not RoleAssignment.objects.filter(grid=grid).exclude(user=worker).exists()


def test_a_party_member_cannot_register_members():
    """Party members work in the organisation; registering members is for community staff."""
    org = make_party_org("branch")
    member_user = make_user(Role.PARTY_MEMBER, region=org.region)
    with pytest.raises(DomainError) as err:
        services.party_member_create(person=make_person(), organization=org, actor=member_user)
    assert err.value.code == "out_of_scope"
    staff = make_user(Role.COMMUNITY_STAFF, region=org.region)
    assert services.party_member_create(person=make_person(), organization=org, actor=staff)


def test_community_staff_cannot_create_a_zone_of_the_street():
    """A zone of the street is outside a community's scope; the street's staff create it."""
    chain = region_chain()
    street = chain[3]
    staff = make_user(Role.COMMUNITY_STAFF, region=chain[-1])
    with pytest.raises(DomainError) as err:
        services.responsibility_zone_create(region=street, number=1, name="一区", actor=staff)
    assert err.value.code == "out_of_scope"
    street_staff = make_user(Role.STREET_STAFF, region=street)
    zone = services.responsibility_zone_create(
        region=street, number=1, name="一区", actor=street_staff
    )
    assert zone.region == street


def test_liaison_change_needs_every_dwelling_it_unlinks_in_scope(actor):
    """Staff of one estate cannot unlink a member's household in a neighbouring estate."""
    community = region_chain()[-1]
    first, second = make_estate(community), make_estate(community)
    member = make_member()
    services.liaison_households_set(member=member, dwellings=[first.dwellings.first()], actor=actor)
    staff = make_user(Role.COMMUNITY_STAFF, estate=second)
    with pytest.raises(DomainError) as err:
        services.liaison_households_set(
            member=member, dwellings=[second.dwellings.first()], actor=staff
        )
    assert err.value.code == "out_of_scope"
    assert list(member.liaison_households.values_list("dwelling_id", flat=True)) == [
        first.dwellings.first().pk
    ]


def test_liaison_change_may_keep_links_it_does_not_touch(actor):
    """Staff of one estate add their estate's households and keep the member's others."""
    community = region_chain()[-1]
    first, second = make_estate(community), make_estate(community)
    member = make_member()
    kept = first.dwellings.first()
    services.liaison_households_set(member=member, dwellings=[kept], actor=actor)
    staff = make_user(Role.COMMUNITY_STAFF, estate=second)
    added = second.dwellings.first()
    result = services.liaison_households_set(member=member, dwellings=[kept, added], actor=staff)
    assert result.count == 2


def test_liaison_refusal_out_of_scope_names_no_one(actor):
    """Out of scope, the refusal does not say who links a dwelling (nor whether it exists)."""
    estate = make_estate()
    dwelling = estate.dwellings.first()
    services.liaison_households_set(
        member=make_member(name="李四"), dwellings=[dwelling], actor=actor
    )
    elsewhere = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道", "花果园社区"))[-1]
    outsider = make_user(Role.COMMUNITY_STAFF, region=elsewhere)
    outsiders_member = make_member(make_party_org("group", region=elsewhere))
    with pytest.raises(DomainError) as err:
        services.liaison_households_set(
            member=outsiders_member, dwellings=[dwelling], actor=outsider
        )
    assert err.value.code == "out_of_scope"
    assert "李四" not in err.value.message
