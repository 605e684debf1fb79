"""Every role × every page and API endpoint × in scope / out of scope.

The pages come from ``URL_POLICY`` and the endpoints from the mounted API, so a new page or
endpoint is tested here as soon as it is declared. What is asserted is the policy's contract,
not any page's HTML:

* anonymous: pages redirect to the login page, endpoints answer 401;
* a page behind a named permission is 404 for a role without it;
* an object inside the caller's scope opens (200, or a redirect that is not to the login
  page); one outside it is 404, exactly like a missing id — except for the unscoped
  administrator, who sees everything;
* no response to a scoped caller ever names an estate or region outside their scope.

The world (tests/factories.make_scope_world): 界内小区 in 云岩区 is every role's scope;
界外小区 in 六盘水市钟山区 is outside it for all but the administrator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import SCOPE_WORLD_ROLES, make_scope_world
from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.core.policy import AUTHENTICATED, PUBLIC, URL_POLICY
from xiaoqu.registry.models import Building, Dwelling, Entrance

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
ROLES = [role.value for role in Role]
CALLERS = [ANONYMOUS, *ROLES]
GLOBAL_ROLES = {role for role, scope in SCOPE_WORLD_ROLES.items() if scope is None}
API_NAMESPACE = "api-1.0.0"

# Policy entries that are not pages one opens with GET: tested in tests/accounts.
NOT_PAGES = {
    "accounts:login": "public form, tested with the login tests",
    "accounts:sms_code": "POST-only action",
    "accounts:logout": "POST-only action",
    "web:set_language": "POST-only action (Django's set_language)",
    "web:set_text_size": "POST-only action, tested in tests/web/test_text_size.py",
    "decisions:vote_open": "POST-only action, tested in tests/decisions/test_vote_pages.py",
    "decisions:vote_close": "POST-only action, tested in tests/decisions/test_vote_pages.py",
    "decisions:vote_publish": "POST-only action, tested in tests/decisions/test_vote_results.py",
    "decisions:plan_new": "POST-only action, tested in tests/decisions/test_plan_pages.py",
    "lifecircle:analysis_start": "POST-only action, tested in tests/lifecircle/test_pages.py",
    "lifecircle:gap_demand": "POST-only action, tested in tests/lifecircle/test_pages.py",
    "lifecircle:facilities_import": (
        "POST-only action, tested in tests/lifecircle/test_guiyang_pages.py"
    ),
    "meetings:meeting_new": "POST-only action, tested in tests/meetings/test_meetings.py",
    "meetings:record_save": "POST-only action, tested in tests/meetings/test_meetings.py",
    "meetings:sign_in": "POST-only action, tested in tests/meetings/test_meetings.py",
    "meetings:sign_in_named": (
        "POST-only action, tested in tests/meetings/test_sign_in_and_publish.py"
    ),
    "meetings:photo_add": "POST-only action, tested in tests/meetings/test_meetings.py",
    "meetings:hear": "POST-only action, tested in tests/meetings/test_meetings.py",
    "meetings:minutes_publish": "POST-only action, tested in tests/meetings/test_meetings.py",
    "decisions:plan_item_add": "POST-only action, tested in tests/decisions/test_plan_pages.py",
    "decisions:plan_item_remove": "POST-only action, tested in tests/decisions/test_plan_pages.py",
    "decisions:plan_exclude": "POST-only action, tested in tests/decisions/test_plan_pages.py",
    "decisions:plan_consult": "POST-only action, tested in tests/decisions/test_plan_pages.py",
    "decisions:plan_consultation_change": (
        "POST-only action, tested in tests/decisions/test_plan_forms.py"
    ),
    "decisions:plan_publish": "POST-only action, tested in tests/decisions/test_plan_pages.py",
    "decisions:plan_meetings": "POST-only action, tested in tests/decisions/test_plan_pages.py",
    "decisions:plan_comment": "POST-only action, tested in tests/decisions/test_plan_pages.py",
    "decisions:vote_objection": "POST-only action, tested in tests/decisions/test_vote_results.py",
    "decisions:vote_turnout_assign": "POST-only action, tested in tests/decisions/test_turnout.py",
    "decisions:vote_result_print": (
        "only for a published result (the world's votes are open), "
        "tested in tests/decisions/test_vote_results.py"
    ),
    # --- needs: campaigns and visits ---
    "needs:campaign_create": "POST-only action, tested in tests/needs/test_visit_pages.py",
    "needs:campaign_status": "POST-only action, tested in tests/needs/test_visit_pages.py",
    "needs:visit_submit": "POST-only JSON endpoint, tested in tests/needs/test_visit_pages.py",
    # --- needs: opinions from every channel, residents' own pages ---
    "needs:opinion_category": "POST-only action, tested in tests/needs/test_opinion_pages.py",
    "needs:opinions_recategorise": (
        "POST-only action, tested in tests/needs/test_opinion_pages.py"
    ),
    "needs:opinion_photo": (
        "serves a file only for opinions with a photo (none in the world), "
        "tested in tests/needs/test_opinion_pages.py"
    ),
    # --- needs: demands and demand lists ---
    "needs:demand_create": "POST-only action, tested in tests/needs/test_demand_pages.py",
    "needs:demand_update": "POST-only action, tested in tests/needs/test_demand_pages.py",
    "needs:demand_status": "POST-only action, tested in tests/needs/test_demand_pages.py",
    "needs:demand_split": "POST-only action, tested in tests/needs/test_demand_pages.py",
    "needs:demand_join": "POST-only action, tested in tests/needs/test_demand_pages.py",
    "needs:demand_suggestion_accept": (
        "POST-only action, tested in tests/needs/test_join_suggestions.py"
    ),
    "needs:demand_suggestion_dismiss": (
        "POST-only action, tested in tests/needs/test_join_suggestions.py"
    ),
    "needs:demand_list_publish": "POST-only action, tested in tests/needs/test_demand_pages.py",
    # --- renovation: projects ---
    "renovation:project_new": "POST-only action, tested in tests/renovation/test_project_pages.py",
    "renovation:project_advance": "POST-only action, tested in tests/renovation/test_project_pages.py",
    "renovation:project_parties": "POST-only action, tested in tests/renovation/test_project_pages.py",
    "renovation:project_member_add": (
        "POST-only action, tested in tests/renovation/test_project_pages.py"
    ),
    "renovation:item_vote": "POST-only action, tested in tests/renovation/test_project_pages.py",
    "renovation:batch_confirm": "POST-only action, tested in tests/renovation/test_batches.py",
    "renovation:project_party_set": "POST-only action, tested in tests/renovation/test_party.py",
    "renovation:duty_add": "POST-only action, tested in tests/renovation/test_party.py",
    "renovation:duty_remove": "POST-only action, tested in tests/renovation/test_party.py",
    # --- renovation: money ---
    "renovation:money_receipt": "POST-only action, tested in tests/renovation/test_money_pages.py",
    "renovation:money_payment": "POST-only action, tested in tests/renovation/test_money_pages.py",
    "renovation:money_reverse": "POST-only action, tested in tests/renovation/test_money_pages.py",
    "renovation:contribution_split": (
        "POST-only action, tested in tests/renovation/test_money_pages.py"
    ),
    # --- renovation: progress ---
    "renovation:item_schedule": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:progress_report": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:diary_write": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:photo_add": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:resident_supervisor": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:hidden_work_record": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:hidden_work_sign": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:hidden_work_resident_sign": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:hidden_work_cover": "POST-only action, tested in tests/renovation/test_progress_pages.py",
    "renovation:site_report": (
        "POST-only JSON endpoint, tested in tests/renovation/test_progress_pages.py"
    ),
    # --- renovation: complaints, joint acceptance, satisfaction survey ---
    "renovation:complaint_confirm": "POST-only action, tested in tests/renovation/test_complaints.py",
    "renovation:complaint_answer": "POST-only action, tested in tests/renovation/test_complaints.py",
    "renovation:complaint_close": "POST-only action, tested in tests/renovation/test_complaints.py",
    "renovation:acceptance_open": "POST-only action, tested in tests/renovation/test_acceptance.py",
    "renovation:acceptance_check": "POST-only action, tested in tests/renovation/test_acceptance.py",
    "renovation:acceptance_reinspect": "POST-only action, tested in tests/renovation/test_acceptance.py",
    "renovation:acceptance_sign": "POST-only action, tested in tests/renovation/test_acceptance.py",
    "renovation:acceptance_conclude": "POST-only action, tested in tests/renovation/test_acceptance.py",
    "renovation:survey_open": "POST-only action, tested in tests/renovation/test_surveys.py",
    "renovation:survey_close": "POST-only action, tested in tests/renovation/test_surveys.py",
    "renovation:survey_publish": "POST-only action, tested in tests/renovation/test_surveys.py",
    # --- stewardship: management bodies and the five parties ---
    "stewardship:body_start": "POST-only action, tested in tests/stewardship/test_bodies_pages.py",
    "stewardship:body_end": "POST-only action, tested in tests/stewardship/test_bodies_pages.py",
    "stewardship:member_add": "POST-only action, tested in tests/stewardship/test_bodies_pages.py",
    "stewardship:member_remove": "POST-only action, tested in tests/stewardship/test_bodies_pages.py",
    "stewardship:document_add": "POST-only action, tested in tests/stewardship/test_bodies_pages.py",
    "stewardship:seat_add": "POST-only action, tested in tests/stewardship/test_bodies_pages.py",
    "stewardship:seat_remove": "POST-only action, tested in tests/stewardship/test_bodies_pages.py",
    # --- stewardship: the maintenance fund ---
    "stewardship:fund_deposits": "POST-only action, tested in tests/stewardship/test_fund_pages.py",
    "stewardship:fund_interest": "POST-only action, tested in tests/stewardship/test_fund_pages.py",
    "stewardship:fund_withdraw": "POST-only action, tested in tests/stewardship/test_fund_pages.py",
    "stewardship:fund_emergency_apply": (
        "POST-only action, tested in tests/stewardship/test_fund_pages.py"
    ),
    "stewardship:fund_emergency_approve": (
        "POST-only action, tested in tests/stewardship/test_fund_pages.py"
    ),
    "stewardship:fund_withdrawal_publish": (
        "POST-only action, tested in tests/stewardship/test_fund_pages.py"
    ),
    # --- stewardship: work orders ---
    "stewardship:my_order_confirm": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:my_order_reopen": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:my_order_rate": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:notices_read": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:order_accept": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:order_dispatch": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:order_start": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:order_resolve": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:order_confirm": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:order_reject": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    "stewardship:order_merge": "POST-only action, tested in tests/stewardship/test_orders_pages.py",
    # --- stewardship: the monthly evaluation and reports ---
    "stewardship:report_compute": (
        "POST-only action, tested in tests/stewardship/test_evaluation_pages.py"
    ),
    "stewardship:report_publish": (
        "POST-only action, tested in tests/stewardship/test_evaluation_pages.py"
    ),
    "stewardship:order_photo": (
        "serves a file only for orders with a photo (none in the world), tested in tests/stewardship/test_orders_pages.py"
    ),
    # --- stewardship: duty and access control ---
    "stewardship:shift_add": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:shift_remove": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:handover_write": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:access_point_add": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:access_device_add": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:access_device_revoke": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:credential_issue": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:credential_revoke": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:credentials_sweep": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    "stewardship:anomaly_resolve": "POST-only action, tested in tests/stewardship/test_duty_access_pages.py",
    # --- privacy: correction requests ---
    "privacy:correction_resolve": "POST-only action, tested in tests/privacy/test_corrections.py",
    # --- notify: a person's own messages ---
    "notify:read": "POST-only action, tested in tests/notify/test_pages.py",
    "notify:read_all": "POST-only action, tested in tests/notify/test_pages.py",
}
# API routes that are not data endpoints.
NOT_ENDPOINTS = {"openapi-json", "openapi-view", "api-root"}
# --- needs API: action-only routes (POST/PATCH, no GET; tested in tests/needs/test_api.py) ---
NOT_ENDPOINTS |= {"needs_opinion_recategorise", "needs_demand_set_status"}
# --- access devices post events with a device key (no GET, no user): the device's scope is its
# point, tested in tests/stewardship/test_access_api.py ---
NOT_ENDPOINTS |= {"access_events_ingest"}

# Which roles hold each named permission of URL_POLICY. A permission not listed here falls
# back to asking the user (so new pages are still scope-tested), but listing it pins it.
PERMISSION_ROLES: dict[str, frozenset[str]] = {
    "registry.view_workbench": WORKBENCH_ROLES,
    # --- needs: campaigns and visits ---
    "needs.view_needs": WORKBENCH_ROLES,
    "needs.record_visit": frozenset(
        {"grid_worker", "party_member", "community_staff", "street_staff", "admin"}
    ),
    # --- needs: opinions from every channel, residents' own pages ---
    "needs.record_opinions": frozenset({"grid_worker", "community_staff", "street_staff", "admin"}),
    # --- needs: demands and demand lists ---
    "needs.manage_demands": frozenset({"community_staff", "street_staff", "admin"}),
    # --- decisions: turnout chasing (催票) ---
    "decisions.chase_turnout": frozenset(
        {"grid_worker", "community_staff", "street_staff", "admin"}
    ),
    # --- stewardship: the monthly evaluation and reports ---
    "stewardship.evaluate": frozenset({"owners_committee", "community_staff", "admin"}),
    "stewardship.publish_reports": frozenset({"community_staff", "street_staff", "admin"}),
    "stewardship.view_rankings": frozenset({"street_staff", "housing_bureau", "admin"}),
    # --- stewardship: duty and access control ---
    "stewardship.view_duty": WORKBENCH_ROLES,
    "stewardship.view_access": frozenset(
        {"property_manager", "owners_committee", "community_staff", "street_staff", "admin"}
    ),
    # --- privacy: correction requests for the community's staff; the access log for the
    # unscoped administrator only ---
    "privacy.resolve_corrections": frozenset({"community_staff", "street_staff", "admin"}),
    "privacy.read_access_log": frozenset({"admin"}),
}

# Names that must never reach a caller whose scope is 界内小区 only.
OUT_OF_SCOPE_NAMES = ("界外小区", "业主界外", "六盘水市", "钟山区", "红岩街道", "东风西路社区")


def _home_dwelling(world: dict, role: str, inside: bool) -> int:
    if not inside:
        return Dwelling.objects.filter(estate=world["estate_out"]).order_by("pk").first().pk
    home = world["home_dwellings"]
    return (home[1] if role == "owner" else home[0]).pk


def _needs(world: dict, inside: bool) -> dict:
    return world["needs"]["in" if inside else "out"]


def _project(world: dict, inside: bool):
    return world["projects"]["in" if inside else "out"]


def _estate(world: dict, inside: bool):
    return world["estate_in" if inside else "estate_out"]


def _residents(world: dict, inside: bool) -> dict:
    return world["residents"]["in" if inside else "out"]


# How to build each URL keyword argument for an object inside or outside the scope.
# A new URL with another keyword fails below until a builder is added here.
KWARG_BUILDERS: dict[str, Callable[[dict, str, bool], Any]] = {
    "estate_id": lambda w, role, inside: _estate(w, inside).pk,
    "region_id": lambda w, role, inside: w["chain_in" if inside else "chain_out"][-1].pk,
    "building_id": lambda w, role, inside: (
        Building.objects.filter(estate=_estate(w, inside)).order_by("pk").first().pk
    ),
    "entrance_id": lambda w, role, inside: (
        Entrance.objects.filter(building__estate=_estate(w, inside)).order_by("pk").first().pk
    ),
    "dwelling_id": _home_dwelling,
    # Needs (tests/factories.make_needs_world): objects of the in- or out-of-scope estate.
    "campaign_id": lambda w, role, inside: _needs(w, inside)["campaign"].pk,
    "visit_id": lambda w, role, inside: _needs(w, inside)["visit"].pk,
    "meeting_id": lambda w, role, inside: _needs(w, inside)["meeting"].pk,
    "demand_id": lambda w, role, inside: _needs(w, inside)["demand"].pk,
    "list_id": lambda w, role, inside: _needs(w, inside)["list"].pk,
    "vote_id": lambda w, role, inside: w["votes"]["in" if inside else "out"].pk,
    "plan_id": lambda w, role, inside: w["plans"]["in" if inside else "out"].pk,
    # An opinion heard at the role's home (the resident's at home[0], the owner's at home[1]).
    "opinion_id": lambda w, role, inside: (
        _needs(w, inside)["opinions"][1 if role == "owner" else 0].pk
    ),
    # Renovation (tests/factories.make_project): the contractor and the supervisor of the
    # world are the in-scope project's party staff.
    "project_id": lambda w, role, inside: _project(w, inside).pk,
    "item_id": lambda w, role, inside: _project(w, inside).items.order_by("pk").first().pk,
    # Money (tests/factories.make_money_world): a receipt with a voucher.
    "money_entry_id": lambda w, role, inside: w["money"]["in" if inside else "out"]["entry"].pk,
    # Annual batches (tests/factories.make_batch): one per community of the world.
    "batch_id": lambda w, role, inside: w["batches"]["in" if inside else "out"].pk,
    # Progress (tests/factories.make_progress_world): a site photo and a hidden-works record.
    "photo_id": lambda w, role, inside: w["progress"]["in" if inside else "out"]["photo"].pk,
    "hidden_id": lambda w, role, inside: w["progress"]["in" if inside else "out"]["hidden"].pk,
    # Residents (tests/factories.make_residents_world): the resident's complaint, an open
    # acceptance and an open survey of each project.
    "complaint_id": lambda w, role, inside: _residents(w, inside)["complaint"].pk,
    "acceptance_id": lambda w, role, inside: _residents(w, inside)["acceptance"].pk,
    "survey_id": lambda w, role, inside: _residents(w, inside)["survey"].pk,
    # The maintenance fund (tests/factories.make_fund_world): an emergency use applied for.
    "withdrawal_id": lambda w, role, inside: w["fund"]["in" if inside else "out"]["withdrawal"].pk,
    # Work orders (tests/factories.make_orders_world): the resident's or the owner's own order
    # (staff reach either in scope); outside the scope, orders of nobody in the world.
    "order_id": lambda w, role, inside: (
        w["orders"]["in" if inside else "out"]["owner" if role == "owner" else "resident"].pk
    ),
    # Monthly reports (tests/factories.make_report): last month's report of each estate.
    "report_id": lambda w, role, inside: w["reports"]["in" if inside else "out"].pk,
    # Correction requests (tests/factories.make_correction): the owner's own, and one outside.
    "correction_id": lambda w, role, inside: w["corrections"]["in" if inside else "out"].pk,
    # Open311 (stewardship.views.open311): public reads of a category, of the world's work
    # orders (by id, or by token: the order's client key), in the format of the extension.
    "fmt": lambda w, role, inside: "json",
    "service_code": lambda w, role, inside: "stair-light",
    "service_request_id": lambda w, role, inside: (
        w["orders"]["in" if inside else "out"]["resident"].pk
    ),
    "token": lambda w, role, inside: w["orders"]["in" if inside else "out"]["resident"].client_key,
}
# Open311 GeoReport v2 is public open data by design (DESIGN.md): everyone, anonymous
# included, reads the same service requests of every estate (the estate as address, never a
# person), so the out-of-scope names it shows are not a leak; tests/stewardship/test_open311.py
# checks that no name, phone, email or flat is ever shown.
PUBLIC_OPEN_DATA = {
    "open311:services",
    "open311:service",
    "open311:requests",
    "open311:request",
    "open311:token",
}
# Kinds of object residents and owners reach through the API (their home estate, its
# buildings and entrances, their own dwelling); regions are for staff only.
RESIDENT_API_KWARGS = {"estate_id", "building_id", "entrance_id", "dwelling_id"}
# --- needs API: residents read their home estate's published lists and their own opinions ---
RESIDENT_API_KWARGS |= {"list_id", "opinion_id"}
# Endpoints with a resident-reachable kind of id that are still for workbench roles only.
STAFF_ONLY_API = {"api-1.0.0:needs_estate_demands"}


def _routes() -> list[tuple[str, str]]:
    """(view name, route pattern) of every named URL, walking every include."""
    found: list[tuple[str, str]] = []

    def walk(patterns, namespaces: tuple[str, ...], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = namespaces + ((p.namespace,) if p.namespace else ())
                walk(p.url_patterns, inner, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                found.append((":".join((*namespaces, p.name)), prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, (), "")
    return found


ROUTES = dict(_routes())


def _kwargs_of(view_name: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", ROUTES.get(view_name, "")) + re.findall(
        r"\(\?P<(\w+)>", ROUTES.get(view_name, "")
    )


def _cases(view_names: list[str]) -> list[tuple[str, str]]:
    """(view name, scope): objects get an in and an out case, lists one case."""
    cases = []
    for name in view_names:
        if _kwargs_of(name):
            cases += [(name, "in"), (name, "out")]
        else:
            cases.append((name, "list"))
    return cases


PAGES = sorted(name for name in URL_POLICY if name not in NOT_PAGES)
ENDPOINTS = sorted(
    name
    for name in ROUTES
    if name.startswith(API_NAMESPACE + ":") and name.split(":", 1)[1] not in NOT_ENDPOINTS
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world and one logged-in client per role, built once inside a rolled-back transaction."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = make_scope_world()
        clients = {ANONYMOUS: Client()}
        for role, user in built["users"].items():
            clients[role] = Client()
            clients[role].force_login(user)
        built["clients"] = clients
        yield built
        transaction.set_rollback(True)


def _url(world: dict, view_name: str, role: str, scope: str) -> str:
    names = _kwargs_of(view_name)
    missing = [k for k in names if k not in KWARG_BUILDERS]
    assert not missing, f"add a KWARG_BUILDERS entry for {missing} (used by {view_name})"
    builder_role = role if role != ANONYMOUS else "admin"
    kwargs = {k: KWARG_BUILDERS[k](world, builder_role, scope == "in") for k in names}
    return reverse(view_name, kwargs=kwargs or None)


def _has_permission(world: dict, role: str, rule: str) -> bool:
    if rule in PERMISSION_ROLES:
        return role in PERMISSION_ROLES[rule]
    return world["users"][role].has_perm(rule)


def _expected_page(world: dict, view_name: str, role: str, scope: str) -> str:
    rule = URL_POLICY[view_name]
    if rule == PUBLIC:
        return "ok"
    if role == ANONYMOUS:
        return "login"
    if rule != AUTHENTICATED and not _has_permission(world, role, rule):
        return "404"
    if scope == "out" and role not in GLOBAL_ROLES:
        return "404"
    return "ok"


def _outcome(response) -> str:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return "login"
    if response.status_code in (200, 301, 302):
        return "ok"
    return str(response.status_code)


def _assert_no_leak(role: str, response, view_name: str = "") -> None:
    if role in GLOBAL_ROLES or role == ANONYMOUS or view_name in PUBLIC_OPEN_DATA:
        return
    # A file (a site photo) streams; its bytes are read like a page's.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode(errors="replace")
    leaked = [name for name in OUT_OF_SCOPE_NAMES if name in body]
    assert leaked == [], f"{role} was shown out-of-scope data: {leaked}"


@pytest.mark.parametrize("role", CALLERS)
@pytest.mark.parametrize(("view_name", "scope"), _cases(PAGES))
def test_page_answers_each_role_per_the_policy(world, view_name, scope, role):
    """Pages: login for anonymous, 404 without the permission or outside scope, else open."""
    response = world["clients"][role].get(_url(world, view_name, role, scope))
    expected = _expected_page(world, view_name, role, scope)
    assert _outcome(response) == expected, (
        f"{role} on {view_name} ({scope}): {response.status_code}"
    )
    _assert_no_leak(role, response, view_name)


def _expected_api(view_name: str, role: str, scope: str) -> int:
    if role == ANONYMOUS:
        return 401
    if scope == "list" or role in GLOBAL_ROLES:
        return 200
    if scope == "out":
        return 404
    kinds = set(_kwargs_of(view_name))
    if role not in WORKBENCH_ROLES and view_name in STAFF_ONLY_API:
        return 404
    if role in WORKBENCH_ROLES or kinds <= RESIDENT_API_KWARGS:
        return 200
    return 404


@pytest.mark.parametrize("role", CALLERS)
@pytest.mark.parametrize(("view_name", "scope"), _cases(ENDPOINTS))
def test_endpoint_answers_each_role_per_scope(world, view_name, scope, role):
    """API: 401 for anonymous, 200 inside the scope, 404 outside it, never a leak."""
    response = world["clients"][role].get(_url(world, view_name, role, scope))
    assert response.status_code == _expected_api(view_name, role, scope), (
        f"{role} on {view_name} ({scope}): {response.status_code} {response.content[:200]!r}"
    )
    _assert_no_leak(role, response)


@pytest.mark.parametrize("role", ROLES)
def test_estate_list_endpoint_holds_the_in_scope_estate_for_every_role(world, role):
    """Every role's estate list holds 界内小区 (staff by scope, residents as their home)."""
    body = world["clients"][role].get(reverse(f"{API_NAMESPACE}:estate_list")).json()
    names = {e["name"] for e in body["items"]}
    assert "界内小区" in names
    assert ("界外小区" in names) == (role in GLOBAL_ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_region_list_endpoint_is_the_staff_scope(world, role):
    """Staff list their scope's regions, residents none; nobody scoped sees the other district."""
    body = world["clients"][role].get(reverse(f"{API_NAMESPACE}:region_list")).json()
    names = {r["name"] for r in body["items"]}
    assert ("金仓社区" in names) == (role in WORKBENCH_ROLES)
    assert ("东风西路社区" in names) == (role in GLOBAL_ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_home_page_sends_each_role_to_its_start(world, role):
    """Staff start on their to-do workbench, residents and owners on their feed (首页)."""
    response = world["clients"][role].get(reverse("web:home"))
    target = "daily:todo" if role in WORKBENCH_ROLES else "daily:feed"
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_every_role_is_in_the_world():
    """The matrix covers every role the accounts model knows."""
    assert set(SCOPE_WORLD_ROLES) == set(ROLES)


def test_the_matrix_covers_the_known_pages_and_endpoints():
    """The derived lists include at least today's pages and endpoints."""
    assert {
        "registry:workbench",
        "registry:region_tree",
        "registry:estate_list",
        "registry:estate_detail",
        "registry:resident_home",
        "web:home",
        # The street network a region's life-circle map draws (GeoJSON lines).
        "lifecircle:region_network",
    } <= set(PAGES)
    assert f"{API_NAMESPACE}:estate_dwellings" in ENDPOINTS
    assert f"{API_NAMESPACE}:me" in ENDPOINTS
