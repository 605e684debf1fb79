"""A meeting already held, entered with the opinions heard at it (坝坝会, 居民议事会)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_grid, make_user, region_chain
from xiaoqu.accounts.models import Role, RoleAssignment, User
from xiaoqu.meetings.models import Meeting
from xiaoqu.meetings.services import meeting_create
from xiaoqu.needs.models import Channel, Opinion

pytestmark = pytest.mark.django_db

TEN_MB = "漏" * (10 * 1024 * 1024 // 3 + 10)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def estate():
    return make_estate(region_chain()[-1], name="东风小区", buildings=2, floors=3, per_floor=2)


@pytest.fixture
def other_estate():
    chain = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    return make_estate(chain[-1], name="远方小区", floors=5, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def party_member(estate):
    """Reads the estate's meetings but holds none."""
    return make_user("party_member", region=estate.community)


def _meeting_data(**overrides):
    data = {
        "kind": "courtyard",
        "held_on": "2026-03-05",
        "place": "3栋前院坝",
        "attendance": "28",
        "opinions": "屋顶下雨漏水\n\n楼道灯坏了\n想加装电梯",
    }
    data.update(overrides)
    return data


def test_meeting_form_stores_the_meeting_and_its_opinions(estate, staff):
    response = login(staff).post(reverse("meetings:heard_new", args=[estate.pk]), _meeting_data())
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:meeting_record", args=[meeting.pk])
    assert (meeting.kind, meeting.place, meeting.attendance) == ("courtyard", "3栋前院坝", 28)
    opinions = list(meeting.opinions.order_by("pk"))
    assert [o.text for o in opinions] == ["屋顶下雨漏水", "楼道灯坏了", "想加装电梯"]
    assert {o.channel for o in opinions} == {Channel.MEETING}
    assert {o.heard_on for o in opinions} == {dt.date(2026, 3, 5)}
    detail = login(staff).get(response["Location"])
    assert detail.status_code == 200
    assert "3栋前院坝" in text_of(detail)
    assert "想加装电梯" in text_of(detail)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("屋顶漏水\n😀😀😀\n楼道灯坏了", "第 2 行"),
        ("屋顶漏水\n" + "很" * 2001, "最长 2000 字"),
        ("\n \n", "请至少填写一条意见"),
    ],
    ids=["emoji-only-line", "too-long-line", "no-lines"],
)
def test_a_bad_opinion_line_stores_nothing_and_keeps_the_input(estate, staff, lines, expected):
    response = login(staff).post(
        reverse("meetings:heard_new", args=[estate.pk]), _meeting_data(opinions=lines)
    )
    assert response.status_code == 400
    body = text_of(response)
    assert expected in body
    assert "3栋前院坝" in body
    assert not Meeting.objects.exists()
    assert not Opinion.objects.exists()


def test_meeting_in_the_future_or_without_place_is_refused(estate, staff):
    client = login(staff)
    url = reverse("meetings:heard_new", args=[estate.pk])
    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    assert "日期不能晚于今天" in text_of(client.post(url, _meeting_data(held_on=tomorrow)))
    assert client.post(url, _meeting_data(place="")).status_code == 400
    assert client.post(url, _meeting_data(kind="party")).status_code == 400
    assert not Meeting.objects.exists()


def test_meeting_with_ten_megabytes_of_text_gets_a_clear_message(estate, staff):
    response = login(staff).post(
        reverse("meetings:heard_new", args=[estate.pk]), _meeting_data(opinions=TEN_MB)
    )
    assert response.status_code == 400
    assert "提交的内容太大" in text_of(response)
    assert not Meeting.objects.exists()


def test_meeting_pages_need_permission_and_scope(estate, other_estate, staff, party_member):
    """Recording needs hold_meetings; the meeting page is 404 outside the scope."""
    assert (
        login(party_member).get(reverse("meetings:heard_new", args=[estate.pk])).status_code == 404
    )
    assert (
        login(staff).get(reverse("meetings:heard_new", args=[other_estate.pk])).status_code == 404
    )
    assert login(staff).get(reverse("meetings:heard_new", args=[estate.pk])).status_code == 200
    admin = make_user("admin")
    meeting = meeting_create(
        estate=other_estate,
        kind="council",
        held_on=dt.date(2026, 3, 1),
        place="会议室",
        attendance=5,
        actor=admin,
    )
    url = reverse("meetings:meeting_record", args=[meeting.pk])
    assert login(staff).get(url).status_code == 404
    assert login(party_member).get(url).status_code == 404
    assert login(admin).get(url).status_code == 200


def test_a_grid_worker_reads_on_the_meeting_page_only_the_opinions_they_may_read(estate, staff):
    """Opinions heard at a meeting concern the whole estate: a grid worker, who reads only their
    grid's opinions, sees none of their words on the meeting page, only how many there are."""
    login(staff).post(reverse("meetings:heard_new", args=[estate.pk]), _meeting_data())
    meeting = Meeting.objects.get()
    worker = make_user()
    RoleAssignment.objects.create(
        user=worker, role=Role.GRID_WORKER, grid=make_grid([estate.buildings.first()])
    )
    page = text_of(login(worker).get(reverse("meetings:meeting_record", args=[meeting.pk])))
    heard = page.split('id="heard"')[1].split("</section>")[0]
    assert "3栋前院坝" in page
    assert not any(text in heard for text in ("屋顶下雨漏水", "楼道灯坏了", "想加装电梯"))
    assert 'id="hidden-heard"' in heard and "另有 3 条意见" in heard
    staff_page = text_of(login(staff).get(reverse("meetings:meeting_record", args=[meeting.pk])))
    assert "想加装电梯" in staff_page and 'id="hidden-heard"' not in staff_page
