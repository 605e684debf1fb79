"""Turnout chasing (催票): who has not voted yet, never how anyone voted; handing the doors to
the grid worker or liaison member who covers them; the assignee's list on the visit page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_grid,
    make_member,
    make_open_vote,
    make_owner,
    make_person,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import RoleAssignment, User
from xiaoqu.core.audit import AuditLog
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions import services
from xiaoqu.decisions.models import (
    Ballot,
    Choice,
    Elector,
    ElectorUnit,
    TurnoutAssignment,
    Vote,
    VoteScope,
)
from xiaoqu.decisions.rules_engine import Count, quorum_shortfall
from xiaoqu.organization.models import GridWorkerAssignment, LiaisonHousehold
from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate, Ownership, Person

pytestmark = pytest.mark.django_db

CHOICE_WORDS = [str(label) for _value, label in Choice.choices]


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grid_worker(grid) -> User:
    """A login holding the grid worker role on ``grid`` and named as its current worker."""
    user = make_user()
    RoleAssignment.objects.create(user=user, role="grid_worker", grid=grid)
    GridWorkerAssignment.objects.create(
        grid=grid, person=make_person("网格员"), user=user, started_on=dt.date(2025, 1, 1)
    )
    return user


@pytest.fixture
def world():
    """催票小区: two buildings of 2 × 2 dwellings, each its own grid with its worker; a liaison
    member (a Party member with a login) keeps in touch with 1栋's first two dwellings; every
    dwelling has an owner; an open estate-wide vote."""
    community = region_chain()[-1]
    estate = make_estate(community, name="催票小区", buildings=2, floors=2, per_floor=2)
    for i, d in enumerate(Dwelling.objects.filter(estate=estate).order_by("pk")):
        make_owner(d, f"欧阳{i}号")
    b1, b2 = Building.objects.filter(estate=estate).order_by("number")
    grid1, grid2 = make_grid([b1], name="一网格"), make_grid([b2], name="二网格")
    staff = make_user("community_staff", region=community)
    worker1, worker2 = grid_worker(grid1), grid_worker(grid2)
    member = make_member(name="联户党员")
    liaison = make_user("party_member", estate=estate, person=member.person)
    b1_dwellings = list(Dwelling.objects.filter(building=b1).order_by("floor", "number"))
    for d in b1_dwellings[:2]:
        LiaisonHousehold.objects.create(member=member, dwelling=d)
    vote = make_open_vote(estate, staff)
    return {
        "estate": estate,
        "b1": b1,
        "b2": b2,
        "staff": staff,
        "worker1": worker1,
        "worker2": worker2,
        "liaison": liaison,
        "vote": vote,
        "b1_dwellings": b1_dwellings,
        "b2_dwellings": list(Dwelling.objects.filter(building=b2).order_by("floor", "number")),
    }


def unit(vote: Vote, dwelling: Dwelling) -> ElectorUnit:
    return ElectorUnit.objects.get(vote=vote, dwelling=dwelling)


def vote_online(vote: Vote, dwelling: Dwelling, choice: str = "agree") -> Ballot:
    """The owner of ``dwelling`` votes on their phone."""
    elector = unit(vote, dwelling).elector
    owner = make_user(person=elector.persons.first())
    return services.ballot_cast(
        vote=vote, elector=elector, choice=choice, channel="online", actor=owner
    )


def turnout_url(vote: Vote, **query) -> str:
    url = reverse("decisions:vote_turnout", kwargs={"vote_id": vote.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def doors_on(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'id="door-(\d+)"', html)}


# --- who has not voted --------------------------------------------------------------------


def test_the_page_lists_the_dwellings_whose_owners_have_not_voted(world):
    """Staff see every dwelling of the vote whose owner has not voted, and not the others."""
    vote = world["vote"]
    voted = world["b1_dwellings"][0]
    vote_online(vote, voted)
    html = login(world["staff"]).get(turnout_url(vote)).content.decode()
    everyone = {d.pk for d in world["b1_dwellings"] + world["b2_dwellings"]}
    assert doors_on(html) == everyone - {voted.pk}
    assert 'id="owners-not-voted">7<' in html


def test_the_help_an_owner_needs_at_the_door_shows_only_with_their_consent(world):
    """腿脚不便 helps whoever knocks (bring the ballot upstairs); it is a health fact, shown on
    the door only while its owner's separate consent stands."""
    from xiaoqu.registry.models import ConsentKind
    from xiaoqu.registry.services import consent_record, person_assistance_set

    vote, staff = world["vote"], world["staff"]
    with_consent, without = world["b2_dwellings"][:2]
    person = with_consent.ownerships.first().person
    consent_record(
        person=person,
        kind=ConsentKind.ASSISTANCE,
        purpose="上门协助投票",
        given_on=timezone.localdate(),
        actor=staff,
    )
    person_assistance_set(
        person=person, needs_assistance=True, note="腿脚不便，上下楼需人搀扶", actor=staff
    )
    # Held from before consents were asked for: never shown.
    Person.objects.filter(pk=without.ownerships.first().person_id).update(
        needs_assistance=True, assistance_note="腿脚不便，上下楼需人搀扶"
    )
    html = login(staff).get(turnout_url(vote, building=world["b2"].pk)).content.decode()
    door = re.search(rf'id="door-{with_consent.pk}".*?</li>', html, re.S)
    other = re.search(rf'id="door-{without.pk}".*?</li>', html, re.S)
    assert door and "需上门协助；腿脚不便，上下楼需人搀扶" in door.group(0)
    assert other and "腿脚不便" not in other.group(0)


