"""Database constraints of the organisation app."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from tests.factories import make_estate, make_grid, make_member, make_party_org, make_user
from xiaoqu.accounts.models import RoleAssignment
from xiaoqu.organization.models import (
    GridBuilding,
    GridWorkerAssignment,
    LiaisonHousehold,
    PartyMemberMark,
)

pytestmark = pytest.mark.django_db


def test_building_cannot_belong_to_two_grids():
    """The database refuses a second grid for a building that already has one."""
    estate = make_estate(buildings=2)
    building = estate.buildings.first()
    make_grid([building])
    other = make_grid(community=estate.community)
    with pytest.raises(IntegrityError), transaction.atomic():
        GridBuilding.objects.create(grid=other, building=building)


def test_dwelling_cannot_have_two_liaison_members():
    """The database refuses a second liaison member for one dwelling."""
    estate = make_estate()
    dwelling = estate.dwellings.first()
    LiaisonHousehold.objects.create(member=make_member(), dwelling=dwelling)
    with pytest.raises(IntegrityError), transaction.atomic():
        LiaisonHousehold.objects.create(member=make_member(), dwelling=dwelling)


def test_grid_has_at_most_one_current_worker():
    """Two open grid-worker assignments on one grid are refused; a closed one is history."""
    grid = make_grid()
    today = dt.date(2026, 1, 1)
    first = make_member().person
    GridWorkerAssignment.objects.create(
        grid=grid, person=first, started_on=today, ended_on=dt.date(2026, 3, 1)
    )
    GridWorkerAssignment.objects.create(grid=grid, person=first, started_on=dt.date(2026, 3, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        GridWorkerAssignment.objects.create(grid=grid, person=first, started_on=today)


def test_member_mark_is_held_once_and_must_be_known():
    """A member holds each mark once, and only the listed marks are stored."""
    member = make_member(marks=("model_household",))
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyMemberMark.objects.create(member=member, mark="model_household")
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyMemberMark.objects.create(member=member, mark="hero")


def test_organisation_path_follows_the_tree_when_moved():
    """Organisations keep a materialised path; moving one rewrites its subtree's paths."""
    committee = make_party_org("committee", name="金仓社区党委")
    branch = make_party_org("branch", name="第一党支部", parent=committee)
    group = make_party_org("group", name="第一党小组", parent=branch)
    assert group.path == f"/{committee.pk}/{branch.pk}/{group.pk}/"
    other = make_party_org("committee", name="吉祥社区党委")
    branch.parent = other
    branch.save()
    group.refresh_from_db()
    assert group.path == f"/{other.pk}/{branch.pk}/{group.pk}/"
    assert group.depth == 2
    assert set(committee.subtree()) == {committee}


def test_role_assignment_has_exactly_one_scope_including_grid():
    """A role scoped to a grid cannot also carry an estate or a region."""
    estate = make_estate()
    grid = make_grid(estate.buildings.all())
    user = make_user()
    RoleAssignment.objects.create(user=user, role="grid_worker", grid=grid)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role="party_member", grid=grid, estate=estate)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=user, role="party_member", grid=grid, region=estate.community
        )


def test_grid_scoped_admin_is_not_a_global_admin():
    """An admin role limited to a grid is scoped, not the whole system."""
    from xiaoqu.accounts.roles import is_global_admin
    from xiaoqu.registry.selectors import visible_estates

    estate = make_estate()
    make_estate()
    grid = make_grid(estate.buildings.all())
    user = make_user()
    RoleAssignment.objects.create(user=user, role="admin", grid=grid)
    assert not is_global_admin(user)
    assert list(visible_estates(user)) == [estate]
