"""The demo tells one story: an estate's register stage, its eligibility, its votes, its plan
and its buildings agree with each other (what a walk through the demo checks by eye)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from xiaoqu.accounts.models import User
from xiaoqu.decisions.models import Plan, PlanStatus, Vote, VoteStatus
from xiaoqu.demo import demo_loaded, load_demo
from xiaoqu.registry.models import Estate, RenovationStage
from xiaoqu.renovation.models import ProjectStage

pytestmark = pytest.mark.django_db

# Stages whose estates are renovated or being renovated.
RENOVATING = {RenovationStage.WORKS, RenovationStage.ACCEPTED, RenovationStage.MANAGED}
# Stages in which owners still decide.
DECIDING = {RenovationStage.PLANNING, RenovationStage.VOTING}
ADMIN = "13800000011"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def _building(vote: Vote):
    return vote.building or (vote.entrance.building if vote.entrance else None)


def test_a_complete_load_is_marked_as_loaded(demo):
    """`xiaoqu demo` loads the data once: a complete load leaves its mark."""
    assert demo_loaded()


def test_jincang_votes_and_consults_so_it_is_not_renovated_yet(demo):
    """金仓路市政宿舍's owners vote on an elevator and comment on its plan: its stage is
    业主表决, never 已验收."""
    estate = Estate.objects.get(name="金仓路市政宿舍")
    assert estate.stage == RenovationStage.VOTING
    assert Vote.objects.filter(estate=estate, status=VoteStatus.OPEN).exists()
    assert Plan.objects.filter(estate=estate, status=PlanStatus.CONSULTATION).exists()


def test_every_estate_with_an_open_vote_or_consultation_is_before_its_works(demo):
    deciding = set(
        Vote.objects.filter(status=VoteStatus.OPEN).values_list("estate_id", flat=True)
    ) | set(Plan.objects.filter(status=PlanStatus.CONSULTATION).values_list("estate_id", flat=True))
    assert deciding
    for estate in Estate.objects.filter(pk__in=deciding):
        assert estate.stage in DECIDING, (estate.name, estate.get_stage_display())


def test_every_estate_being_renovated_or_renovated_is_within_the_programme(demo):
    """No demo estate shows 不符合改造条件 while it is in works, accepted or managed after its
    works: 碧波水岸小区's register year is 2000 (its owners moved in from 2003)."""
    before = settings.ELIGIBLE_BEFORE_YEAR
    for estate in Estate.objects.filter(stage__in=RENOVATING):
        assert estate.is_eligible, (estate.name, estate.year_built, before)
    bibo = Estate.objects.get(name="碧波水岸小区")
    assert bibo.stage == RenovationStage.WORKS and bibo.is_eligible
    assert bibo.project_entries.filter(project__stage=ProjectStage.WORKS).exists()


def test_the_estate_page_of_bibo_says_it_is_eligible(demo):
    client = Client()
    client.force_login(User.objects.get(phone=ADMIN))
    estate = Estate.objects.get(name="碧波水岸小区")
    page = client.get(reverse("registry:estate_detail", args=[estate.pk])).content.decode()
    assert "不符合改造条件" not in page
    assert "符合改造条件" in page


def test_an_open_elevator_vote_is_for_a_building_without_one(demo):
    """金仓路市政宿舍's owners of 1栋1单元 vote on adding an elevator: 1栋 has none yet."""
    votes = Vote.objects.filter(status=VoteStatus.OPEN, matter=7, title__contains="电梯")
    assert votes
    for vote in votes:
        building = _building(vote)
        assert building is not None and not building.has_elevator, vote.title
    jincang = votes.get(estate__name="金仓路市政宿舍")
    assert (jincang.entrance.building.number, jincang.entrance.number) == ("1", "1")


def test_an_elevator_the_register_shows_was_added_after_its_vote_passed(demo):
    """盐务街12号院's 1栋 has the elevator its 1单元's owners voted for in 2025, before the
    works that built it were completed."""
    for vote in Vote.objects.filter(matter=7, title__contains="加装电梯").exclude(
        status=VoteStatus.OPEN
    ):
        building = _building(vote)
        assert building is not None
        assert (vote.result or {}).get("passed") is True, vote.title
        assert building.has_elevator, vote.title
        completed = vote.estate.project_entries.filter(
            project__stage=ProjectStage.COMPLETED
        ).values_list("project__completed_on", flat=True)
        assert completed and all(vote.closes_at.date() < day for day in completed)


def test_the_demo_shows_personal_information_records(demo):
    """金仓路市政宿舍: one open correction request by the demo resident, on the community
    worker's to-do list; a consented owner marked for door-step help; access-log rows that
    name people of the estate."""
    from xiaoqu.core.models import AccessEvent
    from xiaoqu.daily import todo
    from xiaoqu.privacy.models import CorrectionRequest
    from xiaoqu.registry.selectors import assistance_of

    resident = User.objects.get(phone="13800000001")
    request = CorrectionRequest.objects.get()
    assert (request.person_id, request.estate.name) == (resident.person_id, "金仓路市政宿舍")
    staff = User.objects.get(phone="13800000005")
    assert "corrections" in {g.key for g in todo.todo_groups(staff)}
    estate = Estate.objects.get(name="金仓路市政宿舍")
    owners = estate.dwellings.values_list("ownerships__person_id", flat=True)
    assert any("上门协助" in v for v in assistance_of(owners).values())
    assert AccessEvent.objects.filter(action="reveal", description="金仓路市政宿舍").count() == 4
    assert AccessEvent.objects.filter(action="export").exists()