def test_the_list_and_the_counts_follow_the_ballots(world):
    """A ballot cast meanwhile takes its dwelling off the list and lowers the counts that the
    page reloads through htmx."""
    vote, client = world["vote"], login(world["staff"])
    dwelling = world["b2_dwellings"][1]
    assert dwelling.pk in doors_on(client.get(turnout_url(vote)).content.decode())
    vote_online(vote, dwelling, "disagree")
    assert dwelling.pk not in doors_on(client.get(turnout_url(vote)).content.decode())
    part = client.get(turnout_url(vote, part="counts"), headers={"HX-Request": "true"})
    body = part.content.decode()
    assert body.startswith('<section class="card" id="turnout-counts"')
    assert 'hx-trigger="every 30s"' in body and "<html" not in body
    assert 'id="owners-not-voted">7<' in body
    row = re.search(rf'id="count-building-{world["b2"].pk}".*?</tr>', body, re.S)
    assert row is not None and "3 / 4" in row.group(0)


def test_the_quorum_shortfall_is_shown_in_owners_and_area(world):
    """Eight owners of 80 m²: ⅔ is 6 owners and 426.67 m²; with two voted, 4 and 266.67."""
    vote = world["vote"]
    vote_online(vote, world["b1_dwellings"][0])
    vote_online(vote, world["b1_dwellings"][1])
    html = login(world["staff"]).get(turnout_url(vote)).content.decode()
    assert "4 人 · 266.67 m²" in html


def test_quorum_shortfall_rounds_the_area_up_and_stops_at_zero():
    assert quorum_shortfall(Count(Decimal("320"), 4), Count(Decimal("0"), 0)) == Count(
        Decimal("213.34"), 3
    )
    assert quorum_shortfall(Count(Decimal("300"), 3), Count(Decimal("200"), 2)) == Count(
        Decimal("0.00"), 0
    )
    assert quorum_shortfall(Count(Decimal("300"), 3), Count(Decimal("250"), 1)).owners == 1


