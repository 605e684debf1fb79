"""On PostgreSQL the import's batches are sent from a background thread
(``registry.importing.writer.Sender``): a batch the server refuses still fails the import
whole, and the rows are all there when it succeeds."""

from __future__ import annotations

import pytest

from xiaoqu.registry.generator import generate_register
from xiaoqu.registry.importing import import_register, writer
from xiaoqu.registry.models import Dwelling, Estate, Person

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def register(tmp_path, monkeypatch):
    monkeypatch.setattr(writer, "BATCH", 500)  # many batches in flight
    generate_register(tmp_path / "reg", estates=12, dwellings=3_000, seed=4)
    return tmp_path / "reg"


def test_every_batch_sent_in_the_background_is_stored(register):
    report = import_register(register)
    assert Dwelling.objects.count() == report.created["dwellings"] == 3_000
    assert Person.objects.count() == report.created["people"]


def test_a_batch_refused_in_the_background_fails_the_import_whole(register, monkeypatch):
    sent = []
    real = writer._copy

    def refuse_the_fifth(raw, errors, sql, rows):
        sent.append(sql)
        if len(sent) == 5:
            raise RuntimeError("the server refused the batch")
        real(raw, errors, sql, rows)

    monkeypatch.setattr(writer, "_copy", refuse_the_fifth)
    with pytest.raises(RuntimeError, match="refused the batch"):
        import_register(register)
    assert not Estate.objects.exists() and not Dwelling.objects.exists()
