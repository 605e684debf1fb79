"""The demo's management stage (demo/stewardship.py): data that agree with each other and with
the register, in the report's places."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.utils import timezone

from xiaoqu.demo import load_demo
from xiaoqu.demo.stewardship import JINCANG_YUAN, PANSHUI, SITONG, YANGGUANG
from xiaoqu.meetings.models import MeetingKind
from xiaoqu.registry.models import Estate, ManagementMode, RenovationStage
from xiaoqu.stewardship.models import (
    AccessAnomaly,
    AccessEvent,
    AnomalyKind,
    BodyKind,
    DutyShift,
    Evaluation,
    FundEntry,
    FundWithdrawal,
    ManagementBody,
    MonthlyReport,
    OrderChannel,
    OrderStatus,
    Party,
    PartySeat,
    WorkOrder,
    WorkOrderEvent,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def estate(code: str) -> Estate:
    return Estate.objects.get(code=code)


def test_sitong_is_run_by_the_committee_elected_in_april(demo):
    """四通街8号院落's 自管会 was elected at a 居民议事会 in April, with its members and charter,
    and the register says the estate manages itself."""
    sitong = estate(SITONG)
    body = ManagementBody.objects.get(estate=sitong, ended_on=None)
    assert body.kind == BodyKind.SELF_COMMITTEE
    assert body.elected_at.kind == MeetingKind.COUNCIL and body.elected_at.held_on.month == 4
    assert body.members.count() == 4
    assert sitong.management_documents.filter(kind="charter").exists()
    assert sitong.management_mode == ManagementMode.SELF_MANAGED


def test_yangguang_has_a_red_property_and_all_five_parties(demo):
    yangguang = estate(YANGGUANG)
    body = ManagementBody.objects.get(estate=yangguang, ended_on=None)
    assert body.kind == BodyKind.RED_PROPERTY and body.party_organization is not None
    seated = set(PartySeat.objects.filter(estate=yangguang).values_list("party", flat=True))
    assert seated == set(Party.values)
    assert yangguang.meetings.filter(kind=MeetingKind.JOINT).exists()


def test_managed_estates_agree_with_the_register(demo):
    """Every estate with a managing body shows the body's mode in the register; the estates
    after the works (长效管理) are all managed."""
    managed = Estate.objects.filter(bodies__isnull=False, bodies__ended_on=None).distinct()
    assert {e.code for e in managed} == {SITONG, YANGGUANG, JINCANG_YUAN, PANSHUI}
    modes = {
        BodyKind.SELF_COMMITTEE: ManagementMode.SELF_MANAGED,
        BodyKind.RED_PROPERTY: ManagementMode.PROPERTY_COMPANY,
        BodyKind.PROPERTY_COMPANY: ManagementMode.PROPERTY_COMPANY,
        BodyKind.COMMUNITY: ManagementMode.COMMUNITY_CARETAKER,
    }
    for e in managed:
        assert e.management_mode == modes[e.bodies.get(ended_on=None).kind], e.name
    after_works = Estate.objects.filter(stage=RenovationStage.MANAGED)
    assert set(after_works) <= set(managed)


def test_work_orders_are_in_every_state_and_each_move_is_an_event(demo):
    statuses = set(WorkOrder.objects.values_list("status", flat=True))
    assert statuses == set(OrderStatus.values)
    assert WorkOrder.objects.count() >= 30
    for order in WorkOrder.objects.exclude(status=OrderStatus.SUBMITTED):
        assert WorkOrderEvent.objects.filter(order=order).count() >= 2, order
    rejected = WorkOrder.objects.filter(status=OrderStatus.REJECTED)
    assert all(o.reject_reason for o in rejected)
    assert all(
        o.rating for o in WorkOrder.objects.filter(reporter__isnull=False, status="confirmed")
    )


def test_one_order_climbed_to_the_street_and_one_came_through_open311(demo):
    climbed = WorkOrder.objects.get(party=Party.STREET)
    assert climbed.estate.code == JINCANG_YUAN and climbed.escalations == 2
    assert climbed.events.filter(kind="escalated").count() == 2
    posted = WorkOrder.objects.get(channel=OrderChannel.OPEN311)
    assert posted.open311_key is not None


def test_last_month_is_evaluated_and_published(demo):
    for code in (SITONG, YANGGUANG, PANSHUI):
        report = MonthlyReport.objects.get(estate__code=code)
        assert report.published_at is not None
        assert (report.evaluation is None) == (code == PANSHUI)
        assert report.orders_received > 5 and report.score is not None
    assert Evaluation.objects.count() == 2


def test_the_fund_has_a_voted_and_an_emergency_use_and_no_balance_below_zero(demo):
    voted = FundWithdrawal.objects.get(emergency=False)
    assert voted.vote.matter == 5 and voted.vote.result["passed"]
    emergency = FundWithdrawal.objects.get(emergency=True)
    assert emergency.approved_at and emergency.published_at
    assert emergency.estate.code == SITONG
    balances = FundEntry.objects.values("dwelling").annotate(total=Sum("amount_fen"))
    assert balances and min(b["total"] for b in balances) >= 0


def test_someone_is_on_duty_now_and_ended_shifts_left_a_note(demo):
    now = timezone.now()
    sitong = estate(SITONG)
    assert DutyShift.objects.filter(estate=sitong, starts_at__lte=now, ends_at__gt=now).exists()
    ended = DutyShift.objects.filter(estate=sitong, ends_at__lte=now)
    assert ended.count() >= 21 and all(hasattr(s, "handover") for s in ended)


def test_the_gates_have_a_week_of_events_and_their_anomalies(demo):
    events = AccessEvent.objects.filter(point__estate__code=SITONG)
    days = {timezone.localtime(e.at).date() for e in events}
    assert len(days) >= 7
    kinds = set(AccessAnomaly.objects.values_list("kind", flat=True))
    assert {AnomalyKind.TWO_GATES, AnomalyKind.OUTSIDE_HOURS} <= kinds
