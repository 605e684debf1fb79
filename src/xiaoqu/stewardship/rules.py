"""Named permissions of management after the works (see docs/permissions.md and
docs/stewardship.md).

* ``stewardship.view_management``: staff in scope follow an estate's management — its body and
  history, the five parties, work orders, the fund.
* ``stewardship.manage_bodies``: record who manages an estate, its committee's members, its
  covenant and rules, the five parties' seats — community and street staff.
* ``stewardship.read_management``: what residents see of their estate's management (the
  current body and how to reach it, the published rules and fund statements).
* ``stewardship.report_orders``: residents report a problem of their estate from the phone.
* ``stewardship.record_orders``: staff enter hotline and visit reports — grid workers,
  community and street staff, the property manager.
* ``stewardship.handle_orders``: act on work orders (accept, dispatch, resolve, reject, merge)
  — the managing body's staff (property manager, owners' committee), community and street
  staff and the housing bureau; the service checks the actor's role is the order's current
  party.
* ``stewardship.manage_fund``: record deposits, interest and uses of the maintenance fund and
  approve an emergency use — street staff and the housing bureau (community staff record).
* ``stewardship.apply_fund``: apply for an emergency use — the property manager, the owners'
  committee and community staff.
"""

from __future__ import annotations

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.registry.scope import define

BODY_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN})
ORDER_ROLES = frozenset(
    {
        Role.PROPERTY_MANAGER,
        Role.OWNERS_COMMITTEE,
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.HOUSING_BUREAU,
        Role.ADMIN,
    }
)

VIEW_MANAGEMENT = define(
    "stewardship.view_management",
    roles=WORKBENCH_ROLES,
    description="an estate's management: body, five parties, work orders, fund",
)
MANAGE_BODIES = define(
    "stewardship.manage_bodies",
    roles=BODY_ROLES,
    description="who manages an estate, its committee, covenant and rules, the five parties",
)
READ_MANAGEMENT = define(
    "stewardship.read_management",
    roles=WORKBENCH_ROLES,
    residents=True,
    description="an estate's management as residents see it: staff in scope and residents",
)
REPORT_ORDERS = define(
    "stewardship.report_orders",
    roles=(),
    residents=True,
    description="report a problem of one's estate (a work order) from the phone",
)
RECORD_ORDERS = define(
    "stewardship.record_orders",
    roles={
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.PROPERTY_MANAGER,
        Role.ADMIN,
    },
    description="enter hotline and visit reports as work orders",
)
HANDLE_ORDERS = define(
    "stewardship.handle_orders",
    roles=ORDER_ROLES,
    description="accept, dispatch, resolve, reject and merge work orders (the order's current "
    "party)",
)
MANAGE_FUND = define(
    "stewardship.manage_fund",
    roles={Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.HOUSING_BUREAU, Role.ADMIN},
    description="the maintenance fund's deposits, interest and uses; street staff and the "
    "housing bureau approve emergency uses",
)
APPLY_FUND = define(
    "stewardship.apply_fund",
    roles={Role.PROPERTY_MANAGER, Role.OWNERS_COMMITTEE, Role.COMMUNITY_STAFF, Role.ADMIN},
    description="apply for an emergency use of the maintenance fund",
)
