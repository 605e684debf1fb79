"""`xiaoqu audit verify` finds any edited, deleted or inserted ballot (tampered in SQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.decisions import chain, services
from xiaoqu.decisions.models import Ballot

pytestmark = pytest.mark.django_db


@pytest.fixture
def vote():
    estate = make_estate(name="核验小区", floors=2, per_floor=2)
    for d in estate.dwellings.all():
        make_owner(d)
    staff = make_user("community_staff", estate=estate)
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=1,
        title="修改管理规约",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(days=1),
        actor=staff,
    )
    vote = services.vote_open(vote=vote, actor=staff)
    for elector, choice in zip(
        vote.electors.order_by("pk")[:3], ["agree", "disagree", "agree"], strict=True
    ):
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice=choice,
            channel="online",
            actor=make_user(person=elector.persons.first()),
        )
    return vote


def verify(capsys):
    try:
        call_command("audit", "verify")
    except CommandError as error:
        return error.returncode, capsys.readouterr().err
    return 0, capsys.readouterr().out


def sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_intact_chain_verifies(vote, capsys):
    code, out = verify(capsys)
    assert code == 0 and "核验通过" in out


def test_an_edited_choice_is_found(vote, capsys):
    sql("UPDATE decisions_ballot SET choice = 'agree' WHERE vote_id = %s AND seq = 2", vote.pk)
    code, err = verify(capsys)
    assert code == 1 and "第 2 张选票" in err and "改动" in err


def test_a_deleted_ballot_is_found(vote, capsys):
    sql("DELETE FROM decisions_ballot WHERE vote_id = %s AND seq = 3", vote.pk)
    code, err = verify(capsys)
    assert code == 1 and "删除或插入" in err


def test_a_deleted_middle_ballot_breaks_the_chain(vote, capsys):
    sql("DELETE FROM decisions_ballot WHERE vote_id = %s AND seq = 2", vote.pk)
    code, err = verify(capsys)
    assert code == 1 and "不连续" in err and "不衔接" in err


def test_an_inserted_ballot_is_found_even_with_a_correct_hash(vote, capsys):
    """A forger who computes a valid link still lacks the audit row and breaks the head."""
    last = Ballot.objects.filter(vote=vote).order_by("-seq").first()
    elector = vote.electors.exclude(ballots__isnull=False).first()
    when = timezone.now()
    digest = chain.link(
        prev_hash=last.hash,
        pseudonym=elector.pseudonym,
        choice="agree",
        channel="online",
        cast_at=when,
        seq=4,
        nonce="0" * 32,
    )
    Ballot.objects.create(
        vote=vote,
        elector=elector,
        seq=4,
        choice="agree",
        channel="online",
        cast_at=when,
        cast_by=last.cast_by,
        nonce="0" * 32,
        prev_hash=last.hash,
        hash=digest,
        receipt=chain.receipt(digest),
    )
    code, err = verify(capsys)
    assert code == 1 and "操作记录" in err and "删除或插入" in err
