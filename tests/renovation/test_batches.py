"""The annual batch page: candidates from the register, the optimiser's proposal, and the
confirmation that creates exactly the proposed batch (and nothing else)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_batch,
    make_estate,
    make_project,
    make_published_plan,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.core.models import AuditLog
from xiaoqu.needs.models import Demand, DemandList, DemandListItem
from xiaoqu.registry.models import RenovationStage
from xiaoqu.renovation import batches
from xiaoqu.renovation.models import Batch, BatchEstate, ProjectStage
from xiaoqu.renovation.services import batches as services

pytestmark = pytest.mark.django_db

YEAR = 2026
PER_HOUSEHOLD_FEN = 1_500_000  # 15,000 yuan
OPTIMISE = reverse("renovation:batch_optimise")
CONFIRM = reverse("renovation:batch_confirm")


@pytest.fixture
def world():
    """A city with two counties: 云岩区 (three estates) and 南明区 (two)."""
    yunyan = region_chain()
    nanming = region_chain(("南明区", "花果园街道", "花果园社区"), parent=yunyan[1])
    estates = {
        "old": make_estate(yunyan[-1], name="老厂宿舍", floors=3, per_floor=2),  # 6 households
        "planned": make_estate(yunyan[-1], name="有方案小区", floors=2, per_floor=2),  # 4
        "voting": make_estate(yunyan[-1], name="表决小区", floors=2, per_floor=1),  # 2
        "south": make_estate(nanming[-1], name="南明小区", floors=4, per_floor=2),  # 8
        "south2": make_estate(nanming[-1], name="南明二小区", floors=2, per_floor=2),  # 4
    }
    estates["voting"].stage = RenovationStage.VOTING
    estates["voting"].save()
    bureau = make_user(Role.HOUSING_BUREAU, region=yunyan[1], password=None)
    return {
        "city": yunyan[1],
        "yunyan": yunyan[2],
        "nanming": nanming[0],
        "e": estates,
        "bureau": bureau,
        "admin": make_user(Role.ADMIN, password=None),
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _demand_list(estate, version: int, items: list[tuple[str, str, str]]) -> DemandList:
    """A published demand list with (klass, share, status) items."""
    demand_list = DemandList.objects.create(
        estate=estate,
        version=version,
        households=estate.households,
        opinions=len(items),
        published_at=timezone.now(),
    )
    for rank, (klass, share, status) in enumerate(items, start=1):
        demand = Demand.objects.create(estate=estate, category="roof", title=f"需求{rank}")
        DemandListItem.objects.create(
            demand_list=demand_list,
            demand=demand,
            rank=rank,
            title=demand.title,
            category="roof",
            klass=klass,
            households=1,
            share=Decimal(share),
            opinions=1,
            priority=Decimal("1.0"),
            status=status,
        )
    return demand_list


def _candidates(region, year=YEAR) -> dict[str, batches.CandidateRow]:
    found = batches.candidates(region=region, year=year, cost_per_household_fen=PER_HOUSEHOLD_FEN)
    return {r.name: r for r in found.rows}


# --- candidates ---------------------------------------------------------------------------


def test_candidates_are_eligible_estates_before_works_not_in_this_years_batch_nor_done(world):
    """Too new, works started, already in this year's batch, or in a finished project: out;
    in another year's batch: still a candidate."""
    city, e = world["city"], world["e"]
    make_estate(region_chain()[-1], name="新小区", year_built=2008)
    started = make_estate(region_chain()[-1], name="施工中小区")
    started.stage = RenovationStage.WORKS
    started.save()
    make_batch(city, [e["old"]], world["bureau"], year=YEAR)
    make_batch(city, [e["south"]], world["bureau"], year=YEAR - 1)
    project = make_project(e["south2"], world["admin"])
    project.stage = ProjectStage.COMPLETED
    project.save()
    assert set(_candidates(city)) == {"有方案小区", "表决小区", "南明小区"}


