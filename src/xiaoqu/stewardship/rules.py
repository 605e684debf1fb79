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
* ``stewardship.evaluate``: the monthly evaluation of the managing body (业委评议) — the
  owners' committee, the members of the estate's current 自管会 or 业委会 (as residents,
  without a role), and community staff (who evaluate a self-managed estate); the service
  checks the actor acts for the month's evaluating party.
* ``stewardship.publish_reports``: compute an estate's monthly report and publish it to
  residents — community and street staff.
* ``stewardship.view_rankings``: the ranking of a street's estates by their monthly score —
  street staff and the housing bureau whose scope holds the whole street.
* ``stewardship.view_duty``: an estate's duty roster — staff in scope and the members of the
  estate's current 自管会 or 业委会.
* ``stewardship.manage_duty``: add and remove shifts, write any shift's handover note — the
  managing body's side (the property manager, the owners' committee, the members of the
  current 自管会 or 业委会, who act for 物业执行 in a self-managed estate) and community staff.
* ``stewardship.view_access``: an estate's access points, event log and anomalies, people
  masked (张**) — the managing body's side, community and street staff.
* ``stewardship.manage_access``: access points, devices and their keys, residents'
  credentials, handling anomalies, people shown by name — the managing body's side and
  community staff.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.core.policy import ScopePath
from xiaoqu.registry.scope import ScopedPermission, define
from xiaoqu.stewardship.models import BodyKind, BodyMember

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


# --- the monthly evaluation and reports (业委评议) --------------------------------------------

EVALUATE_ROLES = frozenset({Role.OWNERS_COMMITTEE, Role.COMMUNITY_STAFF, Role.ADMIN})
REPORT_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN})
RANKING_ROLES = frozenset({Role.STREET_STAFF, Role.HOUSING_BUREAU, Role.ADMIN})
SELF_MANAGING_KINDS = (BodyKind.SELF_COMMITTEE, BodyKind.OWNERS_COMMITTEE)


def committee_estate_ids(user: Any) -> set[int]:
    """The estates whose current 自管会 or 业委会 has the user's person as a member (cached
    on the user for the request)."""
    cached: set[int] | None = getattr(user, "_xiaoqu_committees", None)
    if cached is None:
        person_id = getattr(user, "person_id", None)
        cached = set()
        if person_id:
            cached = set(
                BodyMember.objects.filter(
                    person_id=person_id,
                    body__ended_on=None,
                    body__kind__in=SELF_MANAGING_KINDS,
                ).values_list("body__estate_id", flat=True)
            )
        user._xiaoqu_committees = cached
    return cached


class CommitteePermission(ScopedPermission):
    """Held by its roles in their scope and, without any role, by the members of an estate's
    current 自管会 or 业委会 for that estate — the owners' side, who hold no role: they
    evaluate the managing body and, in a self-managed estate, run its duty and gates."""

    def q(self, user: Any, path: ScopePath) -> Q | None:
        staff = super().q(user, path)
        if staff is None:
            return None
        if path.region is not None or not getattr(user, "is_authenticated", False):
            return staff
        ids = committee_estate_ids(user)
        return staff | Q(**{path.join(path.estate or "", "pk__in"): ids}) if ids else staff

    def has(self, user: Any, obj: Any = None) -> bool:
        if super().has(user, obj):
            return True
        return (
            obj is None
            and getattr(user, "is_authenticated", False)
            and getattr(user, "is_active", True)
            and bool(committee_estate_ids(user))
        )


EVALUATE = define(
    "stewardship.evaluate",
    roles=EVALUATE_ROLES,
    kind=CommitteePermission,
    description="score the managing body for a month (业委评议): the owners' committee, the "
    "members of the current 自管会 or 业委会, community staff (for a self-managed estate)",
)
PUBLISH_REPORTS = define(
    "stewardship.publish_reports",
    roles=REPORT_ROLES,
    description="compute an estate's monthly management report and publish it to residents",
)
VIEW_RANKINGS = define(
    "stewardship.view_rankings",
    roles=RANKING_ROLES,
    description="the ranking of a street's estates by their monthly management score (a "
    "scope holding the whole street)",
)


# --- duty and access control (值班、门禁): the managing body's side ---------------------------

# Who runs an estate's duty and gates: the managing body's side — the property manager, the
# owners' committee, and (through CommitteePermission) the members of the current 自管会 or
# 业委会 — with community staff, who step in where nobody manages.
WATCH_ROLES = frozenset(
    {Role.PROPERTY_MANAGER, Role.OWNERS_COMMITTEE, Role.COMMUNITY_STAFF, Role.ADMIN}
)

VIEW_DUTY = define(
    "stewardship.view_duty",
    roles=WORKBENCH_ROLES,
    kind=CommitteePermission,
    description="an estate's duty roster: staff in scope and the members of the current "
    "自管会 or 业委会",
)
MANAGE_DUTY = define(
    "stewardship.manage_duty",
    roles=WATCH_ROLES,
    kind=CommitteePermission,
    description="add and remove duty shifts, write handover notes: the managing body's side "
    "(with the members of the current 自管会 or 业委会) and community staff",
)
VIEW_ACCESS = define(
    "stewardship.view_access",
    roles=WATCH_ROLES | {Role.STREET_STAFF},
    kind=CommitteePermission,
    description="access points, the event log and anomalies (people masked): the managing "
    "body's side (with the members of the current 自管会 or 业委会), community and street staff",
)
MANAGE_ACCESS = define(
    "stewardship.manage_access",
    roles=WATCH_ROLES,
    kind=CommitteePermission,
    description="access points, devices and keys, residents' credentials, handling anomalies: "
    "the managing body's side (with the members of the current 自管会 or 业委会) and "
    "community staff",
)