def test_no_choice_or_receipt_is_ever_shown(world):
    """Whatever was chosen, neither the turnout page, its counts nor the assignee's list shows
    a choice or a receipt (nor a ballot's time: the reads never fetch one)."""
    vote = world["vote"]
    ballots = [
        vote_online(vote, d, c)
        for d, c in zip(world["b1_dwellings"][1:], ["agree", "disagree", "abstain"], strict=True)
    ]
    services.turnout_assign(
        vote=vote,
        unit_ids=[unit(vote, world["b1_dwellings"][0]).pk],
        assignee=world["worker1"],
        actor=world["staff"],
    )
    pages = [
        login(world["staff"]).get(turnout_url(vote)).content.decode(),
        login(world["staff"])
        .get(turnout_url(vote, part="counts"), headers={"HX-Request": "true"})
        .content.decode(),
        login(world["worker1"]).get(turnout_url(vote)).content.decode(),
        login(world["worker1"])
        .get(reverse("needs:visit_page", kwargs={"estate_id": world["estate"].pk}))
        .content.decode(),
    ]
    assert "本页只显示谁还没有投票" in pages[0]
    for html in pages:
        for word in CHOICE_WORDS:
            assert word not in html
        for ballot in ballots:
            assert ballot.receipt not in html


def test_names_and_phones_are_masked(world):
    vote = world["vote"]
    person = unit(vote, world["b2_dwellings"][0]).elector.persons.get()
    html = login(world["staff"]).get(turnout_url(vote)).content.decode()
    assert person.name not in html and person.phone not in html
    assert f"{person.name[0]}*" in html and f"{person.phone[:3]}****{person.phone[-4:]}" in html


# --- scope ----------------------------------------------------------------------------------


def test_a_grid_worker_sees_only_the_dwellings_of_their_grid(world):
    html = login(world["worker1"]).get(turnout_url(world["vote"])).content.decode()
    assert doors_on(html) == {d.pk for d in world["b1_dwellings"]}
    assert "以下只列出您工作范围内的 4 户" in html


def test_another_grids_worker_gets_404(world):
    """A vote of 1栋's entrance holds nothing of 二网格: its worker gets 404, like a stranger."""
    staff, estate = world["staff"], world["estate"]
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=7,
        title="1栋加装电梯",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=7),
        scope=VoteScope.ENTRANCE,
        entrance=Entrance.objects.get(building=world["b1"]),
        actor=staff,
    )
    services.vote_open(vote=vote, actor=staff)
    assert login(world["worker1"]).get(turnout_url(vote)).status_code == 200
    assert login(world["worker2"]).get(turnout_url(vote)).status_code == 404
    elsewhere = make_user("grid_worker", estate=make_estate(name="别的小区"))
    assert login(elsewhere).get(turnout_url(vote)).status_code == 404


def test_the_owners_committee_and_residents_do_not_get_the_list(world):
    """The committee runs votes but never sees which neighbours stayed away; nor do owners."""
    vote = world["vote"]
    committee = make_user("owners_committee", estate=world["estate"])
    owner = make_user(person=unit(vote, world["b1_dwellings"][0]).elector.persons.first())
    assert login(committee).get(turnout_url(vote)).status_code == 404
    assert login(owner).get(turnout_url(vote)).status_code == 404


def test_a_draft_vote_has_no_turnout_page(world):
    now = timezone.now()
    draft = services.vote_create(
        estate=world["estate"],
        matter=2,
        title="草稿",
        opens_at=now,
        closes_at=now + dt.timedelta(days=3),
        actor=world["staff"],
    )
    assert login(world["staff"]).get(turnout_url(draft)).status_code == 404


def test_a_closed_vote_shows_its_final_turnout_only(world):
    """Once ballots are no longer taken the page explains why it lists nobody any more."""
    vote = world["vote"]
    vote_online(vote, world["b1_dwellings"][0])
    services.vote_close(vote=vote, actor=world["staff"])
    response = login(world["staff"]).get(turnout_url(vote))
    html = response.content.decode()
    assert response.status_code == 200
    assert doors_on(html) == set() and 'id="closed-note"' in html
    assert "最终参与情况" in html and "hx-trigger" not in html
    assert 'id="turnout-table"' not in html


def test_the_vote_page_links_to_the_turnout_page_with_the_count(world):
    vote = world["vote"]
    vote_online(vote, world["b1_dwellings"][0])
    html = login(world["staff"]).get(reverse("decisions:vote_detail", args=[vote.pk])).content
    assert "催票（7 位业主未投票）" in html.decode()
    assert turnout_url(vote) in html.decode()


# --- assigning --------------------------------------------------------------------------------


