"""Meetings: scheduling, sign-in by dwelling, the record and published minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import make_estate, make_grid, make_owner, make_user, tiny_image
from xiaoqu.accounts.models import RoleAssignment
from xiaoqu.core.errors import DomainError
from xiaoqu.meetings import services
from xiaoqu.meetings.models import Meeting, MeetingAttendance
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(name="议事小区", floors=2, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def meeting(estate, staff):
    return services.meeting_create(
        estate=estate,
        kind="hearing",
        held_on=dt.date.today(),
        place="社区活动室",
        attendance=0,
        actor=staff,
    )


def test_every_kind_of_meeting_can_be_held(estate, staff):
    for kind in ("courtyard", "council", "owners_assembly", "joint", "hearing"):
        services.meeting_create(
            estate=estate,
            kind=kind,
            held_on=dt.date.today(),
            place="院坝",
            attendance=0,
            actor=staff,
        )
    assert Meeting.objects.count() == 5
    with pytest.raises(DomainError):
        services.meeting_create(
            estate=estate,
            kind="party",
            held_on=dt.date.today(),
            place="院坝",
            attendance=0,
            actor=staff,
        )


def test_households_sign_in_once_and_only_from_the_estate(meeting, estate, staff):
    dwelling = estate.dwellings.first()
    services.meeting_sign_in(meeting=meeting, dwelling=dwelling, actor=staff)
    with pytest.raises(DomainError) as error:
        services.meeting_sign_in(meeting=meeting, dwelling=dwelling, actor=staff)
    assert error.value.code == "already"
    with pytest.raises(DomainError) as error:
        services.meeting_sign_in(
            meeting=meeting, dwelling=make_estate(name="别处").dwellings.first(), actor=staff
        )
    assert error.value.code == "dwelling_outside"
    stranger = make_owner(make_estate(name="外小区").dwellings.first())
    with pytest.raises(DomainError) as error:
        services.meeting_sign_in(meeting=meeting, dwelling=dwelling, actor=staff, person=stranger)
    assert error.value.code == "person_not_of_dwelling"
    assert MeetingAttendance.objects.count() == 1


def test_agenda_links_only_this_estates_demands(meeting, estate, staff):
    (o,) = needs.opinions_record(
        estate=estate,
        items=[needs.OpinionInput(text="想装电梯")],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    services.meeting_record_update(meeting=meeting, actor=staff, agenda_demand_ids=[o.demand_id])
    assert list(meeting.agenda_demands.all()) == [o.demand]
    other = make_estate(name="别处")
    (x,) = needs.opinions_record(
        estate=other,
        items=[needs.OpinionInput(text="想装电梯")],
        channel=Channel.HOTLINE,
        actor=make_user("community_staff", estate=other),
    )
    with pytest.raises(DomainError):
        services.meeting_record_update(
            meeting=meeting, actor=staff, agenda_demand_ids=[x.demand_id]
        )


@pytest.mark.parametrize("value", ["abc", "²", "9" * 20, "0", "-3"])
def test_a_forged_agenda_demand_id_gets_the_forms_message_and_saves_nothing(
    client, meeting, staff, value
):
    """A posted demand id that is no id ("²" passes str.isdigit, 20 digits overflow the
    database) is refused like another estate's demand, and the record is left as it was."""
    client.force_login(staff)
    response = client.post(
        reverse("meetings:record_save", kwargs={"meeting_id": meeting.pk}),
        {"minutes": "纪要", "demands": [value]},
        follow=True,
    )
    assert response.status_code == 200
    assert "议题中的需求不属于这个小区" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes == "" and not meeting.agenda_demands.exists()


def test_published_minutes_are_read_by_residents_without_names(client, meeting, estate, staff):
    home = estate.dwellings.first()
    owner = make_owner(home, "王秀英")
    services.meeting_sign_in(meeting=meeting, dwelling=home, actor=staff, person=owner)
    with pytest.raises(DomainError) as error:
        services.meeting_publish_minutes(meeting=meeting, actor=staff)
    assert error.value.code == "no_minutes"
    services.meeting_record_update(
        meeting=meeting,
        actor=staff,
        minutes="听证加装电梯方案，低层住户提出采光意见。",
        decisions="方案修改后再表决",
    )
    services.meeting_publish_minutes(meeting=meeting, actor=staff)
    with pytest.raises(DomainError):
        services.meeting_record_update(meeting=meeting, actor=staff, minutes="改写")
    client.force_login(make_user(person=owner))
    page = client.get(
        reverse("meetings:meeting_minutes", kwargs={"meeting_id": meeting.pk})
    ).content.decode()
    assert "低层住户提出采光意见" in page and "签到 1 户" in page and "王秀英" not in page


