"""On PostgreSQL, 200 concurrent attempts by 50 owners leave exactly 50 ballots."""

from __future__ import annotations

import datetime as dt
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Ballot
from xiaoqu.decisions.verify import verify_vote

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_ballots_leave_one_per_owner():
    estate = make_estate(name="并发小区", floors=25, per_floor=2)
    for d in estate.dwellings.all():
        make_owner(d)
    staff = make_user("community_staff", estate=estate)
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=7,
        title="加装电梯",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(days=1),
        actor=staff,
    )
    vote = services.vote_open(vote=vote, actor=staff)
    electors = list(vote.electors.all())
    assert len(electors) == 50
    users = {e.pk: make_user(person=e.persons.first(), password=None) for e in electors}
    attempts = [e for e in electors for _ in range(4)]
    random.Random(4).shuffle(attempts)

    def attempt(elector):
        try:
            services.ballot_cast(
                vote=vote,
                elector=elector,
                choice=random.choice(["agree", "disagree", "abstain"]),
                channel="online",
                actor=users[elector.pk],
            )
            return "cast"
        except DomainError as error:
            return error.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, attempts))
    assert outcomes.count("cast") == 50
    assert set(outcomes) == {"cast", "already"}
    assert Ballot.objects.filter(vote=vote).count() == 50
    vote.refresh_from_db()
    assert vote.ballots_cast == 50
    assert verify_vote(vote) == []
