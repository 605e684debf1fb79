"""Who manages an estate: bodies and their history, the register's mode following the current
body, each kind's checks, committee members, documents with their votes, the five parties'
seats, scope, and bad input changing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import (
    make_estate,
    make_grid,
    make_meeting,
    make_owner,
    make_party_org,
    make_passed_vote,
    make_person,
    make_property_body,
    make_user,
    region_chain,
)
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Estate, ManagementMode
from xiaoqu.stewardship.models import BodyMember, ManagementBody, ManagementDocument, PartySeat
from xiaoqu.stewardship.services import bodies

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def days(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def estate():
    return make_estate(buildings=2, floors=1, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community, password=None)


def snapshot(estate: Estate) -> tuple:
    """Everything the services write, to check that refused input changed nothing."""
    estate.refresh_from_db()
    return (
        list(ManagementBody.objects.order_by("pk").values()),
        list(BodyMember.objects.order_by("pk").values()),
        list(ManagementDocument.objects.order_by("pk").values()),
        list(PartySeat.objects.order_by("pk").values()),
        estate.management_mode,
        AuditLog.objects.count(),
    )


def refused(call, estate: Estate, code: str | None = None, /, **kwargs) -> DomainError:
    before = snapshot(estate)
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert snapshot(estate) == before
    if code is not None:
        assert caught.value.code == code, caught.value.message
    return caught.value


def committee(estate, staff, kind="self_committee", started: dt.date | None = None, **extra):
    started = started or days(10)
    meeting = extra.pop("elected_at", None) or make_meeting(estate, "council", held_on=started)
    return bodies.body_start(
        estate=estate,
        kind=kind,
        name="居民自管会",
        started_on=started,
        elected_at=meeting,
        term_end=started + dt.timedelta(days=3 * 365),
        actor=staff,
        **extra,
    )


# --- history and the register's mode ------------------------------------------------------------


def test_a_new_body_ends_the_current_one_the_day_before_and_keeps_the_history(estate, staff):
    first = make_property_body(estate, staff, started_on=days(400))
    second = bodies.body_start(
        estate=estate, kind="community", name="金仓社区托管", started_on=days(30), actor=staff
    )
    first.refresh_from_db()
    assert first.ended_on == days(31)
    assert second.ended_on is None
    assert list(ManagementBody.objects.filter(estate=estate).order_by("started_on")) == [
        first,
        second,
    ]
    assert bodies.current_body(estate) == second


@pytest.mark.parametrize(
    ("kind", "mode"),
    [
        ("property_company", ManagementMode.PROPERTY_COMPANY),
        ("red_property", ManagementMode.PROPERTY_COMPANY),
        ("self_committee", ManagementMode.SELF_MANAGED),
        ("owners_committee", ManagementMode.SELF_MANAGED),
        ("community", ManagementMode.COMMUNITY_CARETAKER),
        ("employer", ManagementMode.EMPLOYER),
    ],
)
def test_the_registers_mode_follows_the_current_body(estate, staff, kind, mode):
    details: dict = {}
    if kind in ("property_company", "red_property"):
        details = {
            "contract_start": days(10),
            "contract_end": days(10) + dt.timedelta(days=365),
            "fee_per_m2": "0.50",
        }
    if kind == "red_property":
        details["party_organization"] = make_party_org("branch", region=estate.community)
    if kind in ("self_committee", "owners_committee"):
        details = {
            "elected_at": make_meeting(estate, "owners_assembly", held_on=days(12)),
            "term_end": days(10) + dt.timedelta(days=365),
        }
    bodies.body_start(
        estate=estate, kind=kind, name="管理者", started_on=days(10), actor=staff, **details
    )
    estate.refresh_from_db()
    assert estate.management_mode == mode
    row = AuditLog.objects.filter(action="registry.estate_management_mode").latest("pk")
    assert row.object_id == str(estate.pk)
    assert row.before == {"management_mode": "none"} and row.after == {"management_mode": mode}


def test_ending_the_current_body_leaves_the_estate_unmanaged(estate, staff):
    body = make_property_body(estate, staff, started_on=days(100))
    bodies.body_end(estate=estate, ended_on=days(1), actor=staff)
    body.refresh_from_db()
    estate.refresh_from_db()
    assert body.ended_on == days(1)
    assert estate.management_mode == ManagementMode.NONE
    assert bodies.current_body(estate) is None
    # The next body starts after the last one ended, not on an overlapping day.
    refused(
        bodies.body_start,
        estate,
        "date",
        estate=estate,
        kind="community",
        name="社区托管",
        started_on=days(1),
        actor=staff,
    )
    bodies.body_start(
        estate=estate, kind="community", name="社区托管", started_on=TODAY, actor=staff
    )
    estate.refresh_from_db()
    assert estate.management_mode == ManagementMode.COMMUNITY_CARETAKER


def test_ending_without_a_current_body_or_before_its_start_is_refused(estate, staff):
    refused(bodies.body_end, estate, "no_body", estate=estate, ended_on=TODAY, actor=staff)
    make_property_body(estate, staff, started_on=days(10))
    refused(bodies.body_end, estate, "date", estate=estate, ended_on=days(11), actor=staff)
    refused(
        bodies.body_end,
        estate,
        "date",
        estate=estate,
        ended_on=TODAY + dt.timedelta(days=1),
        actor=staff,
    )


def test_a_new_body_must_start_after_the_current_one_and_not_in_the_future(estate, staff):
    make_property_body(estate, staff, started_on=days(10))
    for started in (days(10), days(20), TODAY + dt.timedelta(days=1)):
        refused(
            bodies.body_start,
            estate,
            "date",
            estate=estate,
            kind="community",
            name="社区托管",
            started_on=started,
            actor=staff,
        )


# --- each kind's checks -------------------------------------------------------------------------


def company_call(estate, staff, **overrides):
    kwargs = {
        "estate": estate,
        "kind": "property_company",
        "name": "安居物业",
        "started_on": days(10),
        "contract_start": days(10),
        "contract_end": days(10) + dt.timedelta(days=365),
        "fee_per_m2": "0.80",
        "actor": staff,
    }
    return kwargs | overrides


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"contract_end": days(10)}, "contract"),
        ({"contract_end": days(20)}, "contract"),
        ({"contract_start": None}, "contract"),
        ({"fee_per_m2": "-0.10"}, "fee"),
        ({"fee_per_m2": "0.555"}, "fee"),
        ({"fee_per_m2": "一元"}, "fee"),
        ({"fee_per_m2": "NaN"}, "fee"),
        ({"fee_per_m2": None}, "fee"),
        ({"fee_per_m2": "10000"}, "fee"),
        ({"name": "  "}, "name"),
        ({"kind": "castle"}, "kind"),
        ({"contact_phone": "call me"}, "contact"),
    ],
)
def test_a_property_company_needs_its_contract_in_order_and_a_fee_in_fen(
    estate, staff, overrides, code
):
    refused(bodies.body_start, estate, code, **company_call(estate, staff, **overrides))


def test_a_property_company_keeps_its_contract_and_fee(estate, staff):
    body = bodies.body_start(**company_call(estate, staff, fee_per_m2="1.5", elected_at=None))
    body.refresh_from_db()
    assert body.fee_per_m2 == Decimal("1.50")
    assert (body.contract_start, body.elected_at) == (days(10), None)


def test_a_red_property_needs_a_party_organisation_of_the_community_or_above(estate, staff):
    base = company_call(estate, staff, kind="red_property")
    refused(bodies.body_start, estate, "party_org", **base)
    elsewhere = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
    refused(
        bodies.body_start,
        estate,
        "party_org",
        **base | {"party_organization": make_party_org("branch", region=elsewhere)},
    )
    other_estate = make_estate(estate.community)
    of_other = make_party_org("branch", region=estate.community)
    of_other.estate = other_estate
    of_other.save()
    refused(bodies.body_start, estate, "party_org", **base | {"party_organization": of_other})
    street = estate.community.parent
    org = make_party_org("committee", region=street)
    body = bodies.body_start(**base | {"party_organization": org})
    assert body.party_organization == org


def test_a_committee_needs_the_meeting_of_this_estate_that_elected_it(estate, staff):
    base = {
        "estate": estate,
        "kind": "self_committee",
        "name": "自管会",
        "started_on": days(10),
        "term_end": days(10) + dt.timedelta(days=365),
        "actor": staff,
    }
    refused(bodies.body_start, estate, "meeting", **base)
    other = make_estate(estate.community)
    for meeting in (
        make_meeting(other, "owners_assembly", held_on=days(20)),
        make_meeting(estate, "courtyard", held_on=days(20)),
        make_meeting(estate, "joint", held_on=days(20)),
        make_meeting(estate, "council", held_on=days(9)),
    ):
        refused(bodies.body_start, estate, "meeting", **base | {"elected_at": meeting})
    good = make_meeting(estate, "council", held_on=days(10))
    refused(bodies.body_start, estate, "term", **base | {"elected_at": good, "term_end": days(10)})
    refused(bodies.body_start, estate, "term", **base | {"elected_at": good, "term_end": None})
    body = bodies.body_start(**base | {"elected_at": good, "kind": "owners_committee"})
    assert body.elected_at == good


def test_fields_of_another_kind_are_not_kept(estate, staff):
    body = bodies.body_start(
        estate=estate,
        kind="community",
        name="社区托管",
        started_on=days(5),
        fee_per_m2="0.30",
        term_end=TODAY,
        actor=staff,
    )
    body.refresh_from_db()
    assert body.fee_per_m2 is None and body.term_end is None


# --- committee members --------------------------------------------------------------------------


def test_committee_members_own_or_live_in_the_estate(estate, staff):
    committee(estate, staff)
    owner = make_owner(estate.dwellings.first(), "李主任")
    member = bodies.member_add(estate=estate, person=owner, role="主任", actor=staff)
    assert member.body == bodies.current_body(estate)
    refused(
        bodies.member_add,
        estate,
        "duplicate",
        estate=estate,
        person=owner,
        role="委员",
        actor=staff,
    )
    refused(
        bodies.member_add,
        estate,
        "person",
        estate=estate,
        person=make_person("路人"),
        role="委员",
        actor=staff,
    )
    other = make_estate(estate.community)
    outsider = make_owner(other.dwellings.first(), "邻居")
    refused(
        bodies.member_add,
        estate,
        "person",
        estate=estate,
        person=outsider,
        role="委员",
        actor=staff,
    )
    refused(
        bodies.member_add,
        estate,
        "role",
        estate=estate,
        person=make_owner(estate.dwellings.last()),
        role=" ",
        actor=staff,
    )
    bodies.member_remove(member=member, actor=staff)
    assert not BodyMember.objects.exists()


def test_members_only_for_a_current_committee(estate, staff):
    owner = make_owner(estate.dwellings.first())
    refused(
        bodies.member_add, estate, "body", estate=estate, person=owner, role="委员", actor=staff
    )
    make_property_body(estate, staff, started_on=days(10))
    refused(
        bodies.member_add, estate, "body", estate=estate, person=owner, role="委员", actor=staff
    )


def test_members_of_a_past_committee_stay_as_history(estate, staff):
    committee(estate, staff, started=days(100))
    member = bodies.member_add(
        estate=estate, person=make_owner(estate.dwellings.first()), role="主任", actor=staff
    )
    make_property_body(estate, staff, started_on=days(5))
    member.refresh_from_db()
    refused(bodies.member_remove, estate, "ended", member=member, actor=staff)


# --- documents and their votes ------------------------------------------------------------------


def document_call(estate, staff, **overrides):
    kwargs = {
        "estate": estate,
        "kind": "covenant",
        "title": "管理规约",
        "text": "第一条……",
        "effective_on": TODAY,
        "actor": staff,
    }
    return kwargs | overrides


def test_the_covenant_and_procedure_need_a_passed_vote_on_their_matter(estate, staff):
    covenant_vote = make_passed_vote(estate, staff, matter=2)
    procedure_vote = make_passed_vote(estate, staff, matter=1)
    refused(bodies.document_add, estate, "no_vote", **document_call(estate, staff))
    refused(
        bodies.document_add,
        estate,
        "vote_matter",
        **document_call(estate, staff, vote=procedure_vote),
    )
    refused(
        bodies.document_add,
        estate,
        "vote_matter",
        **document_call(estate, staff, kind="procedure", vote=covenant_vote),
    )
    document = bodies.document_add(**document_call(estate, staff, vote=covenant_vote))
    assert document.vote == covenant_vote
    bodies.document_add(
        **document_call(estate, staff, kind="procedure", title="议事规则", vote=procedure_vote)
    )
    row = AuditLog.objects.filter(action="stewardship.document_add").latest("pk")
    assert row.after["vote"] == procedure_vote.pk


def test_a_vote_not_published_as_passed_or_of_another_estate_is_refused(estate, staff):
    failed = make_passed_vote(estate, staff, matter=2)
    failed.result = {"passed": False}
    failed.save()
    unpublished = make_passed_vote(estate, staff, matter=2)
    unpublished.result_published_at = None
    unpublished.save()
    other = make_passed_vote(make_estate(estate.community), staff, matter=2)
    entrance = make_passed_vote(estate, staff, matter=2)
    entrance.scope = "entrance"
    entrance.entrance = estate.buildings.first().entrances.first()
    entrance.save()
    for vote, code in (
        (failed, "vote_passed"),
        (unpublished, "vote_passed"),
        (other, "vote_estate"),
        (entrance, "vote_scope"),
    ):
        refused(bodies.document_add, estate, code, **document_call(estate, staff, vote=vote))
    early = make_passed_vote(estate, staff, matter=2, days_ago=3)
    refused(
        bodies.document_add,
        estate,
        "date",
        **document_call(estate, staff, vote=early, effective_on=days(5)),
    )


def test_a_charter_without_a_vote_needs_the_meeting_that_elected_the_current_self_committee(
    estate, staff
):
    call = document_call(estate, staff, kind="charter", title="自管会章程")
    refused(bodies.document_add, estate, "no_vote", **call)
    make_property_body(estate, staff, started_on=days(50))
    refused(bodies.document_add, estate, "no_vote", **call)
    body = committee(estate, staff, started=days(10))
    refused(bodies.document_add, estate, "date", **call | {"effective_on": days(11)})
    charter = bodies.document_add(**call)
    assert charter.vote is None and body.elected_at.held_on <= charter.effective_on
    with_vote = bodies.document_add(**call | {"vote": make_passed_vote(estate, staff, matter=9)})
    assert with_vote.vote is not None


@pytest.mark.parametrize(
    ("overrides", "code"),
    [({"title": ""}, "title"), ({"text": "  "}, "text"), ({"kind": "poem"}, "kind")],
)
def test_a_document_needs_a_kind_title_and_text(estate, staff, overrides, code):
    vote = make_passed_vote(estate, staff, matter=2)
    refused(
        bodies.document_add, estate, code, **document_call(estate, staff, vote=vote, **overrides)
    )


# --- the five parties ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "role", "level"),
    [
        ("housing", "housing_bureau", 2),
        ("street", "street_staff", 3),
        ("community", "community_staff", 4),
        ("owners", "owners_committee", None),
        ("manager", "property_manager", None),
    ],
)
def test_a_seat_needs_the_matching_role_at_the_estate(estate, staff, party, role, level):
    chain = region_chain()
    place = {"region": chain[level]} if level is not None else {"estate": estate}
    holder = make_user(role, password=None, **place)
    elsewhere = make_user(
        role,
        password=None,
        estate=make_estate(
            region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
        ),
    )
    wrong_role = make_user("grid_worker", estate=estate, password=None)
    for user in (elsewhere, wrong_role):
        refused(
            bodies.seat_add, estate, "seat_role", estate=estate, party=party, user=user, actor=staff
        )
    seat = bodies.seat_add(estate=estate, party=party, user=holder, actor=staff)
    assert (seat.party, seat.user) == (party, holder)
    refused(
        bodies.seat_add, estate, "duplicate", estate=estate, party=party, user=holder, actor=staff
    )
    bodies.seat_remove(seat=seat, actor=staff)
    assert not PartySeat.objects.exists()


def test_a_grid_assignment_over_the_estate_counts_for_a_seat(estate, staff):
    grid = make_grid([estate.buildings.first()])
    worker = make_user(password=None)
    worker.roles.create(role="community_staff", grid=grid)
    assert bodies.seat_add(estate=estate, party="community", user=worker, actor=staff)


def test_a_member_of_the_current_self_committee_sits_for_the_owners(estate, staff):
    committee(estate, staff)
    person = make_owner(estate.dwellings.first(), "自管会主任")
    user = make_user(person=person, password=None)
    refused(
        bodies.seat_add, estate, "seat_role", estate=estate, party="owners", user=user, actor=staff
    )
    bodies.member_add(estate=estate, person=person, role="主任", actor=staff)
    assert bodies.seat_add(estate=estate, party="owners", user=user, actor=staff)
    # Being on the committee is not a role for the other parties.
    refused(
        bodies.seat_add, estate, "seat_role", estate=estate, party="manager", user=user, actor=staff
    )


def test_an_unknown_party_or_an_inactive_user_is_refused(estate, staff):
    user = make_user("property_manager", estate=estate, password=None)
    refused(bodies.seat_add, estate, "party", estate=estate, party="mayor", user=user, actor=staff)
    user.is_active = False
    user.save()
    refused(
        bodies.seat_add, estate, "seat_role", estate=estate, party="manager", user=user, actor=staff
    )


# --- scope --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["grid_worker", "property_manager", "housing_bureau"])
def test_only_community_and_street_staff_in_scope_manage_bodies(estate, role):
    user = make_user(role, region=estate.community, password=None)
    refused(bodies.body_start, estate, "out_of_scope", **company_call(estate, user))


def test_staff_of_another_community_cannot_touch_the_estate(estate, staff):
    other = make_estate(
        region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
    )
    outsider = make_user("street_staff", region=other.community.parent, password=None)
    make_property_body(estate, staff, started_on=days(10))
    seat_user = make_user("property_manager", estate=estate, password=None)
    seat = bodies.seat_add(estate=estate, party="manager", user=seat_user, actor=staff)
    vote = make_passed_vote(estate, staff, matter=2)
    refused(
        bodies.body_start,
        estate,
        "out_of_scope",
        **company_call(estate, outsider, started_on=days(2)),
    )
    refused(bodies.body_end, estate, "out_of_scope", estate=estate, ended_on=TODAY, actor=outsider)
    refused(
        bodies.document_add, estate, "out_of_scope", **document_call(estate, outsider, vote=vote)
    )
    refused(bodies.seat_remove, estate, "out_of_scope", seat=seat, actor=outsider)
    refused(
        bodies.seat_add,
        estate,
        "out_of_scope",
        estate=estate,
        party="manager",
        user=seat_user,
        actor=outsider,
    )


def test_every_write_leaves_an_audit_row_with_its_actor(estate, staff):
    make_property_body(estate, staff, started_on=days(10))
    bodies.body_end(estate=estate, ended_on=TODAY, actor=staff)
    actions = set(AuditLog.objects.filter(actor=staff).values_list("action", flat=True))
    assert {
        "stewardship.body_start",
        "stewardship.body_end",
        "registry.estate_management_mode",
    } <= actions
