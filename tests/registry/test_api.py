"""The register API: endpoints, pagination, filters, masking, authentication, scope."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_scope_world, make_user, region_chain
from xiaoqu.accounts.models import ApiToken
from xiaoqu.config.api import api
from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate, RenovationStage
from xiaoqu.registry.schemas import PAGE_MAX

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


def token_client(user) -> Client:
    _token, raw = ApiToken.issue(user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def get(user, name: str, params: dict | None = None, **kwargs):
    return client_for(user).get(url(name, **kwargs), params or {})


# --- estates ----------------------------------------------------------------------------


def test_staff_estate_list_holds_their_scope_only(world):
    """A community worker lists the estates of their community and none outside it."""
    response = get(world["users"]["community_staff"], "estate_list")
    assert response.status_code == 200
    body = response.json()
    assert [e["name"] for e in body["items"]] == ["界内小区"]
    assert body["count"] == 1


def test_global_admin_lists_every_estate(world):
    """An unscoped administrator sees the whole register."""
    body = get(world["users"]["admin"], "estate_list").json()
    assert {e["name"] for e in body["items"]} == {"界内小区", "界外小区"}


def test_estate_detail_has_counts_and_eligibility(world):
    """The estate detail adds building and dwelling counts to the list fields."""
    estate = world["estate_in"]
    body = get(world["users"]["street_staff"], "estate_detail", estate_id=estate.pk).json()
    assert body["id"] == estate.pk
    assert body["buildings"] == 1
    assert body["dwellings"] == estate.dwellings.count()
    assert body["eligible"] is True
    assert body["community_name"] == "金仓社区"


def test_out_of_scope_estate_is_404_like_a_missing_one(world):
    """An estate outside the scope answers exactly as an id that does not exist."""
    user = world["users"]["street_staff"]
    out = get(user, "estate_detail", estate_id=world["estate_out"].pk)
    missing = get(user, "estate_detail", estate_id=999_999)
    assert out.status_code == missing.status_code == 404
    assert out.json() == missing.json()


def test_estate_filter_by_region_covers_the_subtree(world):
    """?region= keeps the estates of that region and everything below it."""
    admin = world["users"]["admin"]
    district_in = world["chain_in"][2]
    body = get(admin, "estate_list", {"region": district_in.pk}).json()
    assert [e["name"] for e in body["items"]] == ["界内小区"]


def test_estate_filter_by_out_of_scope_region_is_empty(world):
    """A region outside the scope filters to nothing, the same as an unknown region."""
    user = world["users"]["community_staff"]
    out = get(user, "estate_list", {"region": world["chain_out"][-1].pk}).json()
    missing = get(user, "estate_list", {"region": 999_999}).json()
    assert out["count"] == missing["count"] == 0


def test_estate_filter_by_year_and_eligibility(world):
    """Year bounds are inclusive; eligible=true keeps estates built before the cut-off year."""
    admin = world["users"]["admin"]
    assert [e["name"] for e in get(admin, "estate_list", {"eligible": "true"}).json()["items"]] == [
        "界内小区"
    ]
    assert [
        e["name"] for e in get(admin, "estate_list", {"eligible": "false"}).json()["items"]
    ] == ["界外小区"]
    body = get(admin, "estate_list", {"year_built_min": 2008, "year_built_max": 2008}).json()
    assert [e["name"] for e in body["items"]] == ["界外小区"]


def test_estate_filter_by_stage_and_text(world):
    """stage= matches the renovation stage; q= searches name, code and address."""
    admin = world["users"]["admin"]
    Estate.objects.filter(pk=world["estate_out"].pk).update(stage=RenovationStage.WORKS)
    body = get(admin, "estate_list", {"stage": "works"}).json()
    assert [e["name"] for e in body["items"]] == ["界外小区"]
    body = get(admin, "estate_list", {"q": "界内"}).json()
    assert [e["name"] for e in body["items"]] == ["界内小区"]
    body = get(admin, "estate_list", {"q": world["estate_out"].code}).json()
    assert [e["name"] for e in body["items"]] == ["界外小区"]


@pytest.mark.parametrize(
    "params",
    [
        {"year_built_min": 2000, "year_built_max": 1990},
        {"year_built_min": "abc"},
        {"stage": "flying"},
        {"eligible": "perhaps"},
        {"region": "x"},
        {"limit": 0},
        {"limit": PAGE_MAX + 1},
        {"offset": -1},
    ],
)
def test_bad_estate_query_parameters_are_422_with_a_message(world, params):
    """Malformed filters and page sizes are refused with the offending field named."""
    response = get(world["users"]["admin"], "estate_list", params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail and all(d["msg"] for d in detail)


def test_year_range_error_message_is_chinese(world):
    """An inverted year range says so in Chinese."""
    response = get(
        world["users"]["admin"], "estate_list", {"year_built_min": 2000, "year_built_max": 1990}
    )
    assert "建成年份下限不能大于上限" in response.json()["detail"][0]["msg"]


def test_pagination_returns_count_and_slices(world):
    """limit/offset slice the list in a stable order while count stays the total."""
    admin = world["users"]["admin"]
    estate = world["estate_in"]
    total = estate.dwellings.count()
    first = get(admin, "estate_dwellings", {"limit": 3}, estate_id=estate.pk).json()
    rest = get(admin, "estate_dwellings", {"limit": 50, "offset": 3}, estate_id=estate.pk).json()
    assert first["count"] == rest["count"] == total
    assert (first["limit"], first["offset"]) == (3, 0)
    ids = [d["id"] for d in first["items"]] + [d["id"] for d in rest["items"]]
    assert len(ids) == len(set(ids)) == total


def test_pagination_default_page_size_is_bounded(world):
    """Without limit, a list returns at most the default page."""
    body = get(world["users"]["admin"], "estate_list").json()
    assert body["limit"] == 50 and body["offset"] == 0


# --- regions ----------------------------------------------------------------------------


def test_region_list_is_the_scope_subtree(world):
    """A street worker lists their street and its communities, nothing above or beside."""
    body = get(world["users"]["street_staff"], "region_list").json()
    assert [r["name"] for r in body["items"]] == ["盐务街街道", "金仓社区"]


def test_region_list_by_parent_lists_children(world):
    """?parent= lists the children of an accessible region."""
    province = world["chain_in"][0]
    body = get(world["users"]["admin"], "region_list", {"parent": province.pk}).json()
    assert {r["name"] for r in body["items"]} == {"贵阳市", "六盘水市"}


def test_region_list_by_out_of_scope_parent_is_404(world):
    """A parent outside the scope is refused as if it did not exist."""
    user = world["users"]["street_staff"]
    response = get(user, "region_list", {"parent": world["chain_out"][3].pk})
    assert response.status_code == 404


def test_region_children_and_detail(world):
    """The children endpoint and the detail endpoint agree with the tree."""
    admin = world["users"]["admin"]
    district = world["chain_in"][2]
    detail = get(admin, "region_detail", region_id=district.pk).json()
    assert detail["name"] == "云岩区" and detail["level"] == "district"
    children = get(admin, "region_children", region_id=district.pk).json()
    assert [r["name"] for r in children["items"]] == ["盐务街街道"]


def test_region_outside_scope_is_404(world):
    """A region outside the scope, or above it, is 404 for detail and children alike."""
    user = world["users"]["street_staff"]
    for region in (world["chain_out"][-1], world["chain_in"][0]):
        assert get(user, "region_detail", region_id=region.pk).status_code == 404
        assert get(user, "region_children", region_id=region.pk).status_code == 404


def test_residents_see_no_regions(world):
    """The region tree is for staff; a resident's list is empty."""
    body = get(world["users"]["resident"], "region_list").json()
    assert body["count"] == 0


