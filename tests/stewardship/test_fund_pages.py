"""Pages of the maintenance fund: the staff page and its one-form actions, the owners'
statement and its A4 print."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_open_vote, make_owner, make_user, region_chain
from xiaoqu.accounts.models import Role
from xiaoqu.decisions.models import VoteStatus
from xiaoqu.registry.models import Dwelling, Residency
from xiaoqu.stewardship.models import FundEntry, FundWithdrawal
from xiaoqu.stewardship.services import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(buildings=1, entrances=2, floors=2, per_floor=2)


@pytest.fixture
def staff():
    return make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)


@pytest.fixture
def street():
    return make_user(Role.STREET_STAFF, region=region_chain()[-2], password=None)


@pytest.fixture
def manager(estate):
    return make_user(Role.PROPERTY_MANAGER, estate=estate, password=None)


@pytest.fixture
def funded(estate, staff):
    fund.deposits_record(estate=estate, rate_yuan_per_m2="50", on=timezone.localdate(), actor=staff)
    return estate


def _url(name, **kwargs):
    return reverse(f"stewardship:{name}", kwargs=kwargs)


def _today():
    return timezone.localdate().isoformat()


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def _dwellings(estate):
    return list(Dwelling.objects.filter(estate=estate).order_by("pk"))


def _passed_vote(estate, actor):
    vote = make_open_vote(estate, actor, matter=5)
    now = timezone.now()
    vote.status, vote.result = VoteStatus.CLOSED, {"passed": True, "matter": 5}
    vote.result_published_at = now - dt.timedelta(days=20)
    vote.objection_until = now - dt.timedelta(days=5)
    vote.title = "屋面维修使用维修资金"
    vote.save()
    return vote


def test_the_staff_page_shows_the_balance_and_the_forms_of_community_staff(client, funded, staff):
    client.force_login(staff)
    response = client.get(_url("estate_fund", estate_id=funded.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="fund-balance">32,000.00' in html  # 8 dwellings × 4,000.00
    for form in ("deposits-form", "interest-form", "withdraw-form", "emergency-form"):
        assert form in html
    assert "approve-form" not in html


def test_the_property_manager_sees_only_the_application_form(client, funded, manager):
    fund.withdrawal_emergency_apply(
        estate=funded, title="电梯维修", amount="100", reason="电梯故障", actor=manager
    )
    client.force_login(manager)
    html = client.get(_url("estate_fund", estate_id=funded.pk)).content.decode()
    assert "emergency-form" in html
    assert "deposits-form" not in html and "withdraw-form" not in html
    assert "approve-form" not in html


def test_deposits_and_interest_through_the_forms(client, estate, staff):
    client.force_login(staff)
    response = client.post(
        _url("fund_deposits", estate_id=estate.pk), {"rate": "30.5", "on": _today()}, follow=True
    )
    assert "已按交存标准为每户记录交存。" in _messages(response)
    response = client.post(
        _url("fund_interest", estate_id=estate.pk), {"amount": "0.05", "on": _today()}, follow=True
    )
    assert "已按各户余额分配利息。" in _messages(response)
    assert FundEntry.objects.filter(kind="interest").count() == 5  # 5 fen over 8 dwellings
    assert client.get(_url("fund_deposits", estate_id=estate.pk)).status_code == 405


def test_a_withdrawal_without_a_vote_is_refused_on_the_page(client, funded, staff):
    client.force_login(staff)
    before = FundEntry.objects.count()
    response = client.post(
        _url("fund_withdraw", estate_id=funded.pk),
        {"vote": "", "title": "修屋面", "amount": "100", "target": "estate", "on": _today()},
        follow=True,
    )
    assert any("须经业主表决" in m for m in _messages(response))
    assert FundEntry.objects.count() == before and not FundWithdrawal.objects.exists()


def test_a_withdrawal_by_a_passed_vote_through_the_form(client, funded, staff):
    vote = _passed_vote(funded, staff)
    entrance = _dwellings(funded)[0].entrance
    client.force_login(staff)
    response = client.post(
        _url("fund_withdraw", estate_id=funded.pk),
        {
            "vote": vote.pk,
            "title": "一单元屋面防水",
            "amount": "400",
            "target": f"e{entrance.pk}",
            "on": _today(),
        },
        follow=True,
    )
    assert any("已记录维修资金使用" in m for m in _messages(response))
    withdrawal = FundWithdrawal.objects.get()
    assert withdrawal.shares.count() == 4
    assert "一单元屋面防水" in response.content.decode()


def test_a_vote_of_another_estate_posted_is_bad_input(client, funded, staff):
    other = make_estate(community=region_chain(("贵州省", "遵义市"))[-1])
    other_vote = _passed_vote(other, make_user(Role.ADMIN, password=None))
    client.force_login(staff)
    response = client.post(
        _url("fund_withdraw", estate_id=funded.pk),
        {"vote": other_vote.pk, "title": "x", "amount": "1", "target": "estate", "on": _today()},
        follow=True,
    )
    assert "表决不存在。" in _messages(response)
    assert not FundWithdrawal.objects.exists()


def test_the_emergency_procedure_through_the_pages(client, funded, manager, street, staff):
    client.force_login(manager)
    client.post(
        _url("fund_emergency_apply", estate_id=funded.pk),
        {"reason": "屋面漏水", "title": "顶层漏水抢修", "amount": "800"},
    )
    withdrawal = FundWithdrawal.objects.get()
    approve = _url("fund_emergency_approve", withdrawal_id=withdrawal.pk)
    form = {"target": "estate", "on": _today()}
    # Community staff hold manage_fund but are not approvers.
    client.force_login(staff)
    response = client.post(approve, form, follow=True)
    assert "应急使用须由街道或住建部门审核同意。" in _messages(response)
    assert withdrawal.shares.count() == 0
    # The property manager does not reach the approval at all.
    client.force_login(manager)
    assert client.post(approve, form).status_code == 404
    client.force_login(street)
    html = client.get(_url("estate_fund", estate_id=funded.pk)).content.decode()
    assert "approve-form" in html
    client.post(approve, form)
    assert withdrawal.shares.count() == 8
    client.force_login(manager)
    client.post(_url("fund_withdrawal_publish", withdrawal_id=withdrawal.pk))
    withdrawal.refresh_from_db()
    assert withdrawal.published_at is not None


def test_actions_out_of_scope_are_404(client, funded):
    stranger = make_user(Role.STREET_STAFF, estate=make_estate(), password=None)
    client.force_login(stranger)
    assert client.post(_url("fund_deposits", estate_id=funded.pk), {"rate": "1"}).status_code == 404
    assert client.get(_url("estate_fund", estate_id=funded.pk)).status_code == 404


def test_the_owners_statement_shows_their_dwelling_and_never_a_neighbours(client, funded, staff):
    mine, neighbour = _dwellings(funded)[:2]
    Dwelling.objects.filter(pk=neighbour.pk).update(area="123.45")
    fund.deposits_record(
        estate=funded, rate_yuan_per_m2="1.11", on=timezone.localdate(), actor=staff
    )
    user = make_user(person=make_owner(mine, name="业主甲"), password=None)
    make_owner(neighbour, name="邻居乙")
    client.force_login(user)
    response = client.get(_url("fund_statement", estate_id=funded.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="dwelling-{mine.pk}"' in html and f'id="dwelling-{neighbour.pk}"' not in html
    assert "邻居乙" not in html and "137.03" not in html  # 123.45 m² × 1.11 yuan
    statement = response.context["mine"][0]
    assert statement.closing == 400000 + 8880  # 80 m² × 50 + 80 m² × 1.11, in fen
    assert f'class="num closing">{4088.80:,.2f}' in html


def test_a_tenant_sees_the_estates_totals_only(client, funded):
    tenant = make_user(password=None, person=make_owner(_dwellings(funded)[0], name="房东"))
    tenant.person.ownerships.all().delete()
    Residency.objects.create(
        person=tenant.person, dwelling=_dwellings(funded)[0], relation="tenant"
    )
    client.force_login(tenant)
    html = client.get(_url("fund_statement", estate_id=funded.pk)).content.decode()
    assert 'id="estate-closing"' in html and 'id="no-own-dwelling"' in html


def test_the_print_shows_counts_and_totals_only(client, funded, staff):
    make_owner(_dwellings(funded)[0], name="业主丙")
    client.force_login(staff)
    response = client.get(_url("fund_statement_print", estate_id=funded.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "32,000.00" in html and "房屋 8 户" in html
    assert "业主丙" not in html and "4,000.00" not in html


def test_an_earlier_period_is_chosen_by_its_key(client, funded, staff):
    client.force_login(staff)
    response = client.get(_url("fund_statement", estate_id=funded.pk) + "?period=2001-1")
    assert response.context["period"].key == "2001-1"
    assert response.context["statement"].closing == 0
    bad = client.get(_url("fund_statement", estate_id=funded.pk) + "?period=abc")
    assert bad.status_code == 200


def test_the_estate_page_and_the_residents_home_link_the_fund(client, funded, staff):
    client.force_login(staff)
    html = client.get(reverse("registry:estate_detail", kwargs={"estate_id": funded.pk})).content
    assert _url("estate_fund", estate_id=funded.pk).encode() in html
    owner = make_user(person=make_owner(_dwellings(funded)[0]), password=None)
    client.force_login(owner)
    html = client.get(reverse("registry:resident_home")).content
    assert _url("fund_statement", estate_id=funded.pk).encode() in html
