"""Owner votes in the database: frozen electorate, one ballot per owner, chain, tally."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_user, tiny_image
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Ballot, Elector
from xiaoqu.decisions.selectors import ballot_by_receipt, participation, tally, tally_by_units
from xiaoqu.decisions.services import electorate
from xiaoqu.registry.models import Ownership

pytestmark = pytest.mark.django_db

JPEG = tiny_image("JPEG")


@pytest.fixture
def estate():
    """One building, one entrance, 3 floors × 2 = 6 units of 80 m², each with its own owner."""
    estate = make_estate(name="表决小区", floors=3, per_floor=2)
    for i, dwelling in enumerate(estate.dwellings.order_by("pk")):
        make_owner(dwelling, f"业主{i}")
    return estate


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


def open_vote(estate, staff, matter=7, **kwargs):
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=matter,
        title="1栋1单元加装电梯",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(days=7),
        actor=staff,
        **kwargs,
    )
    return services.vote_open(vote=vote, actor=staff)


def owner_user(elector):
    return make_user(person=elector.persons.first())


def cast(vote, elector, choice="agree"):
    return services.ballot_cast(
        vote=vote, elector=elector, choice=choice, channel="online", actor=owner_user(elector)
    )


def test_co_owners_and_multi_unit_owners_count_once():
    """Co-owners of a unit are one owner; a buyer of two units is one owner; the developer one."""
    dwellings = [(1, Decimal(80), "owned"), (2, Decimal(70), "owned"), (3, Decimal(60), "owned")]
    dwellings += [
        (4, Decimal(50), "unsold"),
        (5, Decimal(50), "undelivered"),
        (6, Decimal(90), "owned"),
    ]
    owners = [(10, 1), (11, 1), (10, 2), (12, 3)]  # 10 and 11 co-own 1; 10 also owns 2
    groups = electorate(dwellings, owners)
    assert groups["units"] == {"p:10": [1, 2], "p:12": [3], "developer": [4, 5], "d:6": [6]}
    assert groups["persons"]["p:10"] == [10, 11]


def test_opening_freezes_the_electorate(estate, staff):
    vote = open_vote(estate, staff)
    assert Elector.objects.filter(vote=vote).count() == 6
    dwelling = estate.dwellings.first()
    dwelling.area = Decimal("200.00")
    dwelling.save()
    Ownership.objects.filter(dwelling=dwelling).delete()
    assert tally(vote=vote).total.area == Decimal("480.00")
    assert tally(vote=vote).total.owners == 6


def test_entrance_vote_counts_only_that_entrance():
    estate = make_estate(name="两单元", entrances=2, floors=2, per_floor=2)
    for d in estate.dwellings.all():
        make_owner(d)
    staff = make_user("community_staff", estate=estate)
    entrance = estate.buildings.first().entrances.order_by("number").first()
    vote = open_vote(estate, staff, scope="entrance", entrance=entrance)
    assert tally(vote=vote).total.owners == 4


def test_one_ballot_per_owner(estate, staff):
    vote = open_vote(estate, staff)
    elector = vote.electors.first()
    cast(vote, elector)
    with pytest.raises(DomainError) as error:
        cast(vote, elector, "disagree")
    assert error.value.code == "already"
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_ballot_after_closing_is_refused(estate, staff):
    vote = open_vote(estate, staff)
    elector = vote.electors.first()
    with pytest.raises(DomainError) as error:
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice="agree",
            channel="online",
            actor=owner_user(elector),
            now=vote.closes_at + dt.timedelta(seconds=1),
        )
    assert error.value.code == "not_open"


def test_an_owner_cannot_vote_for_someone_else(estate, staff):
    vote = open_vote(estate, staff)
    mine, theirs = list(vote.electors.all()[:2])
    with pytest.raises(DomainError) as error:
        services.ballot_cast(
            vote=vote, elector=theirs, choice="agree", channel="online", actor=owner_user(mine)
        )
    assert error.value.code == "not_own"


def test_paper_ballot_needs_the_scan_and_records_the_staff(estate, staff):
    vote = open_vote(estate, staff)
    elector = vote.electors.first()
    with pytest.raises(DomainError):
        services.ballot_cast(
            vote=vote, elector=elector, choice="agree", channel="paper", actor=staff
        )
    ballot = services.ballot_cast(
        vote=vote,
        elector=elector,
        choice="agree",
        channel="paper",
        actor=staff,
        scan=SimpleUploadedFile("b.jpg", JPEG, content_type="image/jpeg"),
    )
    assert ballot.cast_by == staff and ballot.scan


def test_proxy_ballot_needs_the_written_authorisation(estate, staff):
    vote = open_vote(estate, staff)
    elector = vote.electors.first()
    with pytest.raises(DomainError) as error:
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice="agree",
            channel="proxy",
            actor=staff,
            proxy_name="李四",
        )
    assert error.value.code == "proxy_required"


def test_staff_out_of_scope_cannot_enter_ballots(estate, staff):
    vote = open_vote(estate, staff)
    elsewhere = make_user("community_staff", estate=make_estate(name="别处"))
    with pytest.raises(DomainError) as error:
        services.ballot_cast(
            vote=vote,
            elector=vote.electors.first(),
            choice="agree",
            channel="paper",
            actor=elsewhere,
            scan=SimpleUploadedFile("b.jpg", JPEG),
        )
    assert error.value.code == "out_of_scope"


def test_tally_and_participation(estate, staff):
    vote = open_vote(estate, staff)
    electors = list(vote.electors.order_by("pk"))
    for e in electors[:4]:
        cast(vote, e)
    cast(vote, electors[4], "disagree")
    result = tally(vote=vote)
    assert result.quorum_met and result.passed  # 5 of 6 took part, 4 of 5 agree ≥ 3/4
    live = participation(vote=vote)
    assert (live.owners, live.area, live.total_owners) == (5, Decimal("400.00"), 6)


def test_receipt_finds_the_ballot_without_revealing_the_choice(estate, staff):
    vote = open_vote(estate, staff)
    ballot = cast(vote, vote.electors.first())
    typed = ballot.receipt.lower().replace("-", " ")
    assert ballot_by_receipt(vote=vote, receipt=typed) == ballot
    assert ballot_by_receipt(vote=vote, receipt="0000-0000-0000") is None


def test_database_tally_equals_the_unit_by_unit_tally(estate, staff):
    """Sums in SQL on hundredths give exactly what the engine gives unit by unit."""
    odd = estate.dwellings.order_by("pk")
    for i, d in enumerate(odd):
        d.area = Decimal("80.01") + Decimal(i) / 100 + Decimal("0.1")
        d.save()
    vote = open_vote(estate, staff, matter=4)
    choices = ["agree", "abstain", "agree", "disagree"]
    for e, choice in zip(vote.electors.order_by("pk")[:4], choices, strict=True):
        cast(vote, e, choice)
    assert tally(vote=vote).as_dict() == tally_by_units(vote=vote).as_dict()


def test_an_online_ballot_needs_the_voter_to_read_the_vote(estate, staff):
    """Online, the voting user must hold decisions.read_votes for the vote as well as be one
    of the elector's persons: a deactivated account of an elector casts nothing."""
    vote = open_vote(estate, staff)
    elector = vote.electors.order_by("pk").first()
    user = owner_user(elector)
    user.is_active = False
    user.save()
    with pytest.raises(DomainError) as error:
        services.ballot_cast(
            vote=vote, elector=elector, choice="agree", channel="online", actor=user
        )
    assert error.value.code == "out_of_scope"
    assert not Ballot.objects.exists()
