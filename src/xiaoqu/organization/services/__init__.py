"""Writes of the organisation app; each validates, writes in one transaction and audits.

One module per part of the organisation:

* ``party``: Party organisations and members;
* ``grids``: grids, grid workers and iron triangles;
* ``liaison``: liaison households (联户) and their limits;
* ``zones``: responsibility zones and teams;
* ``checks``: the place checks they share.

Callers import the services from here.
"""

from __future__ import annotations

from xiaoqu.organization.services.grids import (
    grid_create,
    grid_update,
    grid_worker_assign,
    iron_triangle_set,
)
from xiaoqu.organization.services.liaison import (
    LIAISON_HARD_LIMIT_DEFAULT,
    LIAISON_SOFT_LIMIT_DEFAULT,
    LiaisonResult,
    liaison_households_set,
    liaison_limits,
)
from xiaoqu.organization.services.party import (
    KIND_RANK,
    party_member_create,
    party_member_update,
    party_organization_create,
    party_organization_update,
)
from xiaoqu.organization.services.zones import (
    responsibility_zone_create,
    responsibility_zone_update,
    team_create,
    team_update,
)

__all__ = [
    "KIND_RANK",
    "LIAISON_HARD_LIMIT_DEFAULT",
    "LIAISON_SOFT_LIMIT_DEFAULT",
    "LiaisonResult",
    "grid_create",
    "grid_update",
    "grid_worker_assign",
    "iron_triangle_set",
    "liaison_households_set",
    "liaison_limits",
    "party_member_create",
    "party_member_update",
    "party_organization_create",
    "party_organization_update",
    "responsibility_zone_create",
    "responsibility_zone_update",
    "team_create",
    "team_update",
]