# --- buildings, entrances, dwellings ------------------------------------------------------


def test_buildings_and_entrances_of_an_estate(world):
    """An estate's buildings, and a building's entrances, are listed in number order."""
    user = world["users"]["grid_worker"]
    estate = world["estate_in"]
    buildings = get(user, "estate_buildings", estate_id=estate.pk).json()["items"]
    assert [b["number"] for b in buildings] == ["1"]
    entrances = get(user, "building_entrances", building_id=buildings[0]["id"]).json()["items"]
    assert [e["number"] for e in entrances] == ["1", "2"]


def test_entrance_dwellings_are_that_entrance_only(world):
    """The dwellings of an entrance belong to it and come with their owners."""
    entrance = Entrance.objects.filter(building__estate=world["estate_in"]).order_by("pk")[1]
    body = get(world["users"]["grid_worker"], "entrance_dwellings", entrance_id=entrance.pk).json()
    assert body["count"] == entrance.dwellings.count() > 0
    assert {d["entrance_id"] for d in body["items"]} == {entrance.pk}
    assert all(len(d["owners"]) == 1 for d in body["items"])


def test_building_and_entrance_outside_scope_are_404(world):
    """Buildings, entrances and dwellings of another estate are 404, as missing ones are."""
    user = world["users"]["grid_worker"]
    out = world["estate_out"]
    building = Building.objects.filter(estate=out).first()
    entrance = Entrance.objects.filter(building__estate=out).first()
    dwelling = Dwelling.objects.filter(estate=out).first()
    assert get(user, "estate_buildings", estate_id=out.pk).status_code == 404
    assert get(user, "building_entrances", building_id=building.pk).status_code == 404
    assert get(user, "entrance_dwellings", entrance_id=entrance.pk).status_code == 404
    assert get(user, "dwelling_detail", dwelling_id=dwelling.pk).status_code == 404
    assert get(user, "building_entrances", building_id=999_999).status_code == 404
    assert get(user, "entrance_dwellings", entrance_id=999_999).status_code == 404
    assert get(user, "dwelling_detail", dwelling_id=999_999).status_code == 404


