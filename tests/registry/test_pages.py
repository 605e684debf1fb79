"""The register's web pages: workbench, region tree, estate list and page, resident home,
the base layout and the admin, seen by each kind of user."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_owner, make_person, make_user, region_chain
from xiaoqu.accounts.models import User
from xiaoqu.core.models import AuditLog
from xiaoqu.core.pii import hash_id_number
from xiaoqu.registry.models import Estate, Person, Region, Residency

pytestmark = pytest.mark.django_db

LIST = reverse("registry:estate_list")
TREE = reverse("registry:region_tree")

OTHER_CHAIN = ("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区")


def _page(response) -> bytes:
    """The page without what differs per request: the CSRF tokens (htmx's header and the
    header's forms), the path the header's forms return to, and the address the page repeats."""
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)
    content = re.sub(rb'name="next" value="[^"]*"', b"", content)
    content = content.replace(response.wsgi_request.get_full_path().encode(), b"")
    return re.sub(rb'"X-CSRFToken": "[^"]*"', b"", content)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


def listed_codes(response) -> list[str]:
    return [e.code for e in response.context["page"].object_list]


@pytest.fixture
def jincang() -> Region:
    return region_chain()[-1]


@pytest.fixture
def yunyan(jincang) -> Region:
    return Region.objects.get(name="云岩区")


@pytest.fixture
def elsewhere() -> Region:
    return region_chain(OTHER_CHAIN)[-1]


# ---------------------------------------------------------------- workbench


def test_workbench_counts_estates_and_households_in_scope_only(jincang, elsewhere):
    """The workbench counts the user's scope: estates, eligible estates, households, stages."""
    make_estate(jincang, year_built=1990, floors=2, per_floor=2)  # 4 households
    make_estate(jincang, year_built=2005, floors=1, per_floor=3)  # 3 households, too new
    make_estate(elsewhere, year_built=1980)
    user = make_user("street_staff", region=jincang)
    response = login(user).get(reverse("registry:workbench"))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary["estates"], summary["eligible_estates"]) == (2, 1)
    assert (summary["households"], summary["eligible_households"]) == (7, 4)
    not_started = next(s for s in summary["stages"] if s["value"] == "not_started")
    assert not_started["estates"] == 2


def test_workbench_does_not_scan_dwellings(jincang, django_assert_max_num_queries):
    """The counts come from Estate rows: a fixed handful of queries, whatever the size."""
    make_estate(jincang, floors=6, per_floor=4)
    client = login(make_user("housing_bureau", region=jincang))
    with django_assert_max_num_queries(8) as captured:
        client.get(reverse("registry:workbench"))
    assert not any("registry_dwelling" in q["sql"] for q in captured.captured_queries)


def test_resident_cannot_open_the_workbench_pages(jincang):
    """Workbench pages answer 404 to a user without a staff role."""
    estate = make_estate(jincang)
    client = login(make_user())
    for url in (
        reverse("registry:workbench"),
        TREE,
        LIST,
        reverse("registry:estate_detail", args=[estate.pk]),
    ):
        assert client.get(url).status_code == 404


# ---------------------------------------------------------------- region tree


def test_region_tree_shows_the_scope_root_with_subtree_counts(jincang, elsewhere):
    """A district user sees their district at the top with the estates below it counted."""
    make_estate(jincang)
    make_estate(jincang)
    make_estate(elsewhere)
    yunyan = Region.objects.get(name="云岩区")
    response = login(make_user("housing_bureau", region=yunyan)).get(TREE)
    assert response.status_code == 200
    roots = response.context["roots"]
    assert [n.region for n in roots] == [yunyan]
    assert roots[0].estates == 2
    assert [c.region.name for c in roots[0].children] == ["盐务街街道"]
    assert roots[0].children[0].estates == 2
    assert "钟山区" not in text_of(response)