def test_assigning_an_entrance_hands_each_door_to_its_own_carer(world):
    """By default each dwelling goes to its liaison member, the others to the grid worker."""
    vote, staff = world["vote"], world["staff"]
    entrance = Entrance.objects.get(building=world["b1"])
    response = login(staff).post(
        reverse("decisions:vote_turnout_assign", args=[vote.pk]),
        {"entrance": entrance.pk, "assignee": "auto"},
    )
    assert response.status_code == 302
    got = dict(
        TurnoutAssignment.objects.filter(vote=vote).values_list("unit__dwelling", "assignee")
    )
    b1 = world["b1_dwellings"]
    assert got == {
        b1[0].pk: world["liaison"].pk,
        b1[1].pk: world["liaison"].pk,
        b1[2].pk: world["worker1"].pk,
        b1[3].pk: world["worker1"].pk,
    }
    audit = AuditLog.objects.get(action="decisions.turnout_assign")
    assert audit.actor == staff and audit.after == {str(k): v for k, v in got.items()}


def test_assigning_skips_owners_who_voted_meanwhile(world):
    vote = world["vote"]
    b1 = world["b1_dwellings"]
    vote_online(vote, b1[2])
    result = services.turnout_assign(
        vote=vote,
        unit_ids=[unit(vote, d).pk for d in b1[2:]],
        assignee=world["worker1"],
        actor=world["staff"],
    )
    assert (result.assigned, result.already_voted) == (1, 1)
    with pytest.raises(DomainError) as error:
        services.turnout_assign(vote=vote, unit_ids=[unit(vote, b1[2]).pk], actor=world["staff"])
    assert error.value.code == "all_voted"


def test_handing_a_door_to_someone_else_moves_it(world):
    vote, staff = world["vote"], world["staff"]
    door = unit(vote, world["b1_dwellings"][0])
    services.turnout_assign(vote=vote, unit_ids=[door.pk], assignee=world["worker1"], actor=staff)
    services.turnout_assign(vote=vote, unit_ids=[door.pk], assignee=world["liaison"], actor=staff)
    assert TurnoutAssignment.objects.get(unit=door).assignee == world["liaison"]
    moved = AuditLog.objects.filter(action="decisions.turnout_assign").order_by("pk").last()
    assert moved.before == {str(door.dwelling_id): world["worker1"].pk}
    assert services.turnout_unassign(vote=vote, unit_ids=[door.pk], actor=staff) == 1
    assert not TurnoutAssignment.objects.exists()


def test_the_default_hands_out_only_doors_nobody_has(world):
    """A door handed to someone by name stays with them when staff hand out the rest."""
    vote, staff = world["vote"], world["staff"]
    b1 = world["b1_dwellings"]
    services.turnout_assign(
        vote=vote, unit_ids=[unit(vote, b1[2]).pk], assignee=world["worker1"], actor=staff
    )
    ids = [unit(vote, d).pk for d in b1]
    result = services.turnout_assign(vote=vote, unit_ids=ids, actor=staff)
    assert (result.assigned, result.kept) == (3, 1)
    assert "3 户" in services.assigned_message(result) and "1 户原已分派" in (
        services.assigned_message(result)
    )
    with pytest.raises(DomainError) as error:
        services.turnout_assign(vote=vote, unit_ids=ids, actor=staff)
    assert error.value.code == "all_assigned"
    with pytest.raises(DomainError) as error:
        services.turnout_assign(vote=vote, unit_ids=ids[2:], assignee=world["worker1"], actor=staff)
    assert error.value.code == "unchanged"


def test_only_an_open_vote_takes_assignments(world):
    vote, staff = world["vote"], world["staff"]
    door = unit(vote, world["b1_dwellings"][0])
    services.vote_close(vote=vote, actor=staff)
    with pytest.raises(DomainError) as error:
        services.turnout_assign(vote=vote, unit_ids=[door.pk], actor=staff)
    assert error.value.code == "not_open" and not TurnoutAssignment.objects.exists()


def test_after_the_closing_time_no_assignment_is_taken(world):
    vote, staff = world["vote"], world["staff"]
    door = unit(vote, world["b1_dwellings"][0])
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(DomainError) as error:
        services.turnout_assign(vote=vote, unit_ids=[door.pk], actor=staff)
    assert error.value.code == "not_open"