def _owner_of_first_dwelling(user, world) -> dict:
    body = get(user, "estate_dwellings", estate_id=world["estate_in"].pk).json()
    return body["items"][0]["owners"][0]


def test_phone_roles_see_names_and_full_phones(world):
    """A grid worker needs to reach residents: full name and phone, ID still last four only."""
    owner = _owner_of_first_dwelling(world["users"]["grid_worker"], world)
    assert owner["name"].startswith("业主")
    assert owner["phone"].isdigit() and len(owner["phone"]) == 11
    assert owner["id_number"].startswith("*") and len(owner["id_number"]) == 18
    assert owner["id_number"][-4:].isdigit()


def test_name_roles_see_names_with_masked_phones(world):
    """A Party member sees owners' names but phones as 137****0001."""
    owner = _owner_of_first_dwelling(world["users"]["party_member"], world)
    assert owner["name"].startswith("业主") and "*" not in owner["name"]
    assert "****" in owner["phone"]


def test_other_roles_see_masked_names_and_phones(world):
    """A contractor sees neither owners' names nor phones."""
    owner = _owner_of_first_dwelling(world["users"]["contractor"], world)
    assert "*" in owner["name"] and "****" in owner["phone"]


def test_id_numbers_never_leave_in_full(world):
    """No role, not even the administrator, receives a whole ID number."""
    body = get(world["users"]["admin"], "estate_dwellings", estate_id=world["estate_in"].pk)
    for dwelling in body.json()["items"]:
        for owner in dwelling["owners"]:
            assert owner["id_number"].count("*") == 14


# --- residents ----------------------------------------------------------------------------


def test_resident_sees_their_home_estate_only(world):
    """A resident's estate list is the estate they live in."""
    body = get(world["users"]["resident"], "estate_list").json()
    assert [e["name"] for e in body["items"]] == ["界内小区"]
    out = get(world["users"]["resident"], "estate_detail", estate_id=world["estate_out"].pk)
    assert out.status_code == 404


