"""Role × state matrices for scoped permissions: the pattern of every ``tests/<app>/rules/``.

A permission is asked about one object of 界内小区 (building 1, or a dwelling of it) by one
user per role and per state of that user's assignment:

* ``estate``: assigned to the object's estate; ``region``: to its community;
* ``grid``: to a grid holding the object's building (for an estate-wide object, a grid
  holding one of the estate's buildings); ``grid_other``: to a grid holding only the
  estate's *other* building, which reaches estate-wide objects but not building 1's;
* ``outside``: assigned to another estate in another district;
* ``mixed``: the role assigned elsewhere, plus community staff of the object's estate — a
  role in scope that may not carry this work unless community staff is among the roles;

plus the anonymous visitor, a user with no role, a resident of the object's dwelling (or
estate) with no role, a superuser and an unscoped administrator. The test states which roles
carry the permission; the matrix derives every expected answer from that and compares it, in
one assertion, with what ``has(user, obj)`` and ``scoped(user, queryset)`` answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser

from tests.factories import make_estate, make_grid, make_owner, make_user, region_chain
from xiaoqu.accounts.models import Role, RoleAssignment
from xiaoqu.registry.models import Building, Dwelling, Estate

STATES = ("estate", "region", "grid", "grid_other", "outside", "mixed")


@dataclass
class RulesWorld:
    estate: Estate
    other_estate: Estate
    building: Building
    other_building: Building
    dwelling: Dwelling
    users: dict[str, Any] = field(default_factory=dict)


def make_rules_world() -> RulesWorld:
    estate = make_estate(region_chain()[-1], name="界内小区", buildings=2, floors=1, per_floor=2)
    outside_chain = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    other_estate = make_estate(outside_chain[-1], name="界外小区")
    building, other_building = estate.buildings.order_by("number")
    dwelling = building.dwellings.order_by("pk").first()
    assert dwelling is not None
    world = RulesWorld(estate, other_estate, building, other_building, dwelling)
    grid = make_grid([building])
    grid_other = make_grid([other_building])
    scopes: dict[str, dict[str, Any]] = {
        "estate": {"estate": estate},
        "region": {"region": estate.community},
        "grid": {"grid": grid},
        "grid_other": {"grid": grid_other},
        "outside": {"estate": other_estate},
    }
    for role in Role:
        for state, scope in scopes.items():
            user = make_user(password=None)
            RoleAssignment.objects.create(user=user, role=role, **scope)
            world.users[f"{role.value}@{state}"] = user
        mixed = make_user(password=None)
        RoleAssignment.objects.create(user=mixed, role=role, estate=other_estate)
        RoleAssignment.objects.create(user=mixed, role=Role.COMMUNITY_STAFF, estate=estate)
        world.users[f"{role.value}@mixed"] = mixed
    world.users["nobody"] = make_user(password=None)
    world.users["resident"] = make_user(person=make_owner(dwelling, "界内业主"), password=None)
    superuser = make_user(password=None)
    superuser.is_superuser = True
    superuser.save()
    world.users["superuser"] = superuser
    admin = make_user(password=None)
    RoleAssignment.objects.create(user=admin, role=Role.ADMIN)
    world.users["admin@unscoped"] = admin
    world.users["anonymous"] = AnonymousUser()
    return world


def expected_matrix(
    roles: Iterable[str], *, residents: bool, building_level: bool, users: Iterable[str]
) -> dict[str, bool]:
    """What the permission should answer for each user of the world."""
    holders = {str(r) for r in roles}
    expected = {}
    for name in users:
        if name in ("anonymous", "nobody"):
            expected[name] = False
        elif name in ("superuser", "admin@unscoped"):
            expected[name] = True
        elif name == "resident":
            expected[name] = residents
        else:
            role, state = name.split("@")
            if state == "outside":
                expected[name] = False
            elif state == "grid_other":
                expected[name] = role in holders and not building_level
            elif state == "mixed":
                expected[name] = Role.COMMUNITY_STAFF.value in holders
            else:
                expected[name] = role in holders
    return expected


def answered_matrix(permission: Any, obj: Any, users: dict[str, Any]) -> dict[str, bool]:
    """What the permission answers, per user; ``scoped`` must agree with ``has``."""
    answers = {}
    queryset = type(obj)._default_manager.filter(pk=obj.pk)
    for name, user in users.items():
        has = permission.has(user, obj)
        listed = (
            permission.scoped(user, queryset).exists()
            if getattr(user, "is_authenticated", False)
            else False
        )
        assert has == listed, f"{permission.name}: has() and scoped() disagree for {name}"
        answers[name] = has
    return answers


def assert_role_matrix(
    permission: Any,
    obj: Any,
    world: RulesWorld,
    *,
    roles: Iterable[str],
    residents: bool = False,
    building_level: bool = False,
    overrides: dict[str, bool] | None = None,
) -> None:
    """The permission holds for ``obj`` exactly as ``roles`` (and ``residents``) say, in every
    state; ``building_level`` objects (of building 1 or one of its dwellings) are out of reach
    of a grid holding only the other building. ``overrides`` pins exceptions by user name."""
    expected = expected_matrix(
        roles, residents=residents, building_level=building_level, users=world.users
    )
    expected.update(overrides or {})
    answered = answered_matrix(permission, obj, world.users)
    wrong = {name: answered[name] for name in expected if answered[name] != expected[name]}
    assert wrong == {}, f"{permission.name}: unexpected answers (user: answered) {wrong}"


def assert_holds_anywhere(
    permission: Any, world: RulesWorld, *, roles: Iterable[str], residents: bool = False
) -> None:
    """Without an object the permission answers whether the user holds it anywhere: every
    user of a holding role, whatever their scope, and residents when they count."""
    holders = {str(r) for r in roles}
    for name, user in world.users.items():
        if name in ("anonymous", "nobody"):
            want = False
        elif name in ("superuser", "admin@unscoped"):
            want = True
        elif name == "resident":
            want = residents
        else:
            role, state = name.split("@")
            want = role in holders or (state == "mixed" and Role.COMMUNITY_STAFF.value in holders)
        assert permission.has(user) == want, f"{permission.name} anywhere: {name}"


Maker = Callable[[RulesWorld], Any]
