"""The maintenance fund's services and reads (stewardship.services.fund, fund_selectors)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import make_estate, make_open_vote, make_owner, make_user, region_chain
from xiaoqu.accounts.models import Role
from xiaoqu.core.audit import AuditLog
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions.models import VoteStatus
from xiaoqu.registry.models import Dwelling
from xiaoqu.stewardship import fund_ledger
from xiaoqu.stewardship import fund_selectors as selectors
from xiaoqu.stewardship.models import FundEntry, FundWithdrawal
from xiaoqu.stewardship.services import fund

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 1)


@pytest.fixture
def staff():
    return make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)


@pytest.fixture
def street():
    return make_user(Role.STREET_STAFF, region=region_chain()[-2], password=None)


@pytest.fixture
def estate():
    """One building, two entrances, three floors of two dwellings of 80 m² (12 dwellings)."""
    return make_estate(buildings=1, entrances=2, floors=3, per_floor=2)


@pytest.fixture
def manager(estate):
    return make_user(Role.PROPERTY_MANAGER, estate=estate, password=None)


@pytest.fixture
def funded(estate, staff):
    """The estate after a deposit of 50 yuan/m²: 4,000.00 yuan per dwelling."""
    fund.deposits_record(estate=estate, rate_yuan_per_m2="50", on=TODAY, actor=staff)
    return estate


def passed_vote(estate, actor, *, matter=5, objection_over=True, published=True, passed=True):
    vote = make_open_vote(estate, actor, matter=matter)
    vote.status = VoteStatus.CLOSED
    now = timezone.now()
    vote.result = {"passed": passed, "matter": matter}
    vote.result_published_at = now - dt.timedelta(days=20) if published else None
    vote.objection_until = now + dt.timedelta(days=(-5 if objection_over else 5))
    vote.save()
    return vote


def dwellings(estate):
    return list(Dwelling.objects.filter(estate=estate).order_by("pk"))


def balances(estate):
    return fund.dwelling_balances(estate)


def snapshot():
    return (
        FundEntry.objects.count(),
        FundWithdrawal.objects.count(),
        AuditLog.objects.count(),
    )


# --- deposits and interest ----------------------------------------------------------------------


def test_deposits_are_area_times_rate_to_the_fen_half_up(estate, staff):
    """One deposit per dwelling: exclusive area × rate, rounded half up per dwelling."""
    a, b = dwellings(estate)[:2]
    Dwelling.objects.filter(pk=a.pk).update(area=Decimal("63.27"))
    Dwelling.objects.filter(pk=b.pk).update(area=Decimal("63.25"))
    entries = fund.deposits_record(estate=estate, rate_yuan_per_m2="25.50", on=TODAY, actor=staff)
    assert len(entries) == 12
    got = balances(estate)
    assert got[a.pk] == 161339 and got[b.pk] == 161288  # 1613.385 and 1612.875 yuan, up
    assert set(list(got.values())[2:]) == {204000}
    assert AuditLog.objects.filter(action="stewardship.fund_deposits").count() == 1


def test_interest_by_amount_is_shared_by_balance_with_an_exact_total(funded, staff):
    d = dwellings(funded)
    fund.withdrawal_by_vote(
        estate=funded,
        title="换水泵",
        amount="1000",
        dwellings=d[:1],
        vote=passed_vote(funded, staff),
        on=TODAY,
        actor=staff,
    )
    fund.interest_record(estate=funded, amount="100.01", on=TODAY, actor=staff)
    interest = dict(
        FundEntry.objects.filter(kind="interest").values_list("dwelling_id", "amount_fen")
    )
    assert sum(interest.values()) == 10001
    assert interest[d[0].pk] < interest[d[1].pk]  # a lower balance earns less


def test_interest_by_rate_is_a_percentage_of_the_balance(funded, staff):
    fund.interest_record(estate=funded, rate_percent="1.35", on=TODAY, actor=staff)
    total = sum(FundEntry.objects.filter(kind="interest").values_list("amount_fen", flat=True))
    assert total == 64800  # 1.35 % of 12 × 4,000.00 yuan: 648.00 yuan


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"amount": "", "rate_percent": ""}, "interest_input"),
        ({"amount": "1", "rate_percent": "1"}, "interest_input"),
        ({"amount": "1.001"}, "amount_decimals"),
        ({"amount": "-5"}, "amount_negative"),
        ({"rate_percent": "abc"}, "rate_invalid"),
        ({"rate_percent": "0"}, "rate_invalid"),
    ],
)
def test_bad_interest_input_changes_nothing(funded, staff, kwargs, code):
    before = snapshot()
    with pytest.raises(DomainError) as error:
        fund.interest_record(estate=funded, on=TODAY, actor=staff, **kwargs)
    assert error.value.code == code
    assert snapshot() == before


@pytest.mark.parametrize(
    ("rate", "on", "code"),
    [
        ("", TODAY, "rate_missing"),
        ("五十", TODAY, "amount_invalid"),
        ("0", TODAY, "amount_zero"),
        ("50", dt.date(2999, 1, 1), "date_future"),
        ("50", dt.date(1999, 12, 31), "date_past"),
    ],
)
def test_bad_deposit_input_changes_nothing(estate, staff, rate, on, code):
    before = snapshot()
    with pytest.raises(DomainError) as error:
        fund.deposits_record(estate=estate, rate_yuan_per_m2=rate, on=on, actor=staff)
    assert error.value.code == code
    assert snapshot() == before


# --- uses by the owners' vote ------------------------------------------------------------------


def _withdraw(estate, actor, vote, amount="1200", targets=None):
    return fund.withdrawal_by_vote(
        estate=estate,
        title="屋面防水维修",
        amount=amount,
        dwellings=targets if targets is not None else dwellings(estate),
        vote=vote,
        on=TODAY,
        actor=actor,
    )


def test_a_use_by_a_passed_matter_5_vote_is_split_by_area(funded, staff):
    d = dwellings(funded)
    Dwelling.objects.filter(pk=d[0].pk).update(area=Decimal("160.00"))
    withdrawal = _withdraw(funded, staff, passed_vote(funded, staff), amount="1300.01")
    shares = dict(withdrawal.shares.values_list("dwelling_id", "amount_fen"))
    assert sum(shares.values()) == -130001
    # Twice the area of the others: 2/13 of 1,300.01 is 200.0015…, and its remainder is the
    # largest, so the fen left over is its.
    assert shares[d[0].pk] == -20001
    assert withdrawal.published_at is not None and withdrawal.vote is not None
    assert AuditLog.objects.filter(action="stewardship.fund_withdraw").count() == 1


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda estate, other, actor: None, "vote_missing"),
        (lambda estate, other, actor: passed_vote(other, actor), "vote_estate"),
        (lambda estate, other, actor: passed_vote(estate, actor, matter=6), "vote_matter"),
        (
            lambda estate, other, actor: passed_vote(estate, actor, published=False),
            "vote_not_passed",
        ),
        (lambda estate, other, actor: passed_vote(estate, actor, passed=False), "vote_not_passed"),
        (
            lambda estate, other, actor: passed_vote(estate, actor, objection_over=False),
            "vote_not_passed",
        ),
        (lambda estate, other, actor: make_open_vote(estate, actor, matter=5), "vote_not_passed"),
    ],
    ids=["no vote", "other estate", "matter 6", "unpublished", "rejected", "objections", "open"],
)
def test_fund_withdrawals_without_the_vote_refused(funded, staff, make, code):
    """A use needs a passed matter-5 vote of this estate whose objection period is over."""
    other = make_estate()
    vote = make(funded, other, staff)
    before = snapshot()
    with pytest.raises(DomainError) as error:
        _withdraw(funded, staff, vote)
    assert error.value.code == code
    assert snapshot() == before


def test_an_overdraw_is_refused_naming_the_first_dwelling_short(funded, staff):
    d = dwellings(funded)
    _withdraw(funded, staff, passed_vote(funded, staff), amount="3999.99", targets=d[1:2])
    vote = passed_vote(funded, staff)
    before = snapshot()
    with pytest.raises(DomainError) as error:
        _withdraw(funded, staff, vote, amount="120")
    assert error.value.code == "overdraw"
    label = Dwelling.objects.select_related("building", "entrance").get(pk=d[1].pk).label
    assert label in error.value.message and "0.01" in error.value.message
    assert snapshot() == before
    assert min(balances(funded).values()) >= 0


def test_beneficiaries_must_lie_within_the_votes_scope(funded, staff):
    vote = passed_vote(funded, staff)
    entrance = dwellings(funded)[0].entrance
    vote.scope, vote.entrance, vote.building = "entrance", entrance, None
    vote.save()
    with pytest.raises(DomainError) as error:
        _withdraw(funded, staff, vote)
    assert error.value.code == "dwellings_scope"
    inside = [d for d in dwellings(funded) if d.entrance_id == entrance.pk]
    assert _withdraw(funded, staff, vote, targets=inside).shares.count() == 6


def test_staff_out_of_scope_and_property_managers_cannot_record(funded, staff, manager):
    stranger = make_user(Role.COMMUNITY_STAFF, estate=make_estate(), password=None)
    for actor in (stranger, manager):
        with pytest.raises(DomainError) as error:
            fund.deposits_record(estate=funded, rate_yuan_per_m2="1", on=TODAY, actor=actor)
        assert error.value.code == "out_of_scope"


# --- the emergency procedure -------------------------------------------------------------------


def _apply(estate, actor, reason="电梯故障"):
    return fund.withdrawal_emergency_apply(
        estate=estate, title="更换电梯主板", amount="2400", reason=reason, actor=actor
    )


def test_an_emergency_use_is_applied_for_approved_by_the_street_and_published(
    funded, manager, street
):
    withdrawal = _apply(funded, manager)
    assert withdrawal.shares.count() == 0 and withdrawal.approved_at is None
    entrance = dwellings(funded)[0].entrance
    inside = [d for d in dwellings(funded) if d.entrance_id == entrance.pk]
    approved = fund.withdrawal_emergency_approve(
        withdrawal=withdrawal, dwellings=inside, on=TODAY, actor=street
    )
    assert approved.approved_by == street
    assert sorted(approved.shares.values_list("amount_fen", flat=True)) == [-40000] * 6
    published = fund.withdrawal_publish(withdrawal=approved, actor=manager)
    assert published.published_at is not None
    with pytest.raises(DomainError):
        fund.withdrawal_publish(withdrawal=published, actor=manager)


def test_an_emergency_use_is_only_for_the_cases_of_the_local_rules(funded, manager, settings):
    with pytest.raises(DomainError) as error:
        _apply(funded, manager, reason="外墙粉刷")
    assert error.value.code == "reason" and "屋面漏水" in error.value.message
    settings.XIAOQU_FUND_EMERGENCY_CASES = "电梯故障,二次供水污染"
    assert _apply(funded, manager, reason="二次供水污染").emergency


def test_only_the_managing_body_committee_or_community_apply(funded, street):
    owner_user = make_user(person=make_owner(dwellings(funded)[0]), password=None)
    for actor in (street, owner_user):
        with pytest.raises(DomainError):
            _apply(funded, actor)
    committee = make_user(Role.OWNERS_COMMITTEE, estate=funded, password=None)
    assert _apply(funded, committee).applied_by == committee


def test_only_street_staff_or_the_housing_bureau_approve(funded, manager, staff):
    """Community staff record the fund but do not approve an emergency use."""
    withdrawal = _apply(funded, manager)
    for actor in (staff, manager):
        before = snapshot()
        with pytest.raises(DomainError) as error:
            fund.withdrawal_emergency_approve(
                withdrawal=withdrawal, dwellings=dwellings(funded), on=TODAY, actor=actor
            )
        assert error.value.code in ("approver_role", "out_of_scope")
        assert snapshot() == before
    bureau = make_user(Role.HOUSING_BUREAU, region=region_chain()[2], password=None)
    fund.withdrawal_emergency_approve(
        withdrawal=withdrawal, dwellings=dwellings(funded), on=TODAY, actor=bureau
    )
    with pytest.raises(DomainError) as error:
        fund.withdrawal_emergency_approve(
            withdrawal=withdrawal, dwellings=dwellings(funded), on=TODAY, actor=bureau
        )
    assert error.value.code == "approved"


def test_an_emergency_approval_that_would_overdraw_writes_nothing(funded, manager, street):
    withdrawal = fund.withdrawal_emergency_apply(
        estate=funded, title="消防管道", amount="4000.01", reason="消防隐患", actor=manager
    )
    before = snapshot()
    with pytest.raises(DomainError) as error:
        fund.withdrawal_emergency_approve(
            withdrawal=withdrawal, dwellings=dwellings(funded)[:1], on=TODAY, actor=street
        )
    assert error.value.code == "overdraw"
    assert snapshot() == before
    withdrawal.refresh_from_db()
    assert withdrawal.approved_at is None
    with pytest.raises(DomainError) as error:
        fund.withdrawal_publish(withdrawal=withdrawal, actor=manager)
    assert error.value.code == "not_approved"


# --- reads equal the pure module, statements reconcile ----------------------------------------


def test_the_db_totals_equal_the_pure_module(funded, staff, manager, street):
    _withdraw(
        funded, staff, passed_vote(funded, staff), amount="777.77", targets=dwellings(funded)[:5]
    )
    fund.interest_record(estate=funded, amount="12.34", on=TODAY, actor=staff)
    w = _apply(funded, manager)
    fund.withdrawal_emergency_approve(
        withdrawal=w, dwellings=dwellings(funded), on=TODAY, actor=street
    )
    pure = fund_ledger.dwelling_totals(selectors.entries_of(funded))
    db = selectors.dwelling_totals(funded)
    assert {k: v for k, v in db.items()} == {k: pure.get(k, fund_ledger.Totals()) for k in db}
    assert selectors.estate_totals(funded) == fund_ledger.estate_totals(pure)
    assert all(t.balance >= 0 for t in db.values())


def test_an_owners_statement_reconciles_to_the_fen(funded, staff):
    mine = dwellings(funded)[0]
    user = make_user(person=make_owner(mine), password=None)
    make_owner(dwellings(funded)[1], name="邻居乙")
    _withdraw(funded, staff, passed_vote(funded, staff), amount="1000.01")
    fund.interest_record(estate=funded, amount="0.07", on=TODAY, actor=staff)
    period = selectors.period_from(None, today=TODAY)
    statements = selectors.owner_statement(user, funded, period)
    assert [s.dwelling.pk for s in statements] == [mine.pk]
    s = statements[0]
    assert s.opening + sum(line.entry.amount_fen for line in s.lines) == s.closing
    assert s.closing == balances(funded)[mine.pk]
    m = s.movements
    assert s.opening + m.deposits + m.interest - m.withdrawals == s.closing
    estate = selectors.estate_statement(funded, period)
    assert estate.closing == sum(balances(funded).values())
    assert estate.opening + estate.movements.balance == estate.closing
