"""The estate's 24-hour duty (stewardship.services.duty and duty_selectors): who may be on duty,
shifts that never overlap at one post, handover notes, who is on duty now, and the gaps of a
week's roster."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_owner,
    make_person,
    make_property_body,
    make_self_committee,
    make_user,
)
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Residency
from xiaoqu.stewardship import duty_selectors
from xiaoqu.stewardship.models import DutyHandover, DutyShift
from xiaoqu.stewardship.services import duty

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def at(hours: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


@pytest.fixture
def estate():
    return make_estate(name="四通街8号院落", buildings=1, floors=2, per_floor=2)


@pytest.fixture
def dwellings(estate):
    return list(estate.dwellings.order_by("pk"))


@pytest.fixture
def chair(dwellings):
    return make_owner(dwellings[0], "李主任")


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community, password=None)


@pytest.fixture
def committee(estate, staff, chair):
    return make_self_committee(estate, staff, [chair])


@pytest.fixture
def chair_user(chair, committee):
    return make_user(person=chair, password=None)


@pytest.fixture
def volunteer(dwellings):
    person = make_person("王志愿")
    Residency.objects.create(person=person, dwelling=dwellings[1], relation="tenant")
    return person


def add(actor, estate, person, start, end, post="值班室", phone=""):
    return duty.shift_add(
        estate=estate,
        person=person,
        post=post,
        phone=phone,
        starts_at=at(start),
        ends_at=at(end),
        actor=actor,
    )


def test_a_committee_member_puts_a_resident_on_duty_with_an_audit_row(
    estate, chair_user, volunteer
):
    """A member of the current 自管会 manages the duty without any role."""
    shift = add(chair_user, estate, volunteer, 1, 13, phone="0851-5551234")
    assert shift.person == volunteer and shift.phone == "0851-5551234"
    row = AuditLog.objects.get(action="stewardship.shift_add")
    assert row.actor == chair_user and row.after["post"] == "值班室"


def test_the_person_on_duty_must_belong_to_the_estate(estate, staff, committee):
    """A stranger is refused; owners, residents, committee members and the property manager's
    staff are accepted."""
    stranger = make_person("外人")
    with pytest.raises(DomainError) as error:
        add(staff, estate, stranger, 1, 2)
    assert error.value.code == "person"
    assert not DutyShift.objects.exists()


def test_the_property_managers_own_staff_may_be_on_duty(estate, staff):
    make_property_body(estate, staff)
    guard = make_person("保安老周")
    make_user("property_manager", estate=estate, person=guard, password=None)
    assert add(staff, estate, guard, 1, 9, post="门岗").person == guard
    other = make_person("别处保安")
    make_user("property_manager", estate=make_estate(), person=other, password=None)
    with pytest.raises(DomainError):
        add(staff, estate, other, 1, 9, post="门岗")


def test_shifts_of_one_post_never_overlap(estate, staff, chair, volunteer, committee):
    add(staff, estate, chair, 0, 12)
    with pytest.raises(DomainError) as error:
        add(staff, estate, volunteer, 11, 20)
    assert error.value.code == "overlap"
    # Touching is not overlapping; another post may run at the same time.
    add(staff, estate, volunteer, 12, 24)
    add(staff, estate, make_owner(estate.dwellings.last(), "巡逻员"), 2, 6, post="巡逻")
    assert DutyShift.objects.count() == 3


def test_nobody_is_on_two_posts_at_once(estate, staff, chair, committee):
    add(staff, estate, chair, 0, 12)
    with pytest.raises(DomainError) as error:
        add(staff, estate, chair, 6, 8, post="巡逻")
    assert error.value.code == "busy"


@pytest.mark.parametrize(
    ("start", "end", "post", "phone", "code"),
    [
        (2, 1, "值班室", "", "times"),
        (0, 24.5, "值班室", "", "too_long"),
        (0, 1, "  ", "", "post"),
        (0, 1, "值" * 33, "", "post"),
        (0, 1, "值班室", "call me", "phone"),
    ],
)
def test_bad_shifts_are_refused_and_nothing_is_written(
    estate, staff, chair, committee, start, end, post, phone, code
):
    with pytest.raises(DomainError) as error:
        add(staff, estate, chair, start, end, post=post, phone=phone)
    assert error.value.code == code
    assert not DutyShift.objects.exists()


def test_a_day_long_shift_is_allowed(estate, staff, chair, committee):
    assert add(staff, estate, chair, 0, 24).ends_at == at(24)


def test_street_staff_and_residents_do_not_manage_the_duty(estate, chair, volunteer, committee):
    street = make_user("street_staff", region=estate.community.parent, password=None)
    resident = make_user(person=volunteer, password=None)
    for actor in (street, resident):
        with pytest.raises(DomainError) as error:
            add(actor, estate, chair, 1, 2)
        assert error.value.code == "out_of_scope"


def test_only_a_shift_that_has_not_started_is_removed(estate, staff, chair, committee):
    running = add(staff, estate, chair, -1, 5)
    later = add(staff, estate, chair, 6, 10)
    with pytest.raises(DomainError) as error:
        duty.shift_remove(shift=running, actor=staff)
    assert error.value.code == "started"
    duty.shift_remove(shift=later, actor=staff)
    assert list(DutyShift.objects.all()) == [running]
    assert AuditLog.objects.filter(action="stewardship.shift_remove").count() == 1


def test_the_person_on_duty_writes_the_handover_note_once(estate, staff, volunteer, committee):
    shift = add(staff, estate, volunteer, -12, 0)
    user = make_user(person=volunteer, password=None)
    note = duty.handover_write(shift=shift, note="东门锁坏了，已报修。", actor=user)
    assert note.by == user and DutyHandover.objects.get().shift == shift
    with pytest.raises(DomainError) as error:
        duty.handover_write(shift=shift, note="再写一次", actor=user)
    assert error.value.code == "done"


def test_the_committee_writes_a_handover_for_anyone(estate, chair_user, volunteer):
    shift = add(chair_user, estate, volunteer, -2, 2)
    duty.handover_write(shift=shift, note="交接：一切正常", actor=chair_user)
    assert shift.handover.note == "交接：一切正常"


def test_no_handover_before_the_shift_starts_nor_by_someone_else(
    estate, staff, chair, volunteer, committee
):
    future = add(staff, estate, volunteer, 2, 4)
    with pytest.raises(DomainError) as error:
        duty.handover_write(shift=future, note="早了", actor=staff)
    assert error.value.code == "not_started"
    past = add(staff, estate, volunteer, -4, -2)
    neighbour = make_user(person=make_owner(estate.dwellings.last(), "邻居"), password=None)
    with pytest.raises(DomainError) as error:
        duty.handover_write(shift=past, note="不是我的班", actor=neighbour)
    assert error.value.code == "out_of_scope"
    with pytest.raises(DomainError):
        duty.handover_write(shift=past, note="   ", actor=staff)
    assert not DutyHandover.objects.exists()


def test_who_is_on_duty_now(estate, staff, chair, volunteer, committee):
    add(staff, estate, chair, -3, -1)
    gate = add(staff, estate, volunteer, -1, 3, post="门岗")
    room = add(staff, estate, chair, -0.5, 5)
    assert duty_selectors.on_duty_now(estate, NOW) == [room, gate]  # by post: 值 > 门
    assert duty_selectors.on_duty_now(estate, at(4)) == [room]


def test_the_week_roster_shows_the_gaps_in_24_hour_coverage(estate, staff, chair, committee):
    """A week with one day covered around the clock and nothing else: the gaps are the rest
    of the week, per day and in all."""
    monday = duty_selectors.week_of(timezone.localdate(NOW))
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    for begin, end in ((0, 12), (12, 24)):
        duty.shift_add(
            estate=estate,
            person=chair,
            post="值班室",
            starts_at=start + dt.timedelta(hours=begin),
            ends_at=start + dt.timedelta(hours=end),
            actor=staff,
        )
    roster = duty_selectors.week_roster(estate, monday)
    assert roster.days[0].gaps == [] and len(roster.days[0].shifts) == 2
    assert [(g.start.hour, g.end - g.start) for g in roster.days[1].gaps] == [
        (0, dt.timedelta(hours=24))
    ]
    assert len(roster.gaps) == 1 and roster.uncovered_hours == 6 * 24
    assert not roster.covered


def test_a_shift_across_midnight_shows_on_both_days(estate, staff, chair, committee):
    monday = duty_selectors.week_of(timezone.localdate(NOW))
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time(20)))
    shift = duty.shift_add(
        estate=estate,
        person=chair,
        post="值班室",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=12),
        actor=staff,
    )
    roster = duty_selectors.week_roster(estate, monday)
    assert shift in roster.days[0].shifts and shift in roster.days[1].shifts
    assert [(g.start.hour, g.end.hour) for g in roster.days[1].gaps] == [(8, 0)]


def test_duty_candidates_are_the_estates_people_and_its_property_staff(
    estate, staff, chair, volunteer, committee
):
    guard = make_person("保安老周")
    make_user("property_manager", estate=estate, person=guard, password=None)
    make_person("外人")
    names = {p.name for p in duty_selectors.duty_candidates(estate)}
    assert {"李主任", "王志愿", "保安老周"} <= names and "外人" not in names
