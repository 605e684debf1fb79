"""`xiaoqu needs train` learns from the category corrections staff stored in the database."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import OperationalError

from tests.factories import make_estate, make_user
from xiaoqu.needs import classifier as clf
from xiaoqu.needs import services
from xiaoqu.needs.models import Channel
from xiaoqu.needs.services import OpinionInput

pytestmark = pytest.mark.django_db

# The shipped model does not read this as leisure and fitness; a clerk says it is.
TEXT = "院子里那口老井想修一下"
CORRECT = "leisure_fitness"


def train(tmp_path) -> tuple[str, clf.Classifier]:
    out = io.StringIO()
    target = tmp_path / "model.joblib"
    call_command("needs", "train", "--out", str(target), stdout=out)
    model = clf.load(target)
    assert model is not None
    return out.getvalue(), model


def test_a_stored_correction_changes_the_retrained_models_answer(tmp_path):
    """A category corrected through opinion_recategorise is learnt by the next training."""
    assert clf.default().predict(TEXT).code != CORRECT
    estate = make_estate()
    staff = make_user("community_staff", region=estate.community)
    (opinion,) = services.opinions_record(
        estate=estate, items=[OpinionInput(text=TEXT)], channel=Channel.HOTLINE, actor=staff
    )
    services.opinion_recategorise(opinion=opinion, category=CORRECT, actor=staff)

    output, model = train(tmp_path)

    assert model.predict(TEXT).code == CORRECT
    assert model.meta["corrections"] == 1
    assert "数据库中工作人员的类别校正：1 条" in output


def test_training_with_no_stored_corrections_says_so_and_leaves_the_shipped_model(tmp_path):
    """An empty database gives zero corrections; --out keeps the shipped file untouched."""
    before = clf.MODEL_FILE.stat().st_mtime_ns if clf.MODEL_FILE.exists() else None
    output, model = train(tmp_path)
    assert "数据库中工作人员的类别校正：0 条" in output
    assert model.meta["corrections"] == 0
    assert (clf.MODEL_FILE.stat().st_mtime_ns if clf.MODEL_FILE.exists() else None) == before


def test_training_works_without_the_needs_tables(tmp_path, monkeypatch):
    """A database not migrated yet is not an error: the shipped set is used alone."""

    def missing(*args, **kwargs):
        raise OperationalError("no such table: needs_correction")

    monkeypatch.setattr(services, "corrections_for_training", missing)
    output, model = train(tmp_path)
    assert "还没有意见数据表" in output
    assert model.meta["corrections"] == 0


def test_the_latest_correction_of_an_opinion_wins(tmp_path):
    """Corrected twice, an opinion trains with its last category only."""
    estate = make_estate()
    staff = make_user("community_staff", region=estate.community)
    (opinion,) = services.opinions_record(
        estate=estate, items=[OpinionInput(text=TEXT)], channel=Channel.HOTLINE, actor=staff
    )
    services.opinion_recategorise(opinion=opinion, category="water_supply", actor=staff)
    services.opinion_recategorise(opinion=opinion, category=CORRECT, actor=staff)
    assert services.corrections_for_training() == [(TEXT, CORRECT)]
