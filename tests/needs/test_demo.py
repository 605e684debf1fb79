"""The demo's door-knocking campaign, opinions, demands and published list (demo/needs.py)."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from django.urls import reverse

from xiaoqu.accounts.models import User
from xiaoqu.demo import load_demo
from xiaoqu.demo.needs import (
    CAMPAIGN_NAME,
    COMMUNITY_CODE,
    CORRECTIONS,
    DECLINED_REASON,
    HOME_ESTATE_CODE,
    MEETING_OPINIONS,
    MEETING_PLACE,
    RESIDENT_OPINION,
    STARTS_ON,
    load_demo_needs,
)
from xiaoqu.meetings.models import Meeting
from xiaoqu.needs.models import (
    Campaign,
    Channel,
    Correction,
    Demand,
    DemandList,
    DemandListItem,
    DemandStatus,
    Opinion,
    Visit,
    VisitOutcome,
)
from xiaoqu.needs.selectors import campaign_progress
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.registry.scope import home_estates

pytestmark = pytest.mark.django_db

MODELS = (Campaign, Visit, Meeting, Opinion, Correction, Demand, DemandList, DemandListItem)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo (register, logins, organisation, needs), loaded once for the module."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def test_the_campaign_knocks_on_the_doors_of_jincang(demo):
    """One campaign over 金仓社区's estates; nearly every door knocked, some more than once."""
    campaign = Campaign.objects.get(name=CAMPAIGN_NAME)
    estates = list(campaign.estates.all())
    assert {e.community.name for e in estates} == {"金仓社区"}
    admin = User.objects.get(phone="13800000011")
    progress = campaign_progress(campaign=campaign, user=admin)
    total = progress.total
    assert total.dwellings == Dwelling.objects.filter(estate__in=estates).count()
    assert 0.9 < total.visited / total.dwellings < 1
    assert total.visits > total.visited
    assert total.met < total.visits
    assert len(progress.by_grid) == 3
    assert len(progress.by_member) >= 10


def test_about_eighty_opinions_from_every_channel(demo):
    """Doors, a courtyard meeting, the hotline and a resident's phone: about 80 opinions in
    the campaign's months (the works demo adds the earlier 坝坝会 of 盐务街12号院 and one in
    碧波水岸小区)."""
    campaign = Opinion.objects.filter(
        heard_on__gte=STARTS_ON, estate__community__code=COMMUNITY_CODE
    )
    n = campaign.count()
    assert 70 <= n <= 90
    channels = set(campaign.values_list("channel", flat=True))
    assert channels == {Channel.VISIT, Channel.MEETING, Channel.HOTLINE, Channel.RESIDENT}
    meeting = Meeting.objects.get(kind="courtyard", place=MEETING_PLACE)
    assert meeting.opinions.count() == len(MEETING_OPINIONS)
    assert (
        Opinion.objects.filter(visit__outcome=VisitOutcome.MET).count()
        == Opinion.objects.filter(channel=Channel.VISIT).count()
    )


def test_the_demo_grid_worker_and_party_member_knocked_on_doors(demo):
    """The demo logins' own visits are there to see when they log in."""
    for phone in ("13800000003", "13800000004"):
        assert Visit.objects.filter(visitor__phone=phone).exists()


def test_the_demo_residents_own_submission(demo):
    """The demo resident sent one opinion from their phone, at their own home estate."""
    resident = User.objects.get(phone="13800000001")
    opinion = Opinion.objects.get(submitted_by=resident)
    assert opinion.text == RESIDENT_OPINION
    assert opinion.channel == Channel.RESIDENT
    assert home_estates(resident).filter(pk=opinion.estate_id).exists()


def test_opinions_are_classified_and_merged_into_demands_many_households_ask(demo):
    """Every opinion is in a demand; the top demand of the home estate is asked by several."""
    assert not Opinion.objects.filter(demand__isnull=True).exists()
    estate = Estate.objects.get(code=HOME_ESTATE_CODE)
    top = DemandListItem.objects.filter(demand_list__estate=estate).order_by("rank").first()
    assert top.households >= 3
    roof = Opinion.objects.get(text__startswith="一下雨屋头就滴水")
    assert roof.category == "roof_facade"


def test_staff_corrected_the_categories_the_model_got_wrong(demo):
    """The demo's corrections leave those opinions in the right category."""
    for text, category in CORRECTIONS:
        assert set(Opinion.objects.filter(text=text).values_list("category", flat=True)) == {
            category
        }


def test_demands_were_decided_and_one_list_published(demo):
    """Assessed, planned, declined with its reason, and version 1 of the list."""
    estate = Estate.objects.get(code=HOME_ESTATE_CODE)
    statuses = set(Demand.objects.filter(estate=estate).values_list("status", flat=True))
    assert {DemandStatus.ASSESSED, DemandStatus.PLANNED, DemandStatus.DECLINED} <= statuses
    declined = Demand.objects.get(estate=estate, status=DemandStatus.DECLINED)
    assert declined.declined_reason == DECLINED_REASON
    (published,) = DemandList.objects.filter(estate=estate)
    assert (published.estate, published.version) == (estate, 1)
    items = list(published.items.order_by("rank"))
    assert len(items) >= 10
    assert any(i.status == DemandStatus.DECLINED and i.declined_reason for i in items)


def test_the_demo_resident_reads_the_published_list_through_the_api(demo):
    """The published list is what the demo resident sees of their estate's demands."""
    client = Client()
    client.force_login(User.objects.get(phone="13800000001"))
    estate = Estate.objects.get(code=HOME_ESTATE_CODE)
    lists = client.get(reverse("api-1.0.0:needs_estate_lists", kwargs={"estate_id": estate.pk}))
    (version,) = lists.json()["items"]
    detail = client.get(reverse("api-1.0.0:needs_list_detail", kwargs={"list_id": version["id"]}))
    assert detail.status_code == 200
    assert len(detail.json()["items"]) == version["items_count"]


