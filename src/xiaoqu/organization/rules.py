"""Named permissions of the organisation (see docs/permissions.md).

Changing the Party organisation, the grids and the liaison households is the work of the
staff who serve the street Party working committee and the community Party committee
(street and community staff) and of administrators, each in their scope. Grid workers,
Party members and the owners' committee work *in* this organisation but do not rearrange
it: a grid worker cannot hand their grid's role to someone else, nor a member move
households between members.

* ``organization.manage_party``: Party organisations, members and their marks,
  responsibility zones and teams;
* ``organization.manage_grids``: grids and their buildings, grid workers and iron
  triangles;
* ``organization.manage_liaison``: which member keeps in touch with which dwellings.

Organisations, members, grids, zones and teams sit at a region (a member at their
organisation's, a grid at its community), so an assignment to an estate or a grid reaches
the objects of its community and a street assignment those of the whole street. Liaison
households are checked dwelling by dwelling, and against the member.
"""

from __future__ import annotations

from xiaoqu.accounts.models import Role
from xiaoqu.registry.scope import define

ORGANISATION_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN})

MANAGE_PARTY = define(
    "organization.manage_party",
    roles=ORGANISATION_ROLES,
    description="Party organisations, members and marks, responsibility zones and teams",
)
MANAGE_GRIDS = define(
    "organization.manage_grids",
    roles=ORGANISATION_ROLES,
    description="grids and their buildings, grid workers and iron triangles",
)
MANAGE_LIAISON = define(
    "organization.manage_liaison",
    roles=ORGANISATION_ROLES,
    description="the dwellings each Party member keeps in touch with (liaison households)",
)
