"""Meetings: scheduling, sign-in by dwelling, the record and published minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Meeting, MeetingAttendance
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
        reverse("decisions:meeting_minutes", kwargs={"meeting_id": meeting.pk})
    ).content.decode()
    assert "低层住户提出采光意见" in page and "签到 1 户" in page and "王秀英" not in page


def test_pages_for_staff_and_404_for_outsiders(client, meeting, estate, staff):
    client.force_login(staff)
    url = reverse("decisions:meeting_record", kwargs={"meeting_id": meeting.pk})
    dwelling = estate.dwellings.first()
    assert dwelling.label in client.get(url, {"q": f"1-{dwelling.number}"}).content.decode()
    action = reverse("decisions:meeting_action", kwargs={"meeting_id": meeting.pk})
    client.post(action, {"action": "sign_in", "dwelling": dwelling.pk})
    client.post(action, {"action": "record", "minutes": "纪要", "convenor": "社区居委会"})
    meeting.refresh_from_db()
    assert meeting.minutes == "纪要" and meeting.attendees.count() == 1
    client.force_login(make_user("community_staff", estate=make_estate(name="别处")))
    assert client.get(url).status_code == 404
    assert client.post(action, {"action": "publish"}).status_code == 404
    client.force_login(make_user(person=make_owner(make_estate(name="外小区").dwellings.first())))
    minutes = reverse("decisions:meeting_minutes", kwargs={"meeting_id": meeting.pk})
    assert client.get(minutes).status_code == 404


def test_staff_schedule_a_meeting_from_the_list(client, estate, staff):
    client.force_login(staff)
    response = client.post(
        reverse("decisions:meeting_new", kwargs={"estate_id": estate.pk}),
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
        reverse("decisions:meeting_new", kwargs={"estate_id": estate.pk}),
        {"kind": "owners_assembly", "held_on": "not a date", "place": "x"},
    )
    assert Meeting.objects.count() == 1
