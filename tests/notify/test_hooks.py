"""The events of other apps that notify: a plan open for comments, minutes published, a
demand's new status (its opinions' authors); and a notification that fails never undoes the
event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError

from tests.factories import (
    make_estate,
    make_meeting,
    make_owner,
    make_plan_in_consultation,
    make_user,
)
from xiaoqu.meetings import services as meetings
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Demand, DemandStatus
from xiaoqu.notify.models import Channel, DeliveryStatus, Kind, Notification, SkipReason

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(name="通知小区", floors=2, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def resident(estate):
    """An owner of the estate with a login; another owner has none."""
    dwellings = list(estate.dwellings.order_by("pk"))
    make_owner(dwellings[1], "没账号")
    return make_user(person=make_owner(dwellings[0], "有账号"))


def test_a_plan_open_for_comments_tells_the_residents_with_a_login(estate, staff, resident):
    plan = make_plan_in_consultation(estate, staff)
    [n] = Notification.objects.filter(key=f"plan:{plan.pk}:consultation")
    assert (n.user_id, n.kind) == (resident.pk, Kind.PLAN_CONSULTATION)
    assert n.url == f"/decisions/plans/{plan.pk}/public/"


def test_published_minutes_reach_residents_in_app_and_never_by_sms(estate, staff, resident):
    meeting = make_meeting(estate, held_on=dt.date.today() - dt.timedelta(days=1))
    meeting.minutes = "议定：加装电梯。"
    meeting.save()
    meetings.meeting_publish_minutes(meeting=meeting, actor=staff)
    [n] = Notification.objects.filter(key=f"meeting:{meeting.pk}:minutes")
    assert n.user_id == resident.pk and n.kind == Kind.MINUTES_PUBLISHED
    sms = n.deliveries.get(channel=Channel.SMS)
    assert (sms.status, sms.reason) == (DeliveryStatus.SKIPPED, SkipReason.NOT_FOR_KIND)


def test_a_demands_new_status_reaches_the_authors_of_its_opinions(estate, staff, resident):
    home = resident.person.ownerships.get().dwelling
    needs.opinion_submit(
        user=resident,
        estate=estate,
        item=needs.OpinionInput(text="楼道灯坏了好久了", dwelling=home, heard_on=dt.date.today()),
    )
    demand = Demand.objects.get(estate=estate)
    needs.demand_set_status(demand=demand, status=DemandStatus.ASSESSED, actor=staff)
    needs.demand_set_status(
        demand=demand, status=DemandStatus.DECLINED, actor=staff, reason="不在本次改造范围"
    )
    news = Notification.objects.filter(user=resident, kind=Kind.OPINION_UPDATE).order_by("pk")
    assert news.count() == 2
    assert "不在本次改造范围" in news.last().body
    assert news.last().url == "/needs/mine/"


def test_a_failing_notification_never_undoes_the_event(estate, staff, resident, monkeypatch):
    from xiaoqu.notify import services

    def broken(*args, **kwargs):
        raise DatabaseError("no space left")

    monkeypatch.setattr(services, "_insert", broken)
    plan = make_plan_in_consultation(estate, staff)
    plan.refresh_from_db()
    assert plan.status == "consultation"
    assert not Notification.objects.exists()
