"""The needs API: campaigns, visits, opinions, demands and published lists; scope and bad input.

Every endpoint is also run for every role in and out of scope by tests/core/test_scope_matrix.py;
here each endpoint's behaviour is specified.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_grid, make_scope_world, make_user
from xiaoqu.accounts.models import ApiToken, Role, RoleAssignment
from xiaoqu.config.api import api
from xiaoqu.needs import services
from xiaoqu.needs.models import Channel, Correction, Demand, Opinion, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield make_scope_world()
        transaction.set_rollback(True)


def url(name: str, **kwargs) -> str:
    return reverse(f"api-1.0.0:{name}", kwargs=kwargs or None)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def get(user, name: str, params: dict | None = None, **kwargs):
    return client_for(user).get(url(name, **kwargs), params or {})


def send(user, method: str, name: str, body: dict, **kwargs):
    return getattr(client_for(user), method)(
        url(name, **kwargs), json.dumps(body, default=str), content_type="application/json"
    )


def user(world, role: str):
    return world["users"][role]


def inside(world):
    return world["needs"]["in"]


def visit_body(dwelling, **extra) -> dict:
    body = {
        "client_key": str(uuid.uuid4()),
        "dwelling_id": dwelling.pk,
        "visited_at": timezone.now().isoformat(),
        "outcome": "met",
        "people_met": 2,
        "opinions": [{"text": "一下雨家里就滴水，顶楼漏得恼火", "urgent": True}],
    }
    body.update(extra)
    return body


# --- campaigns --------------------------------------------------------------------------------


def test_staff_list_the_campaigns_of_their_estates_only(world):
    """A community worker sees 界内小区's campaign and not the other district's."""
    body = get(user(world, "community_staff"), "needs_campaign_list").json()
    assert [c["name"] for c in body["items"]] == ["界内小区敲门行动"]
    assert body["items"][0]["estates"] == [{"id": world["estate_in"].pk, "name": "界内小区"}]


def test_residents_have_no_campaigns(world):
    """Campaigns are staff work: a resident's list is empty."""
    assert get(user(world, "resident"), "needs_campaign_list").json()["count"] == 0


def test_campaign_detail_gives_progress_totals_by_grid_and_by_member(world):
    """Households visited out of all, person-visits and opinions, per grid and per visitor."""
    campaign = inside(world)["campaign"]
    body = get(user(world, "street_staff"), "needs_campaign_detail", campaign_id=campaign.pk).json()
    total = body["total"]
    dwellings = world["estate_in"].dwellings.count()
    assert (total["dwellings"], total["visited"], total["visits"], total["opinions"]) == (
        dwellings,
        1,
        1,
        1,
    )
    assert total["share"] == round(1 / dwellings, 4)
    assert [g["label"] for g in body["by_grid"]] == ["未划网格"]
    assert [m["label"] for m in body["by_member"]] == [user(world, "admin").name]


# --- visits -----------------------------------------------------------------------------------


def test_staff_read_visits_with_the_visitor_name_and_a_dwelling_label_only(world):
    """Visits show who knocked (staff) and which door, never the residents' names or phones."""
    visit = inside(world)["visit"]
    response = get(user(world, "grid_worker"), "needs_visit_list", {"estate_id": visit.estate_id})
    (row,) = response.json()["items"]
    assert row["visitor_name"] == user(world, "admin").name
    assert row["dwelling_label"] == visit.dwelling.label
    assert row["opinions_count"] == 1
    detail = get(user(world, "grid_worker"), "needs_visit_detail", visit_id=visit.pk)
    assert [o["text"] for o in detail.json()["opinions"]] == ["楼道灯坏了，晚上上楼黑黢黢的"]
    body = response.content.decode() + detail.content.decode()
    # Owners' phones are 137 and eight digits (tests/factories.make_scope_world); a user's
    # name such as 用户137 is not one.
    assert "业主" not in body and "居民甲" not in body
    assert not re.search(r"137\d{8}", body)


