"""The meeting page's sign-in (a repeat says when, by name, someone the register lacks), its
agenda chooser and the confirmed publication of the minutes (issue 13)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.meetings import services
from xiaoqu.meetings.models import MeetingAttendance
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(name="议事小区", buildings=2, floors=2, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def meeting(estate, staff):
    return services.meeting_create(
        estate=estate,
        kind="courtyard",
        held_on=dt.date.today(),
        place="院坝",
        attendance=0,
        actor=staff,
    )


def page_of(client, meeting, **params) -> str:
    url = reverse("meetings:meeting_record", kwargs={"meeting_id": meeting.pk})
    return client.get(url, params).content.decode()


def post(client, name, meeting, data):
    url = reverse(f"meetings:{name}", kwargs={"meeting_id": meeting.pk})
    return client.post(url, data, follow=True)


def test_a_repeat_sign_in_says_who_was_signed_in_and_at_what_time(client, meeting, estate, staff):
    """Signing in a household already signed in changes nothing and says since when."""
    home = estate.dwellings.order_by("pk").first()
    row = services.meeting_sign_in(meeting=meeting, dwelling=home, actor=staff)
    at = timezone.localtime(row.signed_in_at).strftime("%H:%M")
    with pytest.raises(services.AlreadySignedIn) as error:
        services.meeting_sign_in(meeting=meeting, dwelling=home, actor=staff)
    assert error.value.code == "already" and at in error.value.message
    client.force_login(staff)
    page = post(client, "sign_in", meeting, {"dwelling": home.pk}).content.decode()
    assert f"{home.label}已于 {at} 签到，不用重复签到" in page
    assert meeting.attendees.count() == 1
    # The search shows it too, instead of a button that would only be refused.
    found = page_of(client, meeting, q=f"1-{home.number}")
    assert f"本户已于 {at} 签到" in found


def test_staff_find_an_owner_by_name_and_sign_them_in(client, meeting, estate, staff):
    home = estate.dwellings.order_by("pk").last()
    owner = make_owner(home, "欧阳秀英")
    client.force_login(staff)
    found = page_of(client, meeting, q="秀英")
    assert home.label in found and "欧阳秀英" in found
    post(client, "sign_in", meeting, {"dwelling": home.pk, "person": owner.pk})
    row = meeting.attendees.get()
    assert row.person == owner and row.dwelling == home and row.name == ""
    again = post(client, "sign_in", meeting, {"dwelling": home.pk, "person": owner.pk})
    assert "欧阳秀英已于" in again.content.decode() and meeting.attendees.count() == 1


def test_a_person_of_another_dwelling_cannot_be_signed_in_for_this_one(
    client, meeting, estate, staff
):
    first, second = estate.dwellings.order_by("pk")[:2]
    stranger = make_owner(second, "李四")
    client.force_login(staff)
    for person in (stranger.pk, "x", "9" * 30):
        page = post(client, "sign_in", meeting, {"dwelling": first.pk, "person": person})
        assert "这个人不是这户的业主或住户" in page.content.decode()
    assert not meeting.attendees.exists()


def test_someone_the_register_lacks_signs_in_by_name_once(client, meeting, estate, staff):
    """A name, a room and a phone: recorded as a named attendee, the phone shown masked; the
    same name at the same dwelling again is refused with the time of the first sign-in."""
    client.force_login(staff)
    home = estate.dwellings.get(building__number="2", number="101")
    page = post(
        client,
        "sign_in_named",
        meeting,
        {"name": " 赵 租户 ", "room": "2-101", "phone": "139 1234 5678"},
    ).content.decode()
    row = MeetingAttendance.objects.get()
    assert (row.name, row.dwelling, row.person, row.phone) == ("赵 租户", home, None, "13912345678")
    assert "139****5678" in page and "13912345678" not in page and "名册外" in page
    again = post(client, "sign_in_named", meeting, {"name": "赵 租户", "room": "2-101"})
    assert "赵 租户已于" in again.content.decode() and "不用重复签到" in again.content.decode()
    # Without a dwelling: a name alone, once.
    post(client, "sign_in_named", meeting, {"name": "邻居老刘"})
    post(client, "sign_in_named", meeting, {"name": "邻居老刘"})
    assert MeetingAttendance.objects.filter(name="邻居老刘", dwelling=None).count() == 1
    # The household count counts dwellings; the minutes add those without one, unnamed.
    services.meeting_record_update(meeting=meeting, actor=staff, minutes="纪要")
    services.meeting_publish_minutes(meeting=meeting, actor=staff)
    client.force_login(make_user(person=make_owner(estate.dwellings.first(), "王五")))
    minutes = client.get(reverse("meetings:meeting_minutes", kwargs={"meeting_id": meeting.pk}))
    text = minutes.content.decode()
    assert "签到 1 户" in text and "另有 1 位没有登记房屋的居民签到" in text
    assert "邻居老刘" not in text and "赵" not in text


def test_a_name_of_the_dwellings_register_signs_that_person_in(meeting, estate, staff):
    home = estate.dwellings.order_by("pk").first()
    owner = make_owner(home, "钱六")
    row = services.meeting_sign_in_named(meeting=meeting, name="钱六", dwelling=home, actor=staff)
    assert row.person == owner and row.name == ""


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "room": "2-101"}, "name", "这个字段是必填项"),
        ({"name": "301", "room": ""}, "name", "姓名不能含数字"),
        ({"name": "孙七", "phone": "12345"}, "phone", "手机号应为 11 位手机号码"),
        ({"name": "孙七", "room": "9-909"}, "room", "这个小区没有找到这个房号"),
        ({"name": "孙七", "room": "101"}, "room", "请写上楼栋"),
    ],
)
def test_bad_named_sign_in_keeps_what_was_typed_and_saves_nothing(
    client, meeting, staff, data, field, message
):
    client.force_login(staff)
    url = reverse("meetings:sign_in_named", kwargs={"meeting_id": meeting.pk})
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    for name, value in data.items():
        if value:
            assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', page), name
    assert '<details class="named" id="named" open>' in page
    assert not MeetingAttendance.objects.exists()


def test_a_grid_worker_signs_in_by_name_only_within_their_grid(estate):
    from tests.factories import make_grid
    from xiaoqu.accounts.models import RoleAssignment

    first, second = estate.buildings.order_by("number")
    worker = make_user()
    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=make_grid([first]))
    meeting = services.meeting_create(
        estate=estate,
        kind="courtyard",
        held_on=dt.date.today(),
        place="院坝",
        attendance=0,
        actor=worker,
    )
    with pytest.raises(DomainError):
        services.meeting_sign_in_named(
            meeting=meeting, name="孙七", dwelling=second.dwellings.first(), actor=worker
        )
    assert not meeting.attendees.exists()


def test_publishing_the_minutes_needs_the_tick_and_no_script(client, meeting, staff):
    """Publishing is final: the form asks for a tick (required, checked again by the server),
    with no inline script or event handler."""
    services.meeting_record_update(meeting=meeting, actor=staff, minutes="议定加装电梯意向摸底")
    client.force_login(staff)
    page = page_of(client, meeting)
    assert 'name="confirmed"' in page and "我已核对，发布后不可修改" in page
    assert "<script>" not in page and not re.search(r"\son[a-z]+=", page)
    refused = post(client, "minutes_publish", meeting, {}).content.decode()
    assert "请先核对纪要" in refused
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is None
    post(client, "minutes_publish", meeting, {"confirmed": "1"})
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is not None


def test_the_agenda_is_a_compact_grid_with_the_chosen_demands_first(client, meeting, estate, staff):
    texts = [f"{n}栋楼道灯坏了要修" for n in range(1, 4)] + ["想加装电梯", "停车位太少"]
    opinions = needs.opinions_record(
        estate=estate,
        items=[needs.OpinionInput(text=t) for t in texts],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    last = opinions[-1].demand
    services.meeting_record_update(meeting=meeting, actor=staff, agenda_demand_ids=[last.pk])
    client.force_login(staff)
    page = page_of(client, meeting)
    grid = page[page.index('class="choice-grid"') :]
    first_box = re.search(r'name="demands" value="(\d+)"', grid)
    assert first_box and int(first_box.group(1)) == last.pk
    assert "议题中的需求（已选 1 条）" in page
