"""The demo's to-do workbench: the street's staff have every kind of line, 金仓社区's staff
every kind its estates hold (docs/daily.md, "To-do workbench", "The demo"); a second load
adds nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from xiaoqu.accounts.models import User
from xiaoqu.daily.todo import KINDS, todo_groups
from xiaoqu.decisions.models import Objection, Plan, Vote
from xiaoqu.demo import load_demo
from xiaoqu.demo.todo import BOILER_TITLE, SHED_TITLE, TELECOM_PLAN, load_demo_todo
from xiaoqu.stewardship.models import WorkOrder

pytestmark = pytest.mark.django_db

COMMUNITY = "13800000005"
STREET = "13800000006"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def kinds(phone: str) -> dict[str, list[str]]:
    user = User.objects.get(phone=phone)
    return {g.key: [line.title for line in g.lines] for g in todo_groups(user)}


def test_the_street_has_every_kind_of_line(demo):
    found = kinds(STREET)
    assert set(found) == set(KINDS)
    assert BOILER_TITLE in found["votes"]
    assert any(SHED_TITLE in title for title in found["objections"])
    assert any(TELECOM_PLAN in title for title in found["plans"])
    assert any("门禁" in title for title in found["orders"])
    assert any("路灯" in title for title in found["orders"])  # climbed to the street


def test_jincang_has_every_kind_its_estates_hold(demo):
    found = kinds(COMMUNITY)
    # No estate of 金仓社区 is at the plan stage or in works (docs/daily.md).
    assert set(found) == set(KINDS) - {"plans", "works"}
    assert not any("路灯" in title for title in found["orders"])  # the street's now
    turnout = (
        next(g for g in todo_groups(User.objects.get(phone=COMMUNITY)) if g.key == "votes")
        .lines[0]
        .turnout
    )
    assert turnout is not None and 0 < turnout.owners < turnout.total_owners
    assert not turnout.quorum_met and turnout.special


def test_the_pages_open_for_both(demo):
    for phone in (COMMUNITY, STREET):
        client = Client()
        client.force_login(User.objects.get(phone=phone))
        page = client.get("/daily/todo/").content.decode()
        assert BOILER_TITLE in page and 'id="todo-demands"' in page


def test_loading_again_adds_nothing(demo):
    before = (
        Vote.objects.count(),
        Objection.objects.count(),
        Plan.objects.count(),
        WorkOrder.objects.count(),
    )
    load_demo_todo()
    assert before == (
        Vote.objects.count(),
        Objection.objects.count(),
        Plan.objects.count(),
        WorkOrder.objects.count(),
    )