def test_visit_list_filters_by_campaign(world):
    """campaign_id narrows the list; another campaign's id gives none of these."""
    campaign = inside(world)["campaign"]
    staff = user(world, "community_staff")
    assert get(staff, "needs_visit_list", {"campaign_id": campaign.pk}).json()["count"] == 1
    other = world["needs"]["out"]["campaign"]
    assert get(staff, "needs_visit_list", {"campaign_id": other.pk}).json()["count"] == 0


def test_posting_a_visit_stores_it_once_whatever_the_resends(world):
    """The first POST answers 201; the same client_key again answers 200 with the same visit."""
    party = user(world, "party_member")
    dwelling = world["estate_in"].dwellings.order_by("pk").last()
    body = visit_body(dwelling, campaign_id=inside(world)["campaign"].pk)
    first = send(party, "post", "needs_visit_create", body)
    assert first.status_code == 201, first.content
    again = send(party, "post", "needs_visit_create", body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Visit.objects.filter(client_key=body["client_key"]).count() == 1
    (opinion,) = first.json()["opinions"]
    assert opinion["category"] == "roof_facade"
    assert opinion["urgent"] is True
    assert Opinion.objects.filter(visit_id=first.json()["id"]).count() == 1


def test_a_visit_to_a_dwelling_outside_the_scope_is_not_found(world):
    """A forged dwelling id from another district answers 404 and stores nothing."""
    dwelling = world["estate_out"].dwellings.first()
    before = Visit.objects.count()
    response = send(user(world, "grid_worker"), "post", "needs_visit_create", visit_body(dwelling))
    assert response.status_code == 404
    assert Visit.objects.count() == before


def test_a_visit_in_another_districts_campaign_is_not_found(world):
    """A campaign id outside the scope is 404 like a missing one."""
    dwelling = world["estate_in"].dwellings.first()
    body = visit_body(dwelling, campaign_id=world["needs"]["out"]["campaign"].pk)
    assert send(user(world, "grid_worker"), "post", "needs_visit_create", body).status_code == 404


def test_roles_without_the_visit_permission_are_not_found(world):
    """A property manager reads the estate but may not record door-knocks: the dwelling is
    404 like a missing one (as the API promises for anything out of scope); nothing stored."""
    dwelling = world["estate_in"].dwellings.first()
    before = Visit.objects.count()
    response = send(
        user(world, "property_manager"), "post", "needs_visit_create", visit_body(dwelling)
    )
    missing = send(
        user(world, "party_member"),
        "post",
        "needs_visit_create",
        visit_body(dwelling, dwelling_id=999_999),
    )
    assert (response.status_code, missing.status_code) == (404, 404)
    assert response.json() == missing.json()
    assert Visit.objects.count() == before


def test_a_campaign_the_visitor_does_not_knock_for_is_not_found(world):
    """The campaign is looked up with the visit permission, as on the phone page: one the
    caller only reads (a property manager of its estate who knocks on doors elsewhere) is 404
    like a missing one, not a refusal that tells it exists."""
    visitor = make_user(Role.PROPERTY_MANAGER, estate=world["estate_in"])
    elsewhere = make_estate(name="别处小区")
    grid = make_grid(list(elsewhere.buildings.all()), name="别处网格")
    RoleAssignment.objects.create(user=visitor, role=Role.GRID_WORKER, grid=grid)
    body = visit_body(elsewhere.dwellings.first(), campaign_id=inside(world)["campaign"].pk)
    before = Visit.objects.count()
    response = send(visitor, "post", "needs_visit_create", body)
    assert response.status_code == 404
    assert Visit.objects.count() == before


@pytest.mark.parametrize(
    ("text", "code"),
    [("   ", "text_empty"), ("😀😀👍", "text_empty"), ("漏" * 2001, "text_too_long")],
)
def test_a_visit_with_an_unreadable_opinion_is_refused_with_a_message(world, text, code):
    """Empty, emoji-only and over-long opinions: 400 with a Chinese message, nothing stored."""
    dwelling = world["estate_in"].dwellings.first()
    body = visit_body(dwelling, opinions=[{"text": text}])
    before = Visit.objects.count()
    response = send(user(world, "grid_worker"), "post", "needs_visit_create", body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "意见" in response.json()["detail"]
    assert Visit.objects.count() == before


def test_a_ten_megabyte_opinion_is_refused_with_a_message(world):
    """A 10 MB text never reaches the services: a 4xx answer with a message, nothing stored."""
    dwelling = world["estate_in"].dwellings.first()
    body = visit_body(dwelling, opinions=[{"text": "漏" * (10 * 1024 * 1024 // 3)}])
    before = Visit.objects.count()
    response = send(user(world, "grid_worker"), "post", "needs_visit_create", body)
    assert response.status_code in (400, 413, 422)
    assert response.json().get("message") or response.json().get("detail")
    assert Visit.objects.count() == before


def test_an_opinion_over_the_field_limit_is_a_422_with_a_message(world):
    """A 1 MB text (under the upload limit) is refused by validation, naming the field."""
    dwelling = world["estate_in"].dwellings.first()
    body = visit_body(dwelling, opinions=[{"text": "漏" * (1024 * 1024 // 3)}])
    response = send(user(world, "grid_worker"), "post", "needs_visit_create", body)
    assert response.status_code == 422
    assert "opinions.0.text" in response.json()["message"]


def test_a_visit_time_without_an_offset_is_read_as_beijing_time(world):
    """ "2025-10-08T09:30:00" from a phone is 09:30 in Asia/Shanghai."""
    dwelling = world["estate_in"].dwellings.order_by("pk")[4]
    body = visit_body(dwelling, opinions=[], visited_at="2025-10-08T09:30:00")
    response = send(user(world, "grid_worker"), "post", "needs_visit_create", body)
    assert response.status_code == 201, response.content
    visit = Visit.objects.get(pk=response.json()["id"])
    assert timezone.localtime(visit.visited_at).strftime("%H:%M") == "09:30"


def test_opinions_without_meeting_anyone_are_refused(world):
    """Nobody home, no opinions: 400 with the service's code."""
    dwelling = world["estate_in"].dwellings.first()
    body = visit_body(dwelling, outcome="not_home")
    response = send(user(world, "grid_worker"), "post", "needs_visit_create", body)
    assert response.status_code == 400
    assert response.json()["code"] == "opinions_without_meeting"


def test_a_malformed_visit_is_a_422_naming_the_fields(world):
    """A client key that is not a UUID and an unknown outcome are named in the message."""
    dwelling = world["estate_in"].dwellings.first()
    body = visit_body(dwelling, client_key="abc", outcome="maybe")
    response = send(user(world, "grid_worker"), "post", "needs_visit_create", body)
    assert response.status_code == 422
    assert "client_key" in response.json()["message"] and "outcome" in response.json()["message"]


# --- opinions ---------------------------------------------------------------------------------


def test_a_resident_lists_only_their_own_opinions(world):
    """The resident sees the opinion heard at their home, not their neighbour's."""
    body = get(user(world, "resident"), "needs_opinion_list").json()
    assert [o["id"] for o in body["items"]] == [inside(world)["opinions"][0].pk]
    assert body["items"][0]["mine"] is True


def test_staff_filter_opinions_by_category_and_channel(world):
    """category and channel narrow the staff list."""
    staff = user(world, "community_staff")
    roof = get(staff, "needs_opinion_list", {"category": "roof_facade"}).json()["items"]
    assert [o["text"] for o in roof] == ["下雨屋顶就漏水"]
    meeting = get(staff, "needs_opinion_list", {"channel": "meeting"}).json()["items"]
    assert [o["channel"] for o in meeting] == ["meeting"]
    every = get(staff, "needs_opinion_list").json()
    assert every["count"] == 2
    assert all(o["mine"] is False for o in every["items"])


def test_opinion_detail_for_its_resident_and_not_for_the_neighbour(world):
    """The owner opens the opinion heard at their dwelling; the resident next door gets 404."""
    theirs = inside(world)["opinions"][1]
    owner = get(user(world, "owner"), "needs_opinion_detail", opinion_id=theirs.pk)
    assert owner.status_code == 200
    assert owner.json()["demand_status"] == "collected"
    other = get(user(world, "resident"), "needs_opinion_detail", opinion_id=theirs.pk)
    assert other.status_code == 404


def test_staff_record_a_hotline_opinion(world):
    """A grid worker enters a hotline call: 201, classified and placed in a demand."""
    dwelling = world["estate_in"].dwellings.order_by("pk")[3]
    body = {
        "estate_id": world["estate_in"].pk,
        "text": "楼道灯又不亮了",
        "dwelling_id": dwelling.pk,
    }
    response = send(user(world, "grid_worker"), "post", "needs_opinion_create", body)
    assert response.status_code == 201, response.content
    row = response.json()
    assert (row["channel"], row["category"], row["dwelling_label"]) == (
        "hotline",
        "stairwell",
        dwelling.label,
    )
    assert row["demand_id"] == inside(world)["demand"].pk


def test_a_hotline_opinion_with_a_dwelling_of_another_estate_is_refused(world):
    """A dwelling outside the estate is 400 with a message; nothing is stored."""
    before = Opinion.objects.count()
    body = {
        "estate_id": world["estate_in"].pk,
        "text": "楼道灯又不亮了",
        "dwelling_id": world["estate_out"].dwellings.first().pk,
    }
    response = send(user(world, "community_staff"), "post", "needs_opinion_create", body)
    assert response.status_code == 400
    assert response.json()["code"] == "dwelling_outside"
    assert Opinion.objects.count() == before


def test_a_hotline_opinion_for_an_estate_outside_the_scope_is_not_found(world):
    """A forged estate id answers 404 like a missing one."""
    body = {"estate_id": world["estate_out"].pk, "text": "楼道灯又不亮了"}
    response = send(user(world, "community_staff"), "post", "needs_opinion_create", body)
    assert response.status_code == 404
    body = {"estate_id": 999_999, "text": "楼道灯又不亮了"}
    assert (
        send(user(world, "community_staff"), "post", "needs_opinion_create", body).status_code
        == 404
    )


def test_a_hotline_opinion_without_the_permission_is_not_found(world):
    """A Party member reads the estate but may not record hotline calls: 404 as for an estate
    out of scope, and nothing is stored."""
    before = Opinion.objects.count()
    body = {"estate_id": world["estate_in"].pk, "text": "楼道灯又不亮了", "channel": "hotline"}
    party = send(user(world, "party_member"), "post", "needs_opinion_create", body)
    body["estate_id"] = world["estate_out"].pk
    staff = send(user(world, "community_staff"), "post", "needs_opinion_create", body)
    assert (party.status_code, staff.status_code) == (404, 404)
    assert party.json() == staff.json()
    assert Opinion.objects.count() == before


def test_an_empty_hotline_opinion_is_refused(world):
    """Blank text: 400 text_empty with a message."""
    body = {"estate_id": world["estate_in"].pk, "text": "  "}
    response = send(user(world, "community_staff"), "post", "needs_opinion_create", body)
    assert response.status_code == 400
    assert response.json()["code"] == "text_empty"


def test_a_resident_submits_their_own_opinion_once(world):
    """A resident's submission is 201; resent with the same key, 200 and the same opinion."""
    body = {
        "estate_id": world["estate_in"].pk,
        "text": "单元门口的台阶太高，老人坐轮椅出不去",
        "client_key": str(uuid.uuid4()),
        "dwelling_id": world["home_dwellings"][0].pk,
    }
    resident = user(world, "resident")
    first = send(resident, "post", "needs_opinion_create", body)
    assert first.status_code == 201, first.content
    assert first.json()["channel"] == "resident"
    assert first.json()["mine"] is True
    again = send(resident, "post", "needs_opinion_create", body)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert Opinion.objects.filter(client_key=body["client_key"]).count() == 1


def test_a_resident_cannot_submit_for_another_estate_or_anothers_dwelling(world):
    """Another estate and a neighbour's dwelling are both 404."""
    resident = user(world, "resident")
    body = {"estate_id": world["estate_out"].pk, "text": "楼道灯坏了"}
    assert send(resident, "post", "needs_opinion_create", body).status_code == 404
    body = {
        "estate_id": world["estate_in"].pk,
        "text": "楼道灯坏了",
        "dwelling_id": world["home_dwellings"][1].pk,
    }
    assert send(resident, "post", "needs_opinion_create", body).status_code == 404


def test_staff_correct_a_category_and_the_correction_is_kept(world):
    """PATCH category: the opinion is re-placed and a Correction row feeds the next training."""
    opinion = inside(world)["opinions"][0]
    response = send(
        user(world, "grid_worker"),
        "patch",
        "needs_opinion_recategorise",
        {"category": "greening_lighting"},
        opinion_id=opinion.pk,
    )
    assert response.status_code == 200, response.content
    assert response.json()["category"] == "greening_lighting"
    assert response.json()["category_by_staff"] is True
    correction = Correction.objects.get(opinion=opinion)
    assert (correction.old_category, correction.new_category) == ("stairwell", "greening_lighting")


def test_an_unknown_category_is_refused(world):
    """A code outside the taxonomy: 400 code "category"."""
    opinion = inside(world)["opinions"][0]
    response = send(
        user(world, "community_staff"),
        "patch",
        "needs_opinion_recategorise",
        {"category": "no_such"},
        opinion_id=opinion.pk,
    )
    assert (response.status_code, response.json()["code"]) == (400, "category")


def test_correcting_needs_the_permission_and_the_scope(world):
    """A Party member may read but not correct, and another district's opinion is out of
    scope: both 404, alike."""
    opinion = inside(world)["opinions"][0]
    body = {"category": "parking"}
    party = send(
        user(world, "party_member"),
        "patch",
        "needs_opinion_recategorise",
        body,
        opinion_id=opinion.pk,
    )
    assert party.status_code == 404
    out = world["needs"]["out"]["opinions"][0]
    staff = send(
        user(world, "community_staff"),
        "patch",
        "needs_opinion_recategorise",
        body,
        opinion_id=out.pk,
    )
    assert staff.status_code == 404
    assert party.json() == staff.json()
    resident = send(
        user(world, "resident"), "patch", "needs_opinion_recategorise", body, opinion_id=opinion.pk
    )
    assert resident.status_code == 404


# --- demands ----------------------------------------------------------------------------------


def test_staff_read_the_live_demands_with_figures_and_priority(world):
    """Demands come with households, share and priority, highest first."""
    estate = world["estate_in"]
    body = get(user(world, "party_member"), "needs_estate_demands", estate_id=estate.pk).json()
    assert body["households"] == estate.dwellings.count()
    assert len(body["items"]) == 2
    priorities = [float(r["priority"]) for r in body["items"]]
    assert priorities == sorted(priorities, reverse=True)
    assert {r["households"] for r in body["items"]} == {1}


def test_residents_do_not_see_the_live_demands(world):
    """Residents read published lists; the working list is 404 for them."""
    estate = world["estate_in"]
    assert (
        get(user(world, "resident"), "needs_estate_demands", estate_id=estate.pk).status_code == 404
    )


def test_demand_detail_lists_its_opinions_by_dwelling_label(world):
    """A demand shows its opinions with dwelling labels and no names."""
    demand = inside(world)["demand"]
    response = get(user(world, "community_staff"), "needs_demand_detail", demand_id=demand.pk)
    body = response.json()
    assert body["title"] == demand.title
    assert [o["dwelling_label"] for o in body["opinion_list"]] == [world["home_dwellings"][0].label]
    assert "业主" not in response.content.decode()


def test_staff_move_a_demand_and_decline_one_with_a_reason(world):
    """assessed → 200; declined without a reason → 400; with one → 200 and the reason kept."""
    staff = user(world, "community_staff")
    demand = inside(world)["demand"]
    moved = send(
        staff, "post", "needs_demand_set_status", {"status": "assessed"}, demand_id=demand.pk
    )
    assert (moved.status_code, moved.json()["status"]) == (200, "assessed")
    refused = send(
        staff, "post", "needs_demand_set_status", {"status": "declined"}, demand_id=demand.pk
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "reason_required")
    body = {"status": "declined", "reason": "楼道灯由供电所统一更换，不列入本次改造"}
    declined = send(staff, "post", "needs_demand_set_status", body, demand_id=demand.pk)
    assert declined.status_code == 200
    assert Demand.objects.get(pk=demand.pk).declined_reason == body["reason"]


def test_a_forbidden_transition_is_a_400_with_a_message(world):
    """collected → done skips steps: 400 "transition" with the labels in the message."""
    staff = user(world, "street_staff")
    demand = inside(world)["demand"]
    response = send(
        staff, "post", "needs_demand_set_status", {"status": "done"}, demand_id=demand.pk
    )
    assert (response.status_code, response.json()["code"]) == (400, "transition")
    assert "已完成" in response.json()["detail"]


def test_changing_a_demand_needs_the_permission_and_the_scope(world):
    """A grid worker may not manage demands, and another district's demand is out of scope:
    both 404, alike; nothing changes."""
    demand = inside(world)["demand"]
    body = {"status": "assessed"}
    grid = send(
        user(world, "grid_worker"), "post", "needs_demand_set_status", body, demand_id=demand.pk
    )
    assert grid.status_code == 404
    out = world["needs"]["out"]["demand"]
    staff = send(
        user(world, "community_staff"), "post", "needs_demand_set_status", body, demand_id=out.pk
    )
    assert staff.status_code == 404
    assert grid.json() == staff.json()
    demand.refresh_from_db()
    assert demand.status == "collected"


# --- published lists --------------------------------------------------------------------------


def test_residents_read_the_published_lists_of_their_estate(world):
    """The resident lists the versions and opens one; demand ids are for staff only."""
    resident = user(world, "resident")
    estate = world["estate_in"]
    versions = get(resident, "needs_estate_lists", estate_id=estate.pk).json()["items"]
    assert [v["version"] for v in versions] == [1]
    detail = get(resident, "needs_list_detail", list_id=versions[0]["id"]).json()
    assert [i["rank"] for i in detail["items"]] == [1, 2]
    assert {i["demand_id"] for i in detail["items"]} == {None}
    staff = get(user(world, "community_staff"), "needs_list_detail", list_id=versions[0]["id"])
    assert None not in {i["demand_id"] for i in staff.json()["items"]}


def test_a_published_list_shows_what_was_published_not_what_changed_since(world):
    """After a status change the published item keeps the status it was published with."""
    demand = inside(world)["demand"]
    services.demand_set_status(demand=demand, status="assessed", actor=user(world, "admin"))
    detail = get(user(world, "owner"), "needs_list_detail", list_id=inside(world)["list"].pk).json()
    assert {i["status"] for i in detail["items"]} == {"collected"}


def test_another_estates_list_is_not_found_for_residents(world):
    """A list of the other district is 404 for the resident, like a missing id."""
    resident = user(world, "resident")
    out = world["needs"]["out"]["list"]
    assert get(resident, "needs_list_detail", list_id=out.pk).status_code == 404
    assert get(resident, "needs_list_detail", list_id=999_999).status_code == 404
    other = world["estate_out"].pk
    assert get(resident, "needs_estate_lists", estate_id=other).status_code == 404


# --- grid scope -------------------------------------------------------------------------------


def test_a_grid_worker_sees_only_their_grids_visits_and_opinions():
    """A worker scoped to one grid sees that grid's buildings' visits and opinions only."""
    estate = make_estate(name="两栋小区", buildings=2)
    b1, b2 = estate.buildings.order_by("number")
    grid = make_grid([b1])
    worker = make_user()
    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=grid)
    staff = make_user("community_staff", region=estate.community)
    d1 = b1.dwellings.first()
    d2 = b2.dwellings.first()
    for dwelling, text in ((d1, "楼道灯坏了"), (d2, "屋顶漏雨")):
        services.visit_record(
            client_key=uuid.uuid4(),
            dwelling=dwelling,
            visitor=staff,
            visited_at=timezone.now(),
            outcome="met",
            opinions=[services.OpinionInput(text=text)],
        )
    services.opinions_record(
        estate=estate,
        items=[services.OpinionInput(text="小区没有停车位")],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    visits = get(worker, "needs_visit_list").json()["items"]
    assert [v["dwelling_id"] for v in visits] == [d1.pk]
    opinions = get(worker, "needs_opinion_list").json()["items"]
    assert [o["text"] for o in opinions] == ["楼道灯坏了"]
    other_visit = Visit.objects.get(dwelling=d2)
    assert get(worker, "needs_visit_detail", visit_id=other_visit.pk).status_code == 404
    # The community worker sees the whole estate, the estate-level hotline call included.
    assert get(staff, "needs_opinion_list", {"estate_id": estate.pk}).json()["count"] == 3


# --- authentication and schema ----------------------------------------------------------------


def test_a_token_client_posts_a_visit_without_a_session(world):
    """Machines send a bearer token; no CSRF token is needed."""
    _token, raw = ApiToken.issue(user=user(world, "grid_worker"), name="phone")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    dwelling = world["estate_in"].dwellings.order_by("pk")[2]
    body = visit_body(
        dwelling, opinions=[], outcome="not_home", visited_at=timezone.now() - dt.timedelta(hours=1)
    )
    response = client.post(
        url("needs_visit_create"), json.dumps(body, default=str), content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_anonymous_callers_are_refused(world):
    """No token, no session: 401 with a message."""
    response = Client().get(url("needs_opinion_list"))
    assert response.status_code == 401


def test_the_openapi_schema_lists_the_needs_endpoints_in_chinese():
    """Every needs path is in the schema, each operation with a Chinese summary."""
    schema = api.get_openapi_schema()
    paths = {p: ops for p, ops in schema["paths"].items() if "/needs/" in p}
    assert {
        "/api/v1/needs/campaigns",
        "/api/v1/needs/campaigns/{campaign_id}",
        "/api/v1/needs/visits",
        "/api/v1/needs/visits/{visit_id}",
        "/api/v1/needs/opinions",
        "/api/v1/needs/opinions/{opinion_id}",
        "/api/v1/needs/opinions/{opinion_id}/category",
        "/api/v1/needs/estates/{estate_id}/demands",
        "/api/v1/needs/demands/{demand_id}",
        "/api/v1/needs/demands/{demand_id}/status",
        "/api/v1/needs/estates/{estate_id}/lists",
        "/api/v1/needs/lists/{list_id}",
    } <= set(paths)
    for ops in paths.values():
        for op in ops.values():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in op["summary"])
            assert any("\u4e00" <= ch <= "\u9fff" for ch in op.get("description", ""))
    assert set(paths["/api/v1/needs/visits"]) == {"get", "post"}