def test_resident_sees_only_their_own_dwelling(world):
    """Of their estate's dwellings, a resident lists only the one they live in."""
    home = world["home_dwellings"][0]
    body = get(world["users"]["resident"], "estate_dwellings", estate_id=home.estate_id).json()
    assert [d["id"] for d in body["items"]] == [home.pk]


def test_resident_cannot_open_a_neighbours_dwelling(world):
    """A neighbour's dwelling in the same estate is 404 for a resident."""
    neighbour = world["home_dwellings"][1]
    response = get(world["users"]["resident"], "dwelling_detail", dwelling_id=neighbour.pk)
    assert response.status_code == 404


def test_owner_sees_themself_unmasked_and_co_owners_masked(world):
    """An owner reads their own name and phone in full; nobody else's."""
    from xiaoqu.registry.models import Ownership, Person

    dwelling = world["home_dwellings"][1]
    co_owner = Person.objects.create(name="共有人乙", phone="13600000000")
    Ownership.objects.create(person=co_owner, dwelling=dwelling)
    user = world["users"]["owner"]
    body = get(user, "dwelling_detail", dwelling_id=dwelling.pk).json()
    me = [o for o in body["owners"] if o["is_me"]]
    others = [o for o in body["owners"] if not o["is_me"]]
    assert me[0]["name"] == user.person.name and me[0]["phone"] == user.person.phone
    assert others[0]["name"] == "共***" and others[0]["phone"] == "136****0000"


def test_staff_living_elsewhere_get_the_resident_view_of_their_home(world):
    """A worker scoped to one estate who lives in another sees only their own dwelling there."""
    from xiaoqu.registry.models import Residency

    out = world["estate_out"]
    own = Dwelling.objects.filter(estate=out).order_by("pk").first()
    user = make_user(
        "grid_worker", estate=world["estate_in"], person=world["users"]["resident"].person
    )
    Residency.objects.create(person=user.person, dwelling=own, relation="family")
    names = {e["name"] for e in get(user, "estate_list").json()["items"]}
    assert names == {"界内小区", "界外小区"}
    body = get(user, "estate_dwellings", estate_id=out.pk).json()
    assert [d["id"] for d in body["items"]] == [own.pk]
    assert "*" in body["items"][0]["owners"][0]["name"]


# --- authentication -------------------------------------------------------------------------


def test_bearer_token_authenticates(world):
    """A live token in the Authorization header acts as its user."""
    client = token_client(world["users"]["community_staff"])
    body = client.get(url("estate_list")).json()
    assert [e["name"] for e in body["items"]] == ["界内小区"]


def test_header_token_authenticates(world):
    """The X-Api-Token header works for clients that cannot send Authorization."""
    _token, raw = ApiToken.issue(user=world["users"]["admin"], name="header")
    response = Client(headers={"X-Api-Token": raw}).get(url("me"))
    assert response.status_code == 200
    assert response.json()["roles"] == [{"role": "admin", "region_id": None, "estate_id": None}]


def test_token_use_is_recorded(world):
    """The token's last use is stamped so forgotten tokens can be found."""
    token, raw = ApiToken.issue(user=world["users"]["admin"], name="stamp")
    Client(headers={"Authorization": f"Bearer {raw}"}).get(url("me"))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_401(world):
    """A revoked token no longer authenticates."""
    token, raw = ApiToken.issue(user=world["users"]["admin"], name="old")
    token.revoked = True
    token.save()
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get(url("estate_list"))
    assert response.status_code == 401


def test_wrong_token_is_401(world):
    """An unknown token is refused."""
    response = Client(headers={"Authorization": "Bearer xq_not-a-real-token"}).get(
        url("estate_list")
    )
    assert response.status_code == 401


def test_token_of_inactive_user_is_401(world):
    """Deactivating a user disables their tokens at once."""
    user = make_user("admin")
    _token, raw = ApiToken.issue(user=user, name="gone")
    user.is_active = False
    user.save()
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get(url("me"))
    assert response.status_code == 401


def test_anonymous_is_401(world):
    """Without a token or a session every endpoint refuses."""
    assert Client().get(url("estate_list")).status_code == 401


