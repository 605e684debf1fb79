"""Work orders: reporting (residents, hotline), routing, deadlines on China's working calendar,
the table of moves with an event for each, merging and suggestions, reopening, rating, the
escalation sweep at each level (idempotent), scope, and bad input changing nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import make_estate, make_jpeg, make_person, make_user, region_chain
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Residency
from xiaoqu.stewardship import order_flow
from xiaoqu.stewardship import orders_selectors as selectors
from xiaoqu.stewardship.models import (
    Notice,
    OrderStatus,
    PartySeat,
    RoutingRule,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from xiaoqu.stewardship.services import orders
from xiaoqu.stewardship.sla import SHANGHAI
from xiaoqu.stewardship.sla_cli import compute

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return region_chain()


@pytest.fixture
def estate(chain):
    orders.categories_ensure()
    return make_estate(chain[-1], buildings=2, floors=2, per_floor=2)


@pytest.fixture
def resident(estate):
    person = make_person("居民乙")
    Residency.objects.create(person=person, dwelling=estate.dwellings.first(), relation="owner")
    return make_user(person=person, password=None)


@pytest.fixture
def staff(estate, chain):
    """One user per party: manager (estate), community, street, housing (district)."""
    return {
        "manager": make_user("property_manager", estate=estate, password=None),
        "community": make_user("community_staff", region=chain[4], password=None),
        "street": make_user("street_staff", region=chain[3], password=None),
        "housing": make_user("housing_bureau", region=chain[2], password=None),
    }


def category(code: str) -> WorkOrderCategory:
    return WorkOrderCategory.objects.get(code=code)


def report(resident, estate, code="stair-light", **kwargs) -> WorkOrder:
    kwargs.setdefault("building", estate.buildings.first())
    order, _created = orders.order_report(
        reporter=resident,
        estate=estate,
        category=category(code),
        text=kwargs.pop("text", "3楼楼道灯不亮"),
        **kwargs,
    )
    return order


def snapshot() -> tuple:
    return (
        list(WorkOrder.objects.values()),
        WorkOrderEvent.objects.count(),
        Notice.objects.count(),
        WorkOrderPhoto.objects.count(),
    )


# --- the table of moves -----------------------------------------------------------------------


def test_transition_table_allows_exactly_the_documented_moves():
    """The table: from each state, only these moves."""
    expected = {
        "submitted": ["accept", "reject", "merge"],
        "accepted": ["dispatch", "start", "resolve", "reject", "merge"],
        "dispatched": ["dispatch", "start", "resolve", "merge"],
        "in_progress": ["resolve", "merge"],
        "resolved": ["confirm", "reopen"],
        "reopened": ["accept", "dispatch", "reject", "merge"],
        "confirmed": [],
        "rejected": [],
        "merged": [],
    }
    assert {s: order_flow.moves_from(s) for s in OrderStatus.values} == expected
    assert {str(s) for s in orders.OPEN_STATUSES} == order_flow.OPEN


def test_each_move_writes_an_event_with_before_and_after(estate, resident, staff):
    """report → accept → dispatch → start → resolve → confirm → rate: one event row each,
    with the actor, the states before and after, and an audit row."""
    order = report(resident, estate)
    m = staff["manager"]
    orders.order_accept(order=order, actor=m)
    orders.order_dispatch(order=order, actor=m, assignee=m)
    orders.order_start(order=order, actor=m)
    orders.order_resolve(order=order, actor=m, note="已更换灯泡")
    orders.order_confirm(order=order, actor=resident)
    orders.order_rate(order=order, actor=resident, rating=5, comment="很快")
    events = list(order.events.order_by("at", "pk"))
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("submitted", "", "submitted"),
        ("accept", "submitted", "accepted"),
        ("dispatch", "accepted", "dispatched"),
        ("start", "dispatched", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("confirm", "resolved", "confirmed"),
        ("rated", "confirmed", "confirmed"),
    ]
    assert [e.actor for e in events[1:5]] == [m] * 4
    assert events[5].actor == resident
    order.refresh_from_db()
    assert (order.rating, order.rating_comment, order.assignee) == (5, "很快", m)
    assert order.resolved_at is not None and order.closed_at is not None
    assert AuditLog.objects.filter(action__startswith="stewardship.order_").count() == 7
    # The resident heard of each step; the manager of the new order, the rating.
    assert Notice.objects.filter(user=resident).count() == 4
    assert Notice.objects.filter(user=m, text__contains="5 星").exists()


def test_a_move_from_the_wrong_state_is_refused_and_changes_nothing(estate, resident, staff):
    order = report(resident, estate)
    before = snapshot()
    with pytest.raises(DomainError) as error:
        orders.order_resolve(order=order, actor=staff["manager"], note="好了")
    assert error.value.code == "status"
    with pytest.raises(DomainError):
        orders.order_confirm(order=order, actor=resident)
    assert snapshot() == before


def test_reject_needs_a_reason_the_resident_reads(estate, resident, staff):
    order = report(resident, estate)
    with pytest.raises(DomainError) as error:
        orders.order_reject(order=order, actor=staff["manager"], reason="  ")
    assert error.value.code == "reason"
    done = orders.order_reject(
        order=order, actor=staff["manager"], reason="属于市政路灯，已转供电局"
    )
    assert done.status == OrderStatus.REJECTED
    assert done.reject_reason == "属于市政路灯，已转供电局"
    assert Notice.objects.filter(user=resident, text__contains="供电局").exists()


def test_reopen_keeps_the_history_and_sets_a_new_deadline(estate, resident, staff):
    """Not solved: the order goes back to work with its events kept and a deadline from now;
    only the reporter may reopen, with a reason."""
    order = report(resident, estate)
    m = staff["manager"]
    orders.order_accept(order=order, actor=m)
    orders.order_resolve(order=order, actor=m, note="已修")
    with pytest.raises(DomainError):
        orders.order_reopen(order=order, actor=m, reason="我替他重开")
    with pytest.raises(DomainError):
        orders.order_reopen(order=order, actor=resident, reason="")
    before = timezone.now()
    done = orders.order_reopen(order=order, actor=resident, reason="晚上还是不亮")
    assert done.status == OrderStatus.REOPENED
    assert done.resolved_at is None
    assert done.due_at > before
    assert [e.kind for e in done.events.order_by("at", "pk")] == [
        "submitted",
        "accept",
        "resolve",
        "reopen",
    ]
    orders.order_accept(order=done, actor=m)
    assert order_flow.allowed("resolve", WorkOrder.objects.get(pk=order.pk).status)


def test_rating_is_once_by_the_reporter_after_confirming(estate, resident, staff):
    order = report(resident, estate)
    m = staff["manager"]
    with pytest.raises(DomainError):
        orders.order_rate(order=order, actor=resident, rating=4)
    orders.order_accept(order=order, actor=m)
    orders.order_resolve(order=order, actor=m, note="已修")
    orders.order_confirm(order=order, actor=resident)
    for bad in (0, 6):
        with pytest.raises(DomainError):
            orders.order_rate(order=order, actor=resident, rating=bad)
    with pytest.raises(DomainError):
        orders.order_rate(order=order, actor=m, rating=5)
    orders.order_rate(order=order, actor=resident, rating=4)
    with pytest.raises(DomainError):
        orders.order_rate(order=order, actor=resident, rating=1)
    assert WorkOrder.objects.get(pk=order.pk).rating == 4


# --- reporting --------------------------------------------------------------------------------


def test_resident_report_with_photo_is_idempotent_on_its_client_key(estate, resident, staff):
    key = uuid.uuid4()
    photo = SimpleUploadedFile("a.jpg", make_jpeg(), content_type="image/jpeg")
    first = report(resident, estate, photos=[photo], client_key=key, contact_ok=True)
    again, created = orders.order_report(
        reporter=resident, estate=estate, category=category("drain"), text="重复", client_key=key
    )
    assert (again.pk, created) == (first.pk, False)
    assert WorkOrder.objects.count() == 1
    assert first.photos.count() == 1
    assert first.reporter_phone == resident.phone and first.contact_ok
    assert first.party == "manager"
    # The manager (by role, no one seated) hears of the new order.
    assert Notice.objects.filter(user=staff["manager"], order=first).count() == 1


def test_phone_is_kept_only_with_contact_permission(estate, resident):
    order = report(resident, estate)
    assert order.reporter_phone == "" and not order.contact_ok


@pytest.mark.parametrize(
    "bad",
    [
        {"text": "  "},
        {"text": "长" * 2001},
        {"photos": "notanimage"},
        {"dwelling": "other"},
        {"building": "other"},
        {"estate": "other"},
        {"category": None},
    ],
)
def test_bad_report_is_refused_and_changes_nothing(estate, resident, bad):
    other = make_estate(buildings=1)
    kwargs: dict = {"building": estate.buildings.first()}
    if "text" in bad:
        kwargs["text"] = bad["text"]
    if "photos" in bad:
        kwargs["photos"] = [SimpleUploadedFile("a.jpg", b"not a photo at all")]
    if "dwelling" in bad:
        kwargs["dwelling"] = estate.dwellings.exclude(residencies__isnull=False).last()
    if "building" in bad:
        kwargs["building"] = other.buildings.first()
    target = other if "estate" in bad else estate
    before = snapshot()
    with pytest.raises(DomainError):
        orders.order_report(
            reporter=resident,
            estate=target,
            category=None if "category" in bad else category("drain"),
            text=kwargs.pop("text", "下水道堵了"),
            **kwargs,
        )
    assert snapshot() == before


def test_staff_record_a_hotline_call_and_confirm_on_the_callers_behalf(estate, staff):
    community = staff["community"]
    with pytest.raises(DomainError):
        orders.order_record(
            actor=community,
            estate=estate,
            category=category("drain"),
            channel="hotline",
            text="下水道堵了",
            reporter_phone="12345",
        )
    order = orders.order_record(
        actor=community,
        estate=estate,
        category=category("drain"),
        channel="hotline",
        text="下水道堵了",
        reporter_name="王阿姨",
        reporter_phone="138 0000 1234",
        contact_ok=True,
    )
    assert (order.channel, order.reporter_phone, order.reporter) == ("hotline", "13800001234", None)
    m = staff["manager"]
    orders.order_accept(order=order, actor=m)
    orders.order_resolve(order=order, actor=m, note="已疏通")
    done = orders.order_confirm(order=order, actor=community, note="电话回访满意")
    assert done.status == OrderStatus.CONFIRMED


def test_recording_outside_ones_scope_is_refused(estate):
    outsider = make_user("community_staff", region=region_chain(("贵州省", "遵义市"))[-1])
    with pytest.raises(DomainError):
        orders.order_record(
            actor=outsider, estate=estate, category=category("drain"), channel="visit", text="x"
        )


# --- deadlines --------------------------------------------------------------------------------


def test_deadline_is_working_hours_as_the_sla_command_computes_them_over_a_holiday(
    estate, resident
):
    """8 working hours from 2026-09-30 16:00 cross the National Day holiday: 10-08 17:00."""
    start = dt.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    order = report(resident, estate, now=start)
    expected = compute("2026-09-30T16:00", "8", False)["due"]
    assert order.due_at.astimezone(SHANGHAI).isoformat() == expected == "2026-10-08T17:00:00+08:00"


def test_deadline_runs_around_the_clock_for_emergencies(estate, resident):
    """电梯困人: one plain hour, on a Saturday night too."""
    start = dt.datetime(2026, 10, 10, 23, 30, tzinfo=SHANGHAI)
    order = report(resident, estate, code="elevator-trapped", now=start)
    assert order.due_at == start + dt.timedelta(hours=1)
    assert compute("2026-10-10T23:30", "1", True)["due"] == "2026-10-11T00:30:00+08:00"


def test_categories_ensure_is_idempotent():
    WorkOrderCategory.objects.all().delete()
    assert orders.categories_ensure() == 10
    assert orders.categories_ensure() == 0
    assert category("gas-leak").clock and category("greenery").hours == Decimal("40")


# --- routing ----------------------------------------------------------------------------------


def test_routing_takes_the_most_specific_rule(estate, chain):
    light, drain = category("stair-light"), category("drain")
    assert orders.route(estate, light) == "manager"
    RoutingRule.objects.create(category=light, party="owners")
    assert orders.route(estate, light) == "owners"
    RoutingRule.objects.create(region=chain[2], party="street")
    assert orders.route(estate, drain) == "street"
    assert orders.route(estate, light) == "street"  # a region beats a category alone
    RoutingRule.objects.create(region=chain[2], category=light, party="housing")
    assert orders.route(estate, light) == "housing"
    RoutingRule.objects.create(region=chain[4], party="community")
    assert orders.route(estate, light) == "community"  # the deeper region wins
    RoutingRule.objects.create(estate=estate, party="manager")
    assert orders.route(estate, drain) == "manager"
    RoutingRule.objects.create(estate=estate, category=drain, party="street")
    assert orders.route(estate, drain) == "street"
    elsewhere = make_estate(region_chain(("贵州省", "遵义市", "红花岗区"))[-1])
    assert orders.route(elsewhere, drain) == "manager"
    assert orders.route(elsewhere, light) == "owners"


# --- merging ----------------------------------------------------------------------------------


def test_duplicates_are_suggested_and_merged_by_staff(estate, resident, staff):
    """Same category, same building, open: suggested; merging closes the duplicate into the
    open order with an event on both."""
    first = report(resident, estate)
    second = report(resident, estate, text="楼道灯坏了")
    other_building = report(resident, estate, building=estate.buildings.last())
    other_category = report(resident, estate, code="drain")
    assert list(selectors.duplicate_suggestions(second)) == [first]
    assert other_building not in selectors.duplicate_suggestions(first)
    assert other_category not in selectors.duplicate_suggestions(first)
    with pytest.raises(DomainError):
        orders.order_merge(order=second, target=other_category, actor=staff["manager"])
    with pytest.raises(DomainError):
        orders.order_merge(order=second, target=second, actor=staff["manager"])
    done = orders.order_merge(order=second, target=first, actor=staff["manager"])
    assert (done.status, done.merged_into) == (OrderStatus.MERGED, first)
    assert first.events.filter(kind="merged_in").exists()
    assert Notice.objects.filter(user=resident, order=second, text__contains="合并").exists()
    assert list(selectors.duplicate_suggestions(first)) == []


def test_merging_into_a_closed_order_is_refused(estate, resident, staff):
    first = report(resident, estate)
    second = report(resident, estate)
    orders.order_reject(order=first, actor=staff["manager"], reason="重复")
    first.refresh_from_db()
    before = snapshot()
    with pytest.raises(DomainError):
        orders.order_merge(order=second, target=first, actor=staff["manager"])
    assert snapshot() == before


# --- who may act ------------------------------------------------------------------------------


def test_only_the_current_party_or_a_higher_one_handles_an_order(estate, resident, staff):
    order = report(resident, estate)
    outsider = make_user("property_manager", estate=make_estate(), password=None)
    with pytest.raises(DomainError):
        orders.order_accept(order=order, actor=outsider)
    with pytest.raises(DomainError):
        orders.order_accept(order=order, actor=resident)
    # The community may step in on the managing body's order.
    orders.order_accept(order=order, actor=staff["community"])
    WorkOrder.objects.filter(pk=order.pk).update(party="street")
    order.refresh_from_db()
    with pytest.raises(DomainError) as error:
        orders.order_dispatch(order=order, actor=staff["manager"], assignee=staff["manager"])
    assert error.value.code == "not_yours"
    # The street dispatches to the property manager, who may then work on it.
    orders.order_dispatch(order=order, actor=staff["street"], assignee=staff["manager"])
    orders.order_start(order=order, actor=staff["manager"])
    orders.order_resolve(order=order, actor=staff["manager"], note="已修")


def test_dispatch_only_to_people_of_the_estate(estate, resident, staff):
    order = report(resident, estate)
    orders.order_accept(order=order, actor=staff["manager"])
    stranger = make_user("property_manager", estate=make_estate(), password=None)
    before = snapshot()
    for assignee in (stranger, resident, None):
        with pytest.raises(DomainError):
            orders.order_dispatch(order=order, actor=staff["manager"], assignee=assignee)
    assert snapshot() == before


# --- escalation -------------------------------------------------------------------------------


def overdue(resident, estate, hours_ago: int = 30, **kwargs) -> WorkOrder:
    start = timezone.now() - dt.timedelta(days=hours_ago)
    return report(resident, estate, now=start, **kwargs)


def test_sweep_escalates_one_level_per_deadline_up_to_the_housing_bureau(estate, resident, staff):
    """manager → community → street → housing, each an event and notices; at the top the
    order is marked overdue and stays."""
    order = overdue(resident, estate)
    now = timezone.now()
    steps = []
    for party in ("community", "street", "housing"):
        done = orders.escalation_sweep(now=now)
        order.refresh_from_db()
        steps.append((order.party, order.escalations))
        assert done == {"escalated": 1, "overdue": 0}
        event = order.events.get(kind="escalated", party=party)
        assert event.at == now and event.actor is None
        assert Notice.objects.filter(user=staff[party], order=order).exists()
        assert order.due_at > now
        now = order.due_at + dt.timedelta(seconds=1)
    assert steps == [("community", 1), ("street", 2), ("housing", 3)]
    done = orders.escalation_sweep(now=now)
    order.refresh_from_db()
    assert done == {"escalated": 0, "overdue": 1}
    assert (order.party, order.escalations) == ("housing", 3)
    assert order.events.filter(kind="overdue").count() == 1
    assert Notice.objects.filter(user=staff["housing"], order=order).count() == 2


def test_sweep_is_idempotent(estate, resident, staff):
    """Run twice at the same time: one escalation, one event, one set of notices."""
    order = overdue(resident, estate)
    now = timezone.now()
    notices = Notice.objects.count()
    assert orders.escalation_sweep(now=now) == {"escalated": 1, "overdue": 0}
    after_first = (Notice.objects.count(), WorkOrderEvent.objects.count())
    assert orders.escalation_sweep(now=now) == {"escalated": 0, "overdue": 0}
    assert (Notice.objects.count(), WorkOrderEvent.objects.count()) == after_first
    order.refresh_from_db()
    assert (order.party, order.escalations) == ("community", 1)
    assert after_first[0] == notices + 1


def test_sweep_leaves_orders_on_time_and_closed_ones(estate, resident, staff):
    on_time = report(resident, estate)
    closed = overdue(resident, estate)
    orders.order_reject(order=closed, actor=staff["manager"], reason="不属于物业")
    resolved = overdue(resident, estate)
    orders.order_accept(order=resolved, actor=staff["manager"])
    orders.order_resolve(order=resolved, actor=staff["manager"], note="好了")
    orders.escalation_sweep()
    assert set(WorkOrder.objects.values_list("party", flat=True)) == {"manager"}
    assert not WorkOrderEvent.objects.filter(kind="escalated").exists()
    assert on_time.pk


def test_a_sweep_sending_many_orders_to_one_user_makes_one_digest_notice(estate, resident, staff):
    """Past DIGEST_OVER orders escalated to the same user in one sweep, they get one notice
    with the count and the party (linking to that party's open orders), not one each; up to
    it, one each. Every order still gets its event."""
    many = [overdue(resident, estate) for _ in range(orders.DIGEST_OVER + 1)]
    now = timezone.now()
    assert orders.escalation_sweep(now=now)["escalated"] == len(many)
    digest = Notice.objects.get(user=staff["community"])
    assert (digest.order, digest.orders, digest.party) == (None, len(many), "community")
    assert str(len(many)) in digest.text
    assert WorkOrderEvent.objects.filter(kind="escalated").count() == len(many)
    few = [overdue(resident, estate) for _ in range(orders.DIGEST_OVER)]
    orders.escalation_sweep(now=now + dt.timedelta(seconds=1))
    told = Notice.objects.filter(user=staff["community"], order__isnull=False)
    assert set(told.values_list("order", flat=True)) == {o.pk for o in few}


def test_sweep_notifies_the_seated_users_before_role_holders(estate, resident, staff):
    seated = make_user(password=None)
    PartySeat.objects.create(estate=estate, party="community", user=seated)
    order = overdue(resident, estate)
    orders.escalation_sweep()
    assert Notice.objects.filter(order=order, text__contains="升级").get().user == seated


def test_the_new_deadline_after_escalation_is_the_categorys_hours_from_the_sweep(estate, resident):
    order = overdue(resident, estate, code="elevator-trapped")
    light = overdue(resident, estate)
    now = dt.datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    WorkOrder.objects.update(due_at=now - dt.timedelta(hours=1))
    orders.escalation_sweep(now=now)
    order.refresh_from_db()
    light.refresh_from_db()
    assert order.due_at == now + dt.timedelta(hours=1)
    assert light.due_at == dt.datetime(2026, 10, 8, 17, 0, tzinfo=SHANGHAI)


def test_a_reopened_order_stays_with_the_party_it_reached(estate, resident, staff):
    order = overdue(resident, estate)
    orders.escalation_sweep()
    orders.order_accept(order=order, actor=staff["community"])
    orders.order_resolve(order=order, actor=staff["community"], note="已修")
    done = orders.order_reopen(order=order, actor=resident, reason="还是不亮")
    assert (done.party, done.escalations) == ("community", 1)
    assert done.events.filter(kind="escalated").count() == 1


def test_sweep_command_and_categories_command(estate, resident, capsys):
    from django.core.management import call_command

    overdue(resident, estate)
    call_command("orders", "sweep")
    assert '"escalated": 1' in capsys.readouterr().out
    call_command("orders", "categories")
    assert '"created": 0' in capsys.readouterr().out


def test_sweep_task_runs_the_sweep(estate, resident):
    from xiaoqu.stewardship.orders_tasks import sweep_orders

    overdue(resident, estate)
    assert sweep_orders.call()["escalated"] == 1


def test_one_sweep_moves_every_level_at_once(estate, resident, staff):
    """Orders at every level in one sweep: each moves exactly one step, the housing bureau's
    is marked overdue, and each party's user hears only of the orders that reached it."""
    by_party = {}
    for party in ("manager", "community", "street", "housing"):
        order = overdue(resident, estate)
        WorkOrder.objects.filter(pk=order.pk).update(party=party)
        by_party[party] = order.pk
    now = timezone.now()
    assert orders.escalation_sweep(now=now) == {"escalated": 3, "overdue": 1}
    moved = dict(WorkOrder.objects.values_list("pk", "party"))
    assert [moved[by_party[p]] for p in ("manager", "community", "street", "housing")] == [
        "community",
        "street",
        "housing",
        "housing",
    ]
    for party, reached in (("community", "manager"), ("street", "community")):
        heard = set(
            Notice.objects.filter(user=staff[party], text__contains="升级").values_list(
                "order_id", flat=True
            )
        )
        assert heard == {by_party[reached]}
    heard = set(
        Notice.objects.filter(user=staff["housing"], at=now).values_list("order_id", flat=True)
    )
    assert heard == {by_party["street"], by_party["housing"]}
    assert WorkOrderEvent.objects.filter(kind="escalated", at=now).count() == 3
    assert WorkOrderEvent.objects.filter(kind="overdue", at=now).count() == 1
    assert orders.escalation_sweep(now=now) == {"escalated": 0, "overdue": 0}