def test_region_tree_loads_children_on_demand(jincang):
    """Opening a node asks for its children (htmx), which come back as a fragment."""
    make_estate(jincang)
    province = Region.objects.get(name="贵州省")
    street = Region.objects.get(name="盐务街街道")
    client = login(make_user("housing_bureau", region=province))
    response = client.get(TREE, {"parent": street.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = text_of(response)
    assert "金仓社区" in body
    assert "<html" not in body
    assert [n.estates for n in response.context["nodes"]] == [1]


def test_region_tree_children_of_an_out_of_scope_region_are_404(jincang, elsewhere):
    """Asking for the children of a region outside the scope answers like a missing one."""
    client = login(make_user("community_staff", region=jincang))
    other = client.get(TREE, {"parent": elsewhere.pk})
    missing = client.get(TREE, {"parent": 999999})
    assert other.status_code == missing.status_code == 404


def test_region_tree_counts_in_one_grouped_query(jincang, django_assert_max_num_queries):
    """Counting estates per node does not query once per node."""
    for name in ("吉祥社区", "金仓社区"):
        region_chain(("贵州省", "贵阳市", "云岩区", "盐务街街道", name))
    for _ in range(3):
        make_estate(jincang)
    province = Region.objects.get(name="贵州省")
    client = login(make_user("housing_bureau", region=province))
    street = Region.objects.get(name="盐务街街道")
    with django_assert_max_num_queries(8):
        client.get(TREE, {"parent": street.pk}, HTTP_HX_REQUEST="true")


# ---------------------------------------------------------------- estate list


def test_estate_list_shows_only_estates_in_scope(jincang, elsewhere):
    """A community worker's list holds their community's estates, not others'."""
    mine = make_estate(jincang)
    make_estate(elsewhere)
    response = login(make_user("community_staff", region=jincang)).get(LIST)
    assert response.status_code == 200
    assert listed_codes(response) == [mine.code]
    assert mine.name in text_of(response)


def test_estate_list_filters_by_region_subtree(jincang, elsewhere):
    """Choosing a region lists the estates of its whole subtree."""
    a = make_estate(jincang)
    make_estate(elsewhere)
    province = Region.objects.get(name="贵州省")
    yunyan = Region.objects.get(name="云岩区")
    client = login(make_user("housing_bureau", region=province))
    assert listed_codes(client.get(LIST, {"region": yunyan.pk})) == [a.code]
    assert len(listed_codes(client.get(LIST))) == 2


def test_estate_list_filters_by_year_eligibility_stage_and_name(jincang):
    """Year range, eligibility, stage and name search each narrow the list."""
    old = make_estate(jincang, name="金仓小区", year_built=1985)
    mid = make_estate(jincang, name="吉祥苑", year_built=1998)
    new = make_estate(jincang, name="新城小区", year_built=2008)
    Estate.objects.filter(pk=mid.pk).update(stage="works")
    client = login(make_user("street_staff", region=jincang))
    assert listed_codes(client.get(LIST, {"year_from": 1990, "year_to": 2000})) == [mid.code]
    assert listed_codes(client.get(LIST, {"eligibility": "yes"})) == [old.code, mid.code]
    assert listed_codes(client.get(LIST, {"eligibility": "no"})) == [new.code]
    assert listed_codes(client.get(LIST, {"stage": "works"})) == [mid.code]
    assert listed_codes(client.get(LIST, {"q": "金仓"})) == [old.code]


def test_estate_with_unknown_year_is_not_eligible(jincang):
    """An estate without a year built is listed under "not eligible"."""
    estate = make_estate(jincang)
    Estate.objects.filter(pk=estate.pk).update(year_built=None)
    client = login(make_user("street_staff", region=jincang))
    assert listed_codes(client.get(LIST, {"eligibility": "no"})) == [estate.code]
    assert listed_codes(client.get(LIST, {"eligibility": "yes"})) == []


def test_estate_list_paginates_by_fifty_and_page_links_keep_filters(jincang):
    """120 estates make three pages of at most 50; page links carry the filters along."""
    Estate.objects.bulk_create(
        Estate(
            code=f"P{i:04d}",
            name=f"分页小区{i}",
            community=jincang,
            region_path=jincang.path,
            year_built=1990,
        )
        for i in range(120)
    )
    client = login(make_user("street_staff", region=jincang))
    first = client.get(LIST, {"eligibility": "yes"})
    assert len(listed_codes(first)) == 50
    assert first.context["page"].paginator.num_pages == 3
    body = text_of(first)
    assert re.search(r'href="\?eligibility=yes&amp;page=2"', body)
    last = client.get(LIST, {"eligibility": "yes", "page": 3})
    assert listed_codes(last) == [f"P{i:04d}" for i in range(100, 120)]


def test_estate_list_page_out_of_range_shows_the_last_page(jincang):
    """A page number past the end, or not a number, still shows a page of the list."""
    make_estate(jincang)
    client = login(make_user("street_staff", region=jincang))
    assert client.get(LIST, {"page": 99}).status_code == 200
    assert client.get(LIST, {"page": "x"}).status_code == 200


def test_bad_filter_values_are_ignored_with_a_note(jincang):
    """A non-numeric year, an unknown stage or a non-numeric region are dropped and named."""
    make_estate(jincang, year_built=1990)
    client = login(make_user("street_staff", region=jincang))
    response = client.get(LIST, {"year_from": "abc", "stage": "flying", "region": "x"})
    assert response.status_code == 200
    assert len(listed_codes(response)) == 1
    notes = response.context["notes"]
    assert len(notes) == 3
    assert all(n.startswith("已忽略无效的筛选条件") for n in notes)
    assert "已忽略无效的筛选条件：建成年份起“abc”" in text_of(response)


def test_out_of_scope_region_filter_is_404_like_a_missing_region(jincang, elsewhere):
    """Filtering by a region outside the scope answers exactly like a region that does not exist."""
    client = login(make_user("community_staff", region=jincang))
    other = client.get(LIST, {"region": elsewhere.pk})
    missing = client.get(LIST, {"region": 987654})
    assert other.status_code == missing.status_code == 404
    assert _page(other) == _page(missing)


def test_estate_list_queries_do_not_grow_with_rows(jincang, django_assert_max_num_queries):
    """Fifty rows cost the same few queries as one (community is joined, not fetched per row)."""
    Estate.objects.bulk_create(
        Estate(code=f"Q{i:03d}", name=f"小区{i}", community=jincang, region_path=jincang.path)
        for i in range(60)
    )
    client = login(make_user("street_staff", region=jincang))
    with django_assert_max_num_queries(10):
        client.get(LIST)


# ---------------------------------------------------------------- estate page


@pytest.fixture
def owned_estate(jincang) -> Estate:
    estate = make_estate(jincang, buildings=2, entrances=2, floors=2, per_floor=2)
    first = estate.dwellings.order_by("pk").first()
    owner = make_owner(first, name="张三丰")
    Person.objects.filter(pk=owner.pk).update(
        phone="13812345678", id_hash=hash_id_number("52010219800101123X"), id_last4="123X"
    )
    return estate


def test_estate_page_lists_buildings_entrances_dwellings_and_owners(owned_estate):
    """The estate page shows every building, entrance and dwelling, with the owners."""
    client = login(make_user("community_staff", region=owned_estate.community))
    response = client.get(reverse("registry:estate_detail", args=[owned_estate.pk]))
    assert response.status_code == 200
    register = response.context["register"]
    assert len(register.buildings) == 2
    assert sum(len(b.entrances) for b in register.buildings) == 4
    assert register.dwellings == 16
    body = text_of(response)
    assert owned_estate.name in body
    assert "张三丰" in body
    assert "符合改造条件" in body


def test_community_staff_see_full_phones(owned_estate):
    """Community staff need residents' numbers: the phone is shown in full."""
    client = login(make_user("community_staff", region=owned_estate.community))
    body = text_of(client.get(reverse("registry:estate_detail", args=[owned_estate.pk])))
    assert "13812345678" in body


@pytest.mark.parametrize("role", ["housing_bureau", "contractor"])
def test_phones_are_masked_for_roles_without_a_need(owned_estate, role):
    """The housing bureau and contractors see 138****5678, never the full number."""
    client = login(make_user(role, region=owned_estate.community))
    body = text_of(client.get(reverse("registry:estate_detail", args=[owned_estate.pk])))
    assert "13812345678" not in body
    assert "138****5678" in body


def test_contractors_see_owner_names_masked(owned_estate):
    """A contractor sees 张** instead of the owner's name."""
    client = login(make_user("contractor", region=owned_estate.community))
    body = text_of(client.get(reverse("registry:estate_detail", args=[owned_estate.pk])))
    assert "张三丰" not in body
    assert "张**" in body


def test_housing_bureau_sees_owner_names(owned_estate):
    """The housing bureau may see owners' names (only their phones are masked)."""
    client = login(make_user("housing_bureau", region=owned_estate.community))
    body = text_of(client.get(reverse("registry:estate_detail", args=[owned_estate.pk])))
    assert "张三丰" in body


def test_estate_page_never_shows_more_than_the_id_numbers_last_four(owned_estate):
    """The ID number appears at most as its last four characters; the hash never."""
    person = Person.objects.get(name="张三丰")
    for role in ("community_staff", "contractor", "housing_bureau"):
        client = login(make_user(role, region=owned_estate.community))
        body = text_of(client.get(reverse("registry:estate_detail", args=[owned_estate.pk])))
        assert "52010219800101123X" not in body
        assert bytes(person.id_hash).hex() not in body
        assert "0101" not in body


def test_out_of_scope_estate_is_404_identical_to_a_missing_id(owned_estate, elsewhere):
    """An estate outside the scope answers exactly like an id that does not exist."""
    other = make_estate(elsewhere)
    client = login(make_user("community_staff", region=owned_estate.community))
    out = client.get(reverse("registry:estate_detail", args=[other.pk]))
    missing = client.get(reverse("registry:estate_detail", args=[other.pk + 1000]))
    assert out.status_code == missing.status_code == 404
    assert _page(out) == _page(missing)


def test_estate_scoped_user_sees_only_that_estate(owned_estate):
    """An owners' committee member scoped to one estate opens it, but not its neighbour."""
    neighbour = make_estate(owned_estate.community)
    client = login(make_user("owners_committee", estate=owned_estate))
    assert client.get(reverse("registry:estate_detail", args=[owned_estate.pk])).status_code == 200
    assert client.get(reverse("registry:estate_detail", args=[neighbour.pk])).status_code == 404
    assert listed_codes(client.get(LIST)) == [owned_estate.code]


def test_estate_page_queries_do_not_grow_with_dwellings(jincang, django_assert_max_num_queries):
    """A big estate costs the same few queries as a small one (no N+1)."""
    estate = make_estate(jincang, buildings=3, entrances=2, floors=6, per_floor=4)
    for d in estate.dwellings.all()[:40]:
        make_owner(d, name="李四")
    client = login(make_user("community_staff", region=jincang))
    # A constant: one query per permission the page checks for its links (the results panel's
    # is the 15th), none per building, entrance or dwelling; plus the one INSERT of the
    # personal-information access log (the phones and ID tails shown, core.access_log).
    with django_assert_max_num_queries(16):
        response = client.get(reverse("registry:estate_detail", args=[estate.pk]))
    assert response.context["register"].dwellings == 144


# ---------------------------------------------------------------- resident home


def test_resident_home_shows_own_dwellings_only(jincang):
    """A resident sees the dwellings they own or live in, and nobody else's data."""
    estate = make_estate(jincang, floors=2, per_floor=2)
    own, rented, neighbours = list(estate.dwellings.order_by("pk"))[:3]
    me = make_owner(own, name="王秀英")
    Residency.objects.create(person=me, dwelling=rented, relation="tenant")
    make_owner(neighbours, name="李邻居")
    client = login(make_user(person=me))
    response = client.get(reverse("registry:resident_home"))
    assert response.status_code == 200
    shown = [h.dwelling.pk for h in response.context["dwellings"]]
    assert sorted(shown) == sorted([own.pk, rented.pk])
    body = text_of(response)
    assert estate.name in body
    assert "李邻居" not in body
    assert "租户" in body


def test_user_without_a_person_sees_a_friendly_note():
    """A user not linked to a resident record is told how to get linked."""
    response = login(make_user()).get(reverse("registry:resident_home"))
    assert response.status_code == 200
    assert "还没有和居民档案关联" in text_of(response)


# ---------------------------------------------------------------- layout and login


def test_staff_navigation_offers_workbench_pages(jincang):
    """Staff see the workbench links; a resident sees only "我的房屋"."""
    staff_body = text_of(login(make_user("street_staff", region=jincang)).get(LIST))
    assert reverse("registry:region_tree") in staff_body
    assert reverse("needs:campaign_list") in staff_body
    resident = make_user(person=make_person("赵六"))
    resident_body = text_of(login(resident).get(reverse("registry:resident_home")))
    assert "我的房屋" in resident_body
    assert reverse("needs:my_opinions") in resident_body
    assert reverse("decisions:my_votes") in resident_body
    assert reverse("registry:workbench") + '"' not in resident_body


def test_pages_load_assets_from_our_static_files_only(jincang):
    """The layout loads htmx and the stylesheet from /static/, never from another host."""
    body = text_of(login(make_user("street_staff", region=jincang)).get(LIST))
    assert "/static/vendor/htmx.min.js" in body
    assert "/static/web/site.css" in body
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_language_switch_shows_english(jincang):
    """Choosing English through the language switch translates the layout."""
    client = login(make_user("street_staff", region=jincang))
    client.post(reverse("web:set_language"), {"language": "en", "next": LIST})
    body = text_of(client.get(LIST))
    assert 'lang="en"' in body


def test_login_page_keeps_the_phone_after_a_code_is_requested():
    """After asking for an SMS code, the login form shows the phone number again."""
    user = make_user()
    client = Client()
    client.post(reverse("accounts:sms_code"), {"phone": user.phone})
    body = text_of(client.get(reverse("accounts:login")))
    assert f'value="{user.phone}"' in body


def test_login_keeps_a_local_next_through_the_form(jincang):
    """Logging in from a page's redirect returns to that page."""
    user = make_user("street_staff", region=jincang)
    client = Client()
    response = client.get(LIST)
    assert response.status_code == 302
    login_url = response["Location"]
    page = client.get(login_url)
    assert f'value="{LIST}"' in text_of(page)
    done = client.post(login_url, {"phone": user.phone, "password": "pass-1234-word"})
    assert done["Location"] == LIST


def test_logout_ends_the_session(jincang):
    """Logging out leads to the login page, and pages ask for a login again."""
    client = login(make_user("street_staff", region=jincang))
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert client.get(LIST).status_code == 302


# ---------------------------------------------------------------- admin


@pytest.fixture
def admin_client_cn(owned_estate) -> Client:
    admin = User.objects.create_superuser(phone="13700000000", password="admin-pass-1")
    return login(admin)


ADMIN_MODELS = [
    "registry/region",
    "registry/estate",
    "registry/building",
    "registry/entrance",
    "registry/dwelling",
    "registry/person",
    "registry/ownership",
    "registry/residency",
    "accounts/user",
    "accounts/roleassignment",
    "accounts/apitoken",
    "accounts/smscode",
    "core/auditlog",
]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_lists_every_register_and_accounts_model(admin_client_cn, model):
    """Each model has an admin list page that loads for a superuser."""
    response = admin_client_cn.get(f"/admin/{model}/")
    assert response.status_code == 200


def test_admin_person_pages_never_show_the_id_hash(admin_client_cn):
    """The person admin shows the last four of the ID number, never its hash."""
    person = Person.objects.get(name="张三丰")
    for url in (f"/admin/registry/person/{person.pk}/change/", "/admin/registry/person/"):
        body = text_of(admin_client_cn.get(url))
        assert bytes(person.id_hash).hex() not in body
    assert "123X" in text_of(admin_client_cn.get(f"/admin/registry/person/{person.pk}/change/"))


def test_admin_dwelling_form_does_not_list_every_entrance(admin_client_cn, owned_estate):
    """The dwelling form picks its entrance by id, not from a select of every entrance."""
    dwelling = owned_estate.dwellings.first()
    body = text_of(admin_client_cn.get(f"/admin/registry/dwelling/{dwelling.pk}/change/"))
    assert '<select name="entrance"' not in body
    assert 'name="entrance"' in body


def test_admin_audit_log_is_read_only(admin_client_cn):
    """Audit rows cannot be added through the admin."""
    assert admin_client_cn.get("/admin/core/auditlog/add/").status_code == 403


def test_admin_user_can_be_added_with_a_phone(admin_client_cn):
    """A data steward adds a user by phone number and password."""
    response = admin_client_cn.post(
        "/admin/accounts/user/add/",
        {
            "phone": "13600000001",
            "name": "新用户",
            "usable_password": "true",
            "password1": "a-long-pass-phrase-7",
            "password2": "a-long-pass-phrase-7",
            "roles-TOTAL_FORMS": "0",
            "roles-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(phone="13600000001").check_password("a-long-pass-phrase-7")


def test_admin_role_changes_leave_audit_rows(admin_client_cn, owned_estate):
    """Granting and revoking a role in the admin is recorded like the service does it."""
    user = make_user()
    response = admin_client_cn.post(
        "/admin/accounts/roleassignment/add/",
        {"user": user.pk, "role": "grid_worker", "estate": owned_estate.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = user.roles.get()
    assert AuditLog.objects.filter(action="role_assign", object_id=str(assignment.pk)).exists()
    admin_client_cn.post(f"/admin/accounts/roleassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert not user.roles.exists()
    assert AuditLog.objects.filter(action="role_revoke", object_id=str(assignment.pk)).exists()