def test_session_authenticates(world):
    """A logged-in browser session works for htmx pages."""
    response = client_for(world["users"]["admin"]).get(url("me"))
    assert response.status_code == 200
    assert response.json()["phone"].count("*") == 4


def test_me_lists_home_estates(world):
    """/me tells a resident which estates are theirs."""
    body = get(world["users"]["resident"], "me").json()
    assert body["home_estate_ids"] == [world["estate_in"].pk]


# --- schema -------------------------------------------------------------------------------


EXPECTED_PATHS = {
    "/api/v1/me",
    "/api/v1/regions",
    "/api/v1/regions/{region_id}",
    "/api/v1/regions/{region_id}/children",
    "/api/v1/estates",
    "/api/v1/estates/{estate_id}",
    "/api/v1/estates/{estate_id}/buildings",
    "/api/v1/estates/{estate_id}/dwellings",
    "/api/v1/buildings/{building_id}/entrances",
    "/api/v1/entrances/{entrance_id}/dwellings",
    "/api/v1/dwellings/{dwelling_id}",
}


def test_openapi_schema_lists_every_endpoint():
    """/api/v1/openapi.json is public and describes every path with a readable operation id."""
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) >= EXPECTED_PATHS
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert all("xiaoqu" not in op and "_api_" not in op for op in operation_ids)
    assert len(operation_ids) == len(set(operation_ids))


def test_every_api_route_is_listed_in_the_schema():
    """No mounted register endpoint is left out of the schema (nor the test above out of date);
    the other apps' paths are checked in their own tests.
    """
    schema_paths = set(api.get_openapi_schema()["paths"])
    others = {p for p in schema_paths if p.startswith(("/api/v1/needs/", "/api/v1/access/"))}
    assert schema_paths - others == EXPECTED_PATHS


def test_docs_page_is_served():
    """The interactive docs page answers."""
    assert Client().get("/api/v1/docs").status_code == 200


def test_docs_page_loads_no_script_from_a_cdn():
    """Swagger UI comes from the project's own static files, never a CDN."""
    html = Client().get("/api/v1/docs").content.decode()
    assert "cdn." not in html and "unpkg" not in html


def test_a_region_and_estate_made_later_are_found(world):
    """Objects created after the world was built fall into scope by region path too."""
    community = region_chain(("贵州省", "贵阳市", "云岩区", "盐务街街道", "吉祥社区"))[-1]
    estate = make_estate(community, name="吉祥小区")
    user = world["users"]["street_staff"]
    assert get(user, "estate_detail", estate_id=estate.pk).status_code == 200
    assert (
        get(world["users"]["community_staff"], "estate_detail", estate_id=estate.pk).status_code
        == 404
    )


def test_bad_parameter_message_names_the_field(world):
    """A 422 carries one sentence naming the offending parameters."""
    response = get(world["users"]["admin"], "estate_list", {"limit": 0, "stage": "x"})
    message = response.json()["message"]
    assert message.startswith("请求参数不正确") and "limit" in message and "stage" in message


def test_non_numeric_path_id_is_422(world):
    """An id that is not a number is a bad request, not a lookup."""
    response = client_for(world["users"]["admin"]).get("/api/v1/estates/abc")
    assert response.status_code == 422


def test_not_found_and_unauthorised_speak_chinese(world):
    """404 and 401 bodies are short fixed sentences in Chinese, with their codes."""
    assert get(world["users"]["admin"], "estate_detail", estate_id=999_999).json() == {
        "detail": "未找到",
        "code": "not_found",
    }
    assert Client().get(url("estate_list")).json() == {
        "detail": "需要登录或有效的接口令牌",
        "code": "unauthenticated",
    }


def test_dwelling_list_queries_do_not_grow_with_the_page(world):
    """Owners are prefetched: a long page costs the same queries as a short one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world["users"]["grid_worker"])
    path = url("estate_dwellings", estate_id=world["estate_in"].pk)
    counts = []
    for limit in (1, 8):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path, {"limit": limit}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