def test_cost_is_the_latest_published_plan_else_households_times_the_cost_per_household(world):
    city, e = world["city"], world["e"]
    make_published_plan(e["planned"], items=(("旧方案", "basic", 100, {"central": 100}),))
    make_published_plan(
        e["planned"],
        items=(
            ("雨污分流", "basic", 300000, {"central": 300000}),
            ("路面", "improve", 50000, {"local": 50000}),
        ),
    )
    found = _candidates(city)
    assert found["有方案小区"].cost_fen == 35_000_000 and found["有方案小区"].plan_cost
    assert found["老厂宿舍"].cost_fen == 6 * PER_HOUSEHOLD_FEN and not found["老厂宿舍"].plan_cost


def test_need_is_one_plus_the_largest_basic_share_of_the_latest_demand_list(world):
    """Older versions, other classes and items already done do not count."""
    city, e = world["city"], world["e"]
    _demand_list(e["old"], 1, [("basic", "0.9000", "collected")])
    _demand_list(
        e["old"],
        2,
        [
            ("basic", "0.5000", "planned"),
            ("basic", "0.2500", "collected"),
            ("basic", "0.8000", "done"),
            ("enhance", "0.9500", "collected"),
        ],
    )
    _demand_list(e["south"], 1, [("improve", "0.7000", "collected")])
    found = _candidates(city)
    assert found["老厂宿舍"].need == 1.5
    assert found["南明小区"].need == 1.0
    assert found["有方案小区"].need == 1.0  # no list


def test_voting_estates_are_must_haves_and_each_estate_has_its_county(world):
    found = _candidates(world["city"])
    assert [name for name, r in found.items() if r.voting] == ["表决小区"]
    assert found["老厂宿舍"].county_id == world["yunyan"].pk
    assert found["南明小区"].county_id == world["nanming"].pk


def test_a_street_s_candidates_keep_their_county_above_the_street(world):
    street = region_chain()[3]
    found = _candidates(street)
    assert set(found) == {"老厂宿舍", "有方案小区", "表决小区"}
    assert {r.county_id for r in found.values()} == {world["yunyan"].pk}