def test_only_dwellings_of_the_electorate_are_assigned(world):
    """A unit of another vote (here: another estate's) is refused, naming nothing of it."""
    vote, staff = world["vote"], world["staff"]
    other_estate = make_estate(world["estate"].community, name="隔壁小区")
    make_owner(other_estate.dwellings.first(), "隔壁业主")
    other = make_open_vote(other_estate, staff)
    foreign = ElectorUnit.objects.filter(vote=other).first()
    with pytest.raises(DomainError) as error:
        services.turnout_assign(
            vote=vote, unit_ids=[unit(vote, world["b1_dwellings"][0]).pk, foreign.pk], actor=staff
        )
    assert error.value.code == "not_elector" and "隔壁" not in error.value.message
    assert not TurnoutAssignment.objects.exists()


def test_the_assignee_must_look_after_every_door(world):
    """二网格's worker does not cover 1栋; nothing is handed when one door is not theirs."""
    vote, staff = world["vote"], world["staff"]
    doors = [unit(vote, world["b2_dwellings"][0]).pk, unit(vote, world["b1_dwellings"][0]).pk]
    with pytest.raises(DomainError) as error:
        services.turnout_assign(vote=vote, unit_ids=doors, assignee=world["worker2"], actor=staff)
    assert error.value.code == "not_carer" and "1栋1单元101" in error.value.message
    assert not TurnoutAssignment.objects.exists()


def test_the_assignee_must_be_able_to_visit_the_doors(world):
    """A liaison member whose login may not record visits there would never see the list."""
    vote, staff = world["vote"], world["staff"]
    RoleAssignment.objects.filter(user=world["liaison"]).delete()
    with pytest.raises(DomainError) as error:
        services.turnout_assign(
            vote=vote,
            unit_ids=[unit(vote, world["b1_dwellings"][0]).pk],
            assignee=world["liaison"],
            actor=staff,
        )
    assert error.value.code == "cannot_visit"
    # By default the door then goes to the next who covers it, the grid worker.
    services.turnout_assign(
        vote=vote, unit_ids=[unit(vote, world["b1_dwellings"][0]).pk], actor=staff
    )
    assert TurnoutAssignment.objects.get().assignee == world["worker1"]


def test_grid_workers_chase_but_do_not_assign(world):
    vote = world["vote"]
    door = unit(vote, world["b1_dwellings"][0])
    with pytest.raises(DomainError) as error:
        services.turnout_assign(vote=vote, unit_ids=[door.pk], actor=world["worker1"])
    assert error.value.code == "out_of_scope"
    response = login(world["worker1"]).post(
        reverse("decisions:vote_turnout_assign", args=[vote.pk]), {"units": [door.pk]}
    )
    assert response.status_code == 404 and not TurnoutAssignment.objects.exists()


def test_the_developers_units_are_not_knocked_on(world):
    staff = world["staff"]
    dwelling = world["b1_dwellings"][3]
    Dwelling.objects.filter(pk=dwelling.pk).update(status="unsold")
    now = timezone.now()
    fresh = services.vote_open(
        vote=services.vote_create(
            estate=world["estate"],
            matter=6,
            title="筹集维修资金",
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=7),
            actor=staff,
        ),
        actor=staff,
    )
    with pytest.raises(DomainError) as error:
        services.turnout_assign(vote=fresh, unit_ids=[unit(fresh, dwelling).pk], actor=staff)
    assert error.value.code == "developer"
    html = login(staff).get(turnout_url(fresh)).content.decode()
    assert "开发建设单位" in html
    assert f'value="{unit(fresh, dwelling).pk}"' not in html  # no box to tick


def test_bad_input_on_the_assign_form_changes_nothing(world):
    vote, client = world["vote"], login(world["staff"])
    url = reverse("decisions:vote_turnout_assign", args=[vote.pk])
    for data in ({"units": ["x"]}, {"units": []}, {"units": ["99999999"]}, {"entrance": "x"}):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "msg-error" in response.content.decode()
    door = unit(vote, world["b1_dwellings"][0]).pk
    response = client.post(url, {"units": [door], "assignee": "nobody"}, follow=True)
    assert "请选择负责催票的人" in response.content.decode()
    assert not TurnoutAssignment.objects.exists()


