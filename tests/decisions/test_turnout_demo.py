"""The demo shows turnout chasing (催票): the elevator vote of 金仓路市政宿舍 has paper ballots
in, and the doors of the owners who have not voted are handed to the demo grid worker, who
finds them on the estate's visit page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from xiaoqu.accounts.models import User
from xiaoqu.decisions.models import Ballot, ElectorUnit, TurnoutAssignment, Vote
from xiaoqu.demo import load_demo
from xiaoqu.demo.decisions import ELEVATOR_TITLE, GRID_WORKER_PHONE, STAFF_PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def test_the_demo_grid_worker_has_the_non_voters_doors(demo):
    vote = Vote.objects.get(title=ELEVATOR_TITLE)
    worker = User.objects.get(phone=GRID_WORKER_PHONE)
    voted = set(Ballot.objects.filter(vote=vote).values_list("elector_id", flat=True))
    assert voted, "the demo vote has ballots in"
    not_voted = set(
        ElectorUnit.objects.filter(vote=vote)
        .exclude(elector__in=voted)
        .exclude(elector__owner_key="developer")
        .values_list("dwelling_id", flat=True)
    )
    assigned = set(
        TurnoutAssignment.objects.filter(vote=vote, assignee=worker).values_list(
            "unit__dwelling_id", flat=True
        )
    )
    assert not_voted and assigned == not_voted
    client = Client()
    client.force_login(worker)
    html = client.get(reverse("needs:visit_page", args=[vote.estate_id])).content.decode()
    listed = {int(pk) for pk in re.findall(r'data-visit-dwelling="(\d+)"', html)}
    assert listed == not_voted and ELEVATOR_TITLE in html


def test_the_demo_staff_page_links_to_turnout_chasing(demo):
    vote = Vote.objects.get(title=ELEVATOR_TITLE)
    client = Client()
    client.force_login(User.objects.get(phone=STAFF_PHONE))
    html = client.get(reverse("decisions:vote_detail", args=[vote.pk])).content.decode()
    assert reverse("decisions:vote_turnout", args=[vote.pk]) in html
    page = client.get(reverse("decisions:vote_turnout", args=[vote.pk])).content.decode()
    assert "催票：演示网格员" in page
