"""The demo owner's feed holds every kind of item the demo tells (docs/daily.md, "The demo")."""

from __future__ import annotations

import pytest
from django.test import Client

from xiaoqu.accounts.models import User
from xiaoqu.daily.feed import resident_feed
from xiaoqu.demo import load_demo
from xiaoqu.demo.decisions import COVENANT_TITLE, ELEVATOR_TITLE, PLAN_TITLE

pytestmark = pytest.mark.django_db

OWNER = "13800000002"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def test_the_demo_owner_sees_every_kind_of_item(demo):
    owner = User.objects.get(phone=OWNER)
    feed = resident_feed(user=owner)
    assert ELEVATOR_TITLE in {c.vote.title for c in feed.to_vote}
    assert PLAN_TITLE in {c.plan.title for c in feed.plans}
    assert COVENANT_TITLE in {r.vote.title for r in feed.results}
    assert feed.minutes and feed.opinions and feed.messages.recent
    assert {o.status for o in feed.orders} >= {"in_progress", "resolved"}
    (contacts,) = feed.contacts
    posts = {c.post for c in contacts.contacts}
    assert {"网格员", "联户党员", "社区工作人员"} <= posts
    assert all(c.phone for c in contacts.contacts)


def test_the_demo_owner_lands_on_the_feed(demo):
    client = Client()
    client.force_login(User.objects.get(phone=OWNER))
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/daily/today/"
    assert "去投票" in response.content.decode()