def test_the_assign_form_proposes_the_people_who_look_after_the_doors(world):
    html = login(world["staff"]).get(turnout_url(world["vote"])).content.decode()
    form = re.search(
        rf'<form[^>]*id="entrance-{Entrance.objects.get(building=world["b1"]).pk}".*?</form>',
        html,
        re.S,
    ).group(0)
    assert f'<option value="{world["worker1"].pk}">' in form
    assert f'<option value="{world["liaison"].pk}">' in form
    assert f'<option value="{world["worker2"].pk}">' not in form
    assert 'option value="auto"' in form


# --- the assignee's list on the visit page -------------------------------------------------


def visit_page(user: User, estate: Estate) -> str:
    return (
        login(user).get(reverse("needs:visit_page", kwargs={"estate_id": estate.pk})).content
    ).decode()


def test_the_assignee_finds_their_doors_on_the_visit_page(world):
    vote, estate = world["vote"], world["estate"]
    b1 = world["b1_dwellings"]
    services.turnout_assign(
        vote=vote, unit_ids=[unit(vote, d).pk for d in b1], actor=world["staff"]
    )
    mine = visit_page(world["worker1"], estate)
    assert 'id="turnout-doors"' in mine and vote.title in mine
    assert timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M") in mine
    listed = {int(pk) for pk in re.findall(r'data-visit-dwelling="(\d+)"', mine)}
    assert listed == {b1[2].pk, b1[3].pk}  # 101 and 102 went to the liaison member
    assert f'href="?dwelling={b1[2].pk}#visit-form"' in mine
    person = unit(vote, b1[2]).elector.persons.get()
    assert person.name not in mine and f"{person.name[0]}*" in mine
    assert "录入纸质选票" not in mine  # grid workers do not enter paper ballots
    liaison = visit_page(world["liaison"], estate)
    assert {int(pk) for pk in re.findall(r'data-visit-dwelling="(\d+)"', liaison)} == {
        b1[0].pk,
        b1[1].pk,
    }
    assert 'id="turnout-doors"' not in visit_page(world["worker2"], estate)


def test_a_door_leaves_the_list_once_its_owner_has_voted(world):
    vote, estate = world["vote"], world["estate"]
    b1 = world["b1_dwellings"]
    services.turnout_assign(
        vote=vote, unit_ids=[unit(vote, b1[3]).pk], assignee=world["worker1"], actor=world["staff"]
    )
    assert f'data-visit-dwelling="{b1[3].pk}"' in visit_page(world["worker1"], estate)
    vote_online(vote, b1[3])
    assert 'id="turnout-doors"' not in visit_page(world["worker1"], estate)


def test_the_list_ends_with_the_vote(world):
    vote, estate, staff = world["vote"], world["estate"], world["staff"]
    services.turnout_assign(
        vote=vote, unit_ids=[unit(vote, world["b1_dwellings"][3]).pk], actor=staff
    )
    assert 'id="turnout-doors"' in visit_page(world["worker1"], estate)
    services.vote_close(vote=vote, actor=staff)
    assert 'id="turnout-doors"' not in visit_page(world["worker1"], estate)


def test_staff_with_doors_get_the_paper_ballot_link(world):
    """Community staff may be handed doors as grid worker too; they enter paper ballots."""
    vote, estate, staff = world["vote"], world["estate"], world["staff"]
    GridWorkerAssignment.objects.filter(user=world["worker1"]).update(user=staff)
    door = world["b1_dwellings"][3]
    services.turnout_assign(vote=vote, unit_ids=[unit(vote, door).pk], assignee=staff, actor=staff)
    html = visit_page(staff, estate)
    paper = reverse("decisions:ballot_paper", args=[vote.pk])
    assert f'href="{paper}?q=1-1-{door.number}"' in html


# --- a vote of 3,000 owners ------------------------------------------------------------------


