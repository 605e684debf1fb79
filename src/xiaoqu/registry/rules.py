"""Named permissions of the register (see docs/permissions.md).

* ``registry.view_workbench``: staff pages of the register — workbench, region tree, estate
  list and estate page — for every workbench role in its scope.
* ``registry.read_register``: the register API: staff in their scope, and residents for
  their home estates (with their buildings and entrances) and their own dwellings.
* ``registry.see_phones``: residents' full phone numbers, for the roles whose duties need them
  (contacting residents at home, notices, repairs); everyone else sees 138****1234.
* ``registry.see_names``: owners' full names on the estate page and in the API.
"""

from __future__ import annotations

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.registry.scope import define

PHONE_ROLES = frozenset(
    {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.PROPERTY_MANAGER, Role.ADMIN}
)
NAME_ROLES = PHONE_ROLES | {Role.PARTY_MEMBER, Role.OWNERS_COMMITTEE, Role.HOUSING_BUREAU}

VIEW_WORKBENCH = define(
    "registry.view_workbench",
    roles=WORKBENCH_ROLES,
    description="staff pages of the register: workbench, region tree, estate list and page",
)
READ_REGISTER = define(
    "registry.read_register",
    roles=WORKBENCH_ROLES,
    residents=True,
    description="the register API: staff in scope; residents their estates and own dwellings",
)
SEE_PHONES = define(
    "registry.see_phones", roles=PHONE_ROLES, description="residents' full phone numbers"
)
SEE_NAMES = define("registry.see_names", roles=NAME_ROLES, description="owners' full names")