def test_candidates_take_the_same_few_queries_whatever_the_number_of_estates(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    city = world["city"]
    with CaptureQueriesContext(connection) as few:
        batches.candidates(region=city, year=YEAR, cost_per_household_fen=1)
    for n in range(6):
        estate = make_estate(region_chain()[-1], name=f"加测{n}")
        make_published_plan(estate)
        _demand_list(estate, 1, [("basic", "0.3000", "collected")])
    with CaptureQueriesContext(connection) as many:
        found = batches.candidates(region=city, year=YEAR, cost_per_household_fen=1)
    assert len(found.rows) == 11
    assert len(many) == len(few) <= 5


# --- the page -----------------------------------------------------------------------------


def test_the_page_lists_the_candidates_of_the_user_s_region(world):
    response = _client(world["bureau"]).get(OPTIMISE, {"year": YEAR})
    assert response.status_code == 200
    assert response.context["region"] == world["city"]
    assert len(response.context["found"].rows) == 5
    assert "云岩区" in response.content.decode() and "南明区" in response.content.decode()


def test_a_region_outside_the_scope_is_404(world):
    outside = region_chain(("贵州省", "六盘水市", "钟山区"))[-1]
    response = _client(world["bureau"]).get(OPTIMISE, {"region": outside.pk})
    assert response.status_code == 404


def _propose(client, **data):
    form = {"region": data.pop("region", ""), "year": YEAR, "budget": "200000"} | data
    return client.post(OPTIMISE, {k: v for k, v in form.items() if v != ""})


def test_computing_a_proposal_writes_nothing_and_shows_both_choices(world):
    client = _client(world["bureau"])
    response = _propose(client)
    assert response.status_code == 200
    proposal = response.context["proposal"]
    assert proposal.feasible
    # 200,000 yuan at 15,000 a household buys at most 13 of the 24 households.
    assert proposal.chosen_cost_fen <= 20_000_000
    assert world["e"]["voting"].pk in proposal.chosen
    assert proposal.objective >= proposal.greedy_objective
    assert "batch-points" in response.content.decode()
    assert not Batch.objects.exists()


def test_the_confirmation_creates_exactly_the_proposed_batch(world):
    client = _client(world["bureau"])
    computed = _propose(client)
    proposal, token = computed.context["proposal"], computed.context["token"]
    response = client.post(CONFIRM, {"token": token, "name": "2026年度计划", "region": ""})
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("renovation:batch_detail", args=[batch.pk])
    assert (batch.region, batch.year, batch.budget_fen) == (world["city"], YEAR, 20_000_000)
    entries = {e.estate_id: e for e in batch.entries.all()}
    assert set(entries) == set(proposal.chosen)
    costs = {r.estate_id: r.cost_fen for r in proposal.chosen_rows}
    assert {pk: e.cost_fen for pk, e in entries.items()} == costs
    assert all(e.buildings == 1 for e in entries.values())
    assert AuditLog.objects.filter(action="renovation.batch_create").count() == 1


def _forged(user, region, estates, year=YEAR) -> str:
    """A token as the page would sign it (as if the secret key were known)."""
    return signing.dumps(
        {"u": user.pk, "r": region.pk, "y": year, "b": 1, "e": [[e.pk, 100] for e in estates]},
        salt=services.SALT,
        compress=True,
    )


def test_an_estate_outside_the_region_is_refused_even_in_a_signed_proposal(world):
    client = _client(world["bureau"])
    outside = make_estate(
        region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风社区"))[-1]
    )
    token = _forged(world["bureau"], world["city"], [world["e"]["old"], outside])
    response = client.post(CONFIRM, {"token": token, "name": "伪造"}, follow=True)
    assert "不能列入" in response.content.decode()
    assert not Batch.objects.exists()


def test_a_tampered_or_another_user_s_proposal_is_refused(world):
    client = _client(world["bureau"])
    token = _propose(client).context["token"]
    other = make_user(Role.HOUSING_BUREAU, region=world["city"], password=None)
    for user, posted in ((world["bureau"], token[:-2] + "xx"), (other, token)):
        response = _client(user).post(CONFIRM, {"token": posted, "name": "计划"}, follow=True)
        assert "方案无效" in response.content.decode()
    assert not Batch.objects.exists()


def test_a_region_outside_the_scope_is_refused_in_a_signed_proposal(world):
    outside = region_chain(("贵州省", "六盘水市", "钟山区"))[-1]
    token = _forged(world["bureau"], outside, [world["e"]["old"]])
    response = _client(world["bureau"]).post(CONFIRM, {"token": token, "name": "计划"}, follow=True)
    assert "工作范围" in response.content.decode()
    assert not Batch.objects.exists()


def test_a_stale_proposal_whose_estate_joined_another_batch_is_refused(world):
    client = _client(world["bureau"])
    response = _propose(client, budget="100000000")
    token = response.context["token"]
    make_batch(world["city"], [world["e"]["old"]], world["bureau"], year=YEAR, name="先建的")
    client.post(CONFIRM, {"token": token, "name": "后建的"})
    assert list(Batch.objects.values_list("name", flat=True)) == ["先建的"]


def test_a_confirmation_without_a_name_creates_nothing(world):
    client = _client(world["bureau"])
    token = _propose(client).context["token"]
    response = client.post(CONFIRM, {"token": token, "name": "  "}, follow=True)
    assert "请填写计划名称" in response.content.decode()
    assert not Batch.objects.exists() and not BatchEstate.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget", "abc", "不是数字"),
        ("budget", "-5", "不小于 0"),
        ("budget", "0", "应大于 0"),
        ("budget", "1.001", "精确到分"),
        ("per_household", "0", "应大于 0"),
        ("year", "1999", "2000 到 2100"),
        ("must", "NOPE-1", "不是本区划本年度的候选小区"),
    ],
)
def test_bad_input_is_said_and_changes_nothing(world, field, value, message):
    response = _propose(_client(world["bureau"]), **{field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "proposal" not in response.context
    assert not Batch.objects.exists()


def test_bad_quota_rows_are_said_and_change_nothing(world):
    county = world["yunyan"].pk
    for data, message in (
        ({f"qe-{county}": "two"}, "应为不小于 0 的整数"),
        ({f"qc-{county}": "-1"}, "不小于 0"),
    ):
        response = _propose(_client(world["bureau"]), **data)
        assert response.status_code == 400 and message in response.content.decode()
    assert not Batch.objects.exists()


def test_quota_rows_bound_each_county(world):
    """No estate of 南明区 when its quota is 0; at most one of 云岩区 (the voting one)."""
    client = _client(world["bureau"])
    response = _propose(
        client,
        budget="100000000",
        **{f"qe-{world['nanming'].pk}": "0", f"qe-{world['yunyan'].pk}": "1"},
    )
    proposal = response.context["proposal"]
    assert proposal.chosen == {world["e"]["voting"].pk}
    assert proposal.greedy == {world["e"]["voting"].pk}


def _upload(text: str, name: str = "quotas.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_an_uploaded_quota_file_names_counties_by_name_or_code(world):
    world["nanming"].code = "520102"
    world["nanming"].save()
    client = _client(world["bureau"])
    response = client.post(
        OPTIMISE,
        {
            "year": YEAR,
            "budget": "100000000",
            "quota_file": _upload("county,max_estates,max_cost\n520102,0,\n云岩区,,90000\n"),
        },
    )
    proposal = response.context["proposal"]
    chosen = {r.name for r in proposal.chosen_rows}
    # 云岩区 at most 90,000 yuan: the voting estate (30,000) and the one of 60,000.
    assert chosen == {"表决小区", "有方案小区"}


def test_an_uploaded_quota_file_with_an_unknown_county_changes_nothing(world):
    response = _client(world["bureau"]).post(
        OPTIMISE,
        {
            "year": YEAR,
            "budget": "100",
            "quota_file": _upload("county,max_estates,max_cost\n钟山区,1,\n"),
        },
    )
    assert response.status_code == 400
    assert "钟山区”不在本区划内" in response.content.decode()


def test_must_haves_beyond_the_budget_are_infeasible_and_offer_no_confirmation(world):
    old = world["e"]["old"]
    response = _propose(_client(world["bureau"]), budget="1000", must=old.code)
    assert response.context["proposal"].status == "infeasible"
    assert "token" not in response.context
    assert "confirm-form" not in response.content.decode()


# --- batch list and detail ----------------------------------------------------------------


def test_batch_pages_show_estates_households_cost_and_each_project(world):
    e = world["e"]
    batch = make_batch(world["city"], [e["old"], e["planned"]], world["bureau"])
    project = make_project(e["planned"], world["admin"])
    project.batch = batch
    project.save()
    client = _client(world["bureau"])
    listed = client.get(reverse("renovation:batch_list")).content.decode()
    assert batch.name in listed
    page = client.get(reverse("renovation:batch_detail", args=[batch.pk]))
    body = page.content.decode()
    assert page.context["totals"] == {
        "estates": 2,
        "buildings": 2,
        "households": 10,
        "cost": 10_000_000,
        "projects": 1,
    }
    assert project.code in body and "老厂宿舍" in body and "未立项" in body


def test_a_street_does_not_see_a_city_s_batch(world):
    batch = make_batch(world["city"], [world["e"]["old"]], world["bureau"])
    street = make_user(Role.STREET_STAFF, region=region_chain()[3], password=None)
    client = _client(street)
    assert client.get(reverse("renovation:batch_detail", args=[batch.pk])).status_code == 404
    assert batch.name not in client.get(reverse("renovation:batch_list")).content.decode()