def test_no_opinion_names_a_resident(demo):
    """Opinions are tied to dwellings, never to names typed into the text."""
    names = set(
        Dwelling.objects.filter(estate__community__name="金仓社区")
        .values_list("ownerships__person__name", flat=True)
        .distinct()
    )
    texts = " ".join(Opinion.objects.values_list("text", flat=True))
    assert names and texts, "the demo wrote no owners or no opinions: nothing was checked"
    assert not [n for n in names if n and len(n) >= 2 and n in texts]


def test_loading_the_needs_demo_twice_changes_nothing(demo):
    """The first load wrote rows of every needs model; a second load adds none."""
    before = {m.__name__: m.objects.count() for m in MODELS}
    assert all(before.values()), before
    load_demo_needs()
    assert {m.__name__: m.objects.count() for m in MODELS} == before


@pytest.mark.parametrize("model", [m for m in MODELS if m is not DemandListItem])
def test_the_admin_lists_the_demo_rows(demo, model):
    """Each needs model's admin list opens for a superuser on the demo data."""
    client = Client()
    client.force_login(User.objects.get(phone="13800000011"))
    meta = model._meta
    response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status_code == 200


def test_published_lists_cannot_be_changed_in_the_admin(demo):
    """No change or delete permission on published lists and their items, even for a superuser."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = User.objects.get(phone="13800000011")
    for model in (DemandList, Correction):
        model_admin = site._registry[model]
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert not model_admin.has_add_permission(request)


# The demo's owner votes (demo/decisions.py) load with the same demo; checked here to build
# the demo database once.


def test_the_demo_votes_verify_and_the_demo_owner_can_still_vote(demo):
    from django.core.management import call_command

    from xiaoqu.decisions.models import Ballot, Vote
    from xiaoqu.decisions.selectors import tally
    from xiaoqu.decisions.services import elector_for
    from xiaoqu.demo.decisions import COVENANT_TITLE, ELEVATOR_TITLE, load_demo_decisions

    elevator = Vote.objects.get(title=ELEVATOR_TITLE)
    covenant = Vote.objects.get(title=COVENANT_TITLE)
    assert (elevator.status, elevator.scope, elevator.matter) == ("open", "entrance", 7)
    assert covenant.status == "closed" and tally(vote=covenant).quorum_met
    owner = User.objects.get(phone="13800000002")
    elector = elector_for(vote=elevator, person_id=owner.person_id)
    assert elector is not None and not Ballot.objects.filter(elector=elector).exists()
    call_command("audit", "verify")  # raises on any break
    before = Ballot.objects.count()
    load_demo_decisions()
    assert Ballot.objects.count() == before


def test_the_demo_plan_answers_demands_and_is_open_for_comments(demo):
    from xiaoqu.decisions.models import Plan
    from xiaoqu.decisions.selectors import plan_view
    from xiaoqu.demo.decisions import PLAN_TITLE

    plan = Plan.objects.get(title=PLAN_TITLE)
    view = plan_view(plan=plan)
    assert plan.status == "consultation"
    assert len(view.answered) == 3 and any(i.demand is None and i.reason for i in view.items)
    assert view.total_fen == sum(i.cost_fen for i in view.items)


def test_the_demo_plan_was_discussed_at_a_council_whose_minutes_residents_read(demo, client):
    """The plan lists the 居民议事会 held during its consultation; residents read its minutes."""
    from xiaoqu.decisions.models import Plan
    from xiaoqu.demo.decisions import COUNCIL_DECISIONS, PLAN_TITLE

    plan = Plan.objects.get(title=PLAN_TITLE)
    (meeting,) = plan.meetings.all()
    assert meeting.kind == "council" and meeting.minutes_published_at is not None
    assert meeting.attendees.exists() and meeting.estate_id == plan.estate_id
    assert plan.consultation_starts <= meeting.held_on <= plan.consultation_ends
    client.force_login(User.objects.get(phone="13800000001"))
    page = client.get(reverse("meetings:meeting_minutes", kwargs={"meeting_id": meeting.pk}))
    assert COUNCIL_DECISIONS in page.content.decode()
    public = client.get(reverse("decisions:plan_public", kwargs={"plan_id": plan.pk}))
    assert "居民议事会" in public.content.decode()


def test_the_demo_stages_agree_with_what_happens_in_each_estate(demo):
    """An estate whose owners are voting, or whose plan is out for comment, is not already
    renovated: its register stage is one before the works."""
    from xiaoqu.decisions.models import Plan, PlanStatus, Vote, VoteStatus
    from xiaoqu.registry.models import RenovationStage

    before_works = {RenovationStage.PLANNING, RenovationStage.VOTING}
    deciding = set(
        Vote.objects.filter(status=VoteStatus.OPEN).values_list("estate_id", flat=True)
    ) | set(Plan.objects.filter(status=PlanStatus.CONSULTATION).values_list("estate_id", flat=True))
    assert deciding
    for estate in Estate.objects.filter(pk__in=deciding):
        assert estate.stage in before_works, (estate.name, estate.stage)
    # An open vote on adding an elevator is for a building that has none yet.
    for vote in Vote.objects.filter(status=VoteStatus.OPEN, title__contains="电梯"):
        building = vote.building or (vote.entrance.building if vote.entrance else None)
        assert building is not None and not building.has_elevator, vote.title