def test_pages_for_staff_and_404_for_outsiders(client, meeting, estate, staff):
    client.force_login(staff)
    url = reverse("meetings:meeting_record", kwargs={"meeting_id": meeting.pk})
    dwelling = estate.dwellings.first()
    assert dwelling.label in client.get(url, {"q": f"1-{dwelling.number}"}).content.decode()
    ids = {"meeting_id": meeting.pk}
    client.post(reverse("meetings:sign_in", kwargs=ids), {"dwelling": dwelling.pk})
    client.post(
        reverse("meetings:record_save", kwargs=ids), {"minutes": "纪要", "convenor": "社区居委会"}
    )
    meeting.refresh_from_db()
    assert meeting.minutes == "纪要" and meeting.attendees.count() == 1
    client.force_login(make_user("community_staff", estate=make_estate(name="别处")))
    assert client.get(url).status_code == 404
    assert client.post(reverse("meetings:minutes_publish", kwargs=ids)).status_code == 404
    client.force_login(make_user(person=make_owner(make_estate(name="外小区").dwellings.first())))
    minutes = reverse("meetings:meeting_minutes", kwargs={"meeting_id": meeting.pk})
    assert client.get(minutes).status_code == 404


def test_staff_schedule_a_meeting_from_the_list(client, estate, staff):
    client.force_login(staff)
    response = client.post(
        reverse("meetings:meeting_new", kwargs={"estate_id": estate.pk}),
        {
            "kind": "owners_assembly",
            "held_on": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
            "place": "小区广场",
            "convenor": "业主委员会",
            "agenda": "选举业主委员会",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and meeting.convenor == "业主委员会"
    client.post(
        reverse("meetings:meeting_new", kwargs={"estate_id": estate.pk}),
        {"kind": "owners_assembly", "held_on": "not a date", "place": "x"},
    )
    assert Meeting.objects.count() == 1


def test_opinions_heard_later_are_linked_to_the_meeting(client, meeting, estate, staff):
    """Opinions added on the meeting's page are the meeting's, classified like any other."""
    client.force_login(staff)
    url = reverse("meetings:hear", kwargs={"meeting_id": meeting.pk})
    client.post(url, {"opinions": "屋顶下雨漏水\n\n想加装电梯"})
    heard = list(meeting.opinions.order_by("pk"))
    assert [o.text for o in heard] == ["屋顶下雨漏水", "想加装电梯"]
    assert {o.channel for o in heard} == {Channel.MEETING}
    assert {o.heard_on for o in heard} == {meeting.held_on}
    assert all(o.demand_id for o in heard)
    page = client.get(reverse("meetings:meeting_record", kwargs={"meeting_id": meeting.pk}))
    assert "想加装电梯" in page.content.decode()
    client.post(url, {"opinions": "屋顶漏水\n😀😀😀"})
    assert meeting.opinions.count() == 2


def test_a_grid_worker_finds_and_signs_in_only_the_dwellings_of_their_grid(client, staff):
    """The sign-in search of a grid worker lists the grid's dwellings only; a dwelling outside
    the grid cannot be signed in by id either."""
    estate = make_estate(name="网格小区", buildings=2, floors=1, per_floor=1)
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
    client.force_login(worker)
    record = reverse("meetings:meeting_record", kwargs={"meeting_id": meeting.pk})
    page = client.get(record, {"q": "101"}).content.decode()
    inside = first.dwellings.get()
    outside = second.dwellings.get()
    assert inside.label in page and outside.label not in page
    sign_in = reverse("meetings:sign_in", kwargs={"meeting_id": meeting.pk})
    # Outside the grid, like a missing id: the form's message, nothing signed in.
    refused = client.post(sign_in, {"dwelling": outside.pk}, follow=True).content.decode()
    assert "请先查找并选择房屋" in refused and not meeting.attendees.exists()
    with pytest.raises(DomainError):
        services.meeting_sign_in(meeting=meeting, dwelling=outside, actor=worker)
    client.post(sign_in, {"dwelling": inside.pk})
    assert list(meeting.attendees.values_list("dwelling_id", flat=True)) == [inside.pk]


def test_a_photo_of_the_meeting_is_kept_and_a_non_image_refused(client, meeting, staff):
    client.force_login(staff)
    url = reverse("meetings:photo_add", kwargs={"meeting_id": meeting.pk})
    png = tiny_image("PNG")
    client.post(url, {"photo": SimpleUploadedFile("m.png", png, content_type="image/png")})
    client.post(url, {"photo": SimpleUploadedFile("m.png", b"MZ" * 40, content_type="image/png")})
    assert meeting.photos.count() == 1
