"""The management pages: the staff page of an estate with one form per action, and the
residents' page (who manages the estate, how to reach them, its rules and their votes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from tests.factories import (
    make_bodies_world,
    make_estate,
    make_meeting,
    make_owner,
    make_passed_vote,
    make_user,
    region_chain,
)
from xiaoqu.core.pii import mask_phone
from xiaoqu.registry.models import ManagementMode
from xiaoqu.stewardship.models import BodyMember, ManagementBody, ManagementDocument, PartySeat

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
ACTIONS = (
    "body_start",
    "body_end",
    "member_add",
    "member_remove",
    "document_add",
    "seat_add",
    "seat_remove",
)


@pytest.fixture
def estate():
    return make_estate(name="幸福小区", buildings=1, floors=1, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community, password=None)


@pytest.fixture
def manager(estate):
    return make_user("property_manager", estate=estate, password=None)


@pytest.fixture
def world(estate, staff, manager):
    return make_bodies_world(estate, staff, manager)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, estate) -> str:
    return reverse(f"stewardship:{name}", kwargs={"estate_id": estate.pk})


def post(user, name: str, estate, data: dict) -> list[str]:
    response = client_for(user).post(url(name, estate), data)
    assert response.status_code == 302
    assert response["Location"] == url("estate_management", estate)
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_staff_page_shows_body_parties_documents_and_joint_meetings(
    estate, staff, manager, world
):
    response = client_for(staff).get(url("estate_management", estate))
    assert response.status_code == 200
    page = response.content.decode()
    assert "幸福物业" in page and "0.80" in page and "王经理" in page
    assert manager.name in page and mask_phone(manager.phone) in page
    assert manager.phone not in page
    assert "幸福小区管理规约" in page
    assert reverse("decisions:vote_result", kwargs={"vote_id": world["document"].vote_id}) in page
    meeting_url = reverse("meetings:meeting_record", kwargs={"meeting_id": world["meeting"].pk})
    assert meeting_url in page
    for action in ACTIONS:
        if action not in ("member_add", "member_remove"):  # only for a committee
            assert url(action, estate) in page, action


def test_staff_who_only_follow_see_no_forms(estate, world):
    grid_worker = make_user("grid_worker", estate=estate, password=None)
    page = client_for(grid_worker).get(url("estate_management", estate)).content.decode()
    assert "幸福物业" in page
    assert not any(url(action, estate) in page for action in ACTIONS)


def test_the_registry_page_links_to_the_management_page(estate, staff):
    page = client_for(staff).get(reverse("registry:estate_detail", kwargs={"estate_id": estate.pk}))
    assert url("estate_management", estate) in page.content.decode()


def test_residents_see_who_manages_and_how_to_reach_them(estate, world):
    resident = make_user(person=make_owner(estate.dwellings.first()), password=None)
    home = client_for(resident).get(reverse("registry:resident_home")).content.decode()
    assert url("estate_manager_public", estate) in home
    response = client_for(resident).get(url("estate_manager_public", estate))
    assert response.status_code == 200
    page = response.content.decode()
    assert "幸福物业" in page and "tel:0851-5551234" in page
    assert "幸福小区管理规约" in page
    assert reverse("decisions:vote_result", kwargs={"vote_id": world["document"].vote_id}) in page


def test_a_resident_of_another_estate_gets_404(estate, world):
    other = make_estate(estate.community)
    stranger = make_user(person=make_owner(other.dwellings.first()), password=None)
    assert client_for(stranger).get(url("estate_manager_public", estate)).status_code == 404
    assert client_for(stranger).get(url("estate_management", estate)).status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_are_post_only(estate, staff, action):
    assert client_for(staff).get(url(action, estate)).status_code == 405


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_outside_scope_or_without_the_permission_are_404(estate, world, action):
    far = make_estate(
        region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
    )
    outsider = make_user("community_staff", estate=far, password=None)
    follower = make_user("grid_worker", estate=estate, password=None)
    for user in (outsider, follower):
        response = client_for(user).post(url(action, estate), {"ended_on": TODAY.isoformat()})
        assert response.status_code == 404
    assert ManagementBody.objects.get(estate=estate).ended_on is None


def test_starting_a_body_from_the_form_moves_the_register(estate, staff, world):
    started = (TODAY - dt.timedelta(days=3)).isoformat()
    meeting = make_meeting(estate, "owners_assembly", held_on=TODAY - dt.timedelta(days=4))
    said = post(
        staff,
        "body_start",
        estate,
        {
            "kind": "self_committee",
            "name": "幸福小区自管会",
            "started_on": started,
            "elected_at": meeting.pk,
            "term_end": (TODAY + dt.timedelta(days=900)).isoformat(),
            "fee_per_m2": "ignored for a committee",
        },
    )
    assert any("幸福小区自管会" in m for m in said)
    estate.refresh_from_db()
    assert estate.management_mode == ManagementMode.SELF_MANAGED
    assert ManagementBody.objects.filter(estate=estate).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "property_company", "name": "新物业", "started_on": "昨天"}, "格式不对"),
        (
            {
                "kind": "property_company",
                "name": "新物业",
                "started_on": TODAY.isoformat(),
                "contract_start": TODAY.isoformat(),
                "contract_end": TODAY.isoformat(),
                "fee_per_m2": "1",
            },
            "合同截止日期应晚于开始日期",
        ),
        (
            {
                "kind": "self_committee",
                "name": "自管会",
                "started_on": TODAY.isoformat(),
                "elected_at": "999999",
                "term_end": TODAY.isoformat(),
            },
            "不是本小区的业主大会或居民议事会",
        ),
        ({"kind": "", "name": "x", "started_on": TODAY.isoformat()}, "请选择管理主体的类型"),
    ],
)
def test_bad_body_input_gets_a_message_and_changes_nothing(estate, staff, world, data, message):
    before = list(ManagementBody.objects.values())
    said = post(staff, "body_start", estate, data)
    assert any(message in m for m in said), said
    assert list(ManagementBody.objects.values()) == before


def test_ending_the_body_from_the_form(estate, staff, world):
    said = post(staff, "body_end", estate, {"ended_on": TODAY.isoformat()})
    assert any("无人管理" in m for m in said)
    estate.refresh_from_db()
    assert estate.management_mode == ManagementMode.NONE


def test_members_are_added_and_removed_from_the_form(estate, staff, world):
    meeting = make_meeting(estate, "council", held_on=TODAY - dt.timedelta(days=2))
    post(
        staff,
        "body_start",
        estate,
        {
            "kind": "owners_committee",
            "name": "业委会",
            "started_on": TODAY.isoformat(),
            "elected_at": meeting.pk,
            "term_end": (TODAY + dt.timedelta(days=1800)).isoformat(),
        },
    )
    person = make_owner(estate.dwellings.first(), "赵委员")
    page = client_for(staff).get(url("estate_management", estate)).content.decode()
    assert url("member_add", estate) in page and "赵委员" in page
    post(staff, "member_add", estate, {"person": person.pk, "role": "委员"})
    member = BodyMember.objects.get()
    assert (member.person, member.role) == (person, "委员")
    stranger = make_owner(make_estate(estate.community).dwellings.first(), "外人")
    said = post(staff, "member_add", estate, {"person": stranger.pk, "role": "委员"})
    assert any("本小区的业主或居民" in m for m in said)
    said = post(staff, "member_remove", estate, {"member": "abc"})
    assert any("成员不存在" in m for m in said)
    post(staff, "member_remove", estate, {"member": member.pk})
    assert not BodyMember.objects.exists()


def test_documents_from_the_form_need_a_vote_of_the_estate(estate, staff, world):
    other_vote = make_passed_vote(make_estate(estate.community), staff, matter=1)
    said = post(
        staff,
        "document_add",
        estate,
        {
            "kind": "procedure",
            "title": "议事规则",
            "text": "……",
            "effective_on": TODAY.isoformat(),
            "vote": other_vote.pk,
        },
    )
    assert any("不是本小区" in m for m in said)
    vote = make_passed_vote(estate, staff, matter=1)
    post(
        staff,
        "document_add",
        estate,
        {
            "kind": "procedure",
            "title": "议事规则",
            "text": "……",
            "effective_on": TODAY.isoformat(),
            "vote": vote.pk,
        },
    )
    assert ManagementDocument.objects.filter(estate=estate, vote=vote).exists()


def test_seats_from_the_form_need_the_role(estate, staff, manager, world):
    street = make_user("street_staff", region=estate.community.parent, password=None)
    grid_worker = make_user("grid_worker", estate=estate, password=None)
    said = post(staff, "seat_add", estate, {"party": "street", "user": grid_worker.pk})
    assert any("没有这一方对应的角色" in m for m in said)
    said = post(staff, "seat_add", estate, {"party": "mayor", "user": street.pk})
    assert any("五方中的哪一方" in m for m in said)
    post(staff, "seat_add", estate, {"party": "street", "user": street.pk})
    assert PartySeat.objects.filter(estate=estate, party="street", user=street).exists()
    seat = PartySeat.objects.get(party="manager", user=manager)
    post(staff, "seat_remove", estate, {"seat": seat.pk})
    assert not PartySeat.objects.filter(pk=seat.pk).exists()