def big_estate(buildings: int = 5, entrances: int = 5, floors: int = 20, per_floor: int = 6):
    """An estate of buildings × entrances × floors × per_floor dwellings, each with an owner,
    written in bulk."""
    community = region_chain()[-1]
    estate = Estate.objects.create(code="BIG-1", name="大型小区", community=community)
    dwellings = []
    for b in range(1, buildings + 1):
        building = Building.objects.create(estate=estate, number=str(b), storeys=floors)
        for e in range(1, entrances + 1):
            entrance = Entrance.objects.create(building=building, number=str(e))
            for f in range(1, floors + 1):
                for u in range(1, per_floor + 1):
                    dwellings.append(
                        Dwelling(
                            entrance=entrance,
                            building=building,
                            estate=estate,
                            number=f"{f}{u:02d}",
                            floor=f,
                            area=Decimal("75.50"),
                        )
                    )
    dwellings = Dwelling.objects.bulk_create(dwellings)
    if any(d.pk is None for d in dwellings):
        dwellings = list(Dwelling.objects.filter(estate=estate))
    people = Person.objects.bulk_create(
        Person(name=f"业主{i}", phone=f"139{i:08d}") for i in range(len(dwellings))
    )
    if any(p.pk is None for p in people):
        people = list(Person.objects.filter(name__startswith="业主").order_by("pk"))
    Ownership.objects.bulk_create(
        Ownership(person=p, dwelling=d) for p, d in zip(people, dwellings, strict=True)
    )
    return estate


def test_a_vote_of_3000_owners_is_listed_in_a_few_queries(world):
    """The counts of 3,000 owners and the list of a 600-door building take as many queries as
    the list of a small vote: nothing is read door by door."""
    staff = world["staff"]
    estate = big_estate()
    vote = make_open_vote(estate, staff)
    assert Elector.objects.filter(vote=vote).count() == 3000
    for elector in Elector.objects.filter(vote=vote).order_by("pk")[:30]:
        owner = make_user(person=elector.persons.first())
        services.ballot_cast(
            vote=vote, elector=elector, choice="agree", channel="online", actor=owner
        )
    b1 = Building.objects.get(estate=estate, number="1")
    worker = grid_worker(make_grid([b1]))
    services.turnout_assign(
        vote=vote,
        unit_ids=ElectorUnit.objects.filter(vote=vote, dwelling__building=b1).values_list(
            "pk", flat=True
        ),
        assignee=worker,
        actor=staff,
    )
    client = login(staff)
    small_url = turnout_url(world["vote"], building=world["b1"].pk)
    client.get(small_url)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(small_url).status_code == 200
    with CaptureQueriesContext(connection) as big:
        response = client.get(turnout_url(vote, building=b1.pk))
    html = response.content.decode()
    assert len(doors_on(html)) == 600 - 30
    assert 'id="owners-not-voted">2970<' in html
    assert len(big) <= len(small) + 2, [q["sql"][:120] for q in big.captured_queries]
    with CaptureQueriesContext(connection) as whole:
        overview = client.get(turnout_url(vote)).content.decode()
    assert len(whole) <= len(small) + 2
    assert "未投票的房屋较多" in overview and doors_on(overview) == set()
    # The grid worker's door-knocking list of 570 doors, as cheap as one of two doors.
    services.turnout_assign(
        vote=world["vote"],
        unit_ids=[unit(world["vote"], d).pk for d in world["b1_dwellings"][2:]],
        actor=staff,
    )
    small_list, big_list = login(world["worker1"]), login(worker)
    small_list.get(reverse("needs:visit_page", args=[world["estate"].pk]))
    big_list.get(reverse("needs:visit_page", args=[estate.pk]))
    with CaptureQueriesContext(connection) as small_visit:
        small_list.get(reverse("needs:visit_page", args=[world["estate"].pk]))
    with CaptureQueriesContext(connection) as big_visit:
        page = big_list.get(reverse("needs:visit_page", args=[estate.pk])).content.decode()
    assert len(re.findall(r"data-visit-dwelling=", page)) == 570
    assert len(big_visit) <= len(small_visit) + 2
