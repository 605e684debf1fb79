"""The migration that stores people's ID-number hashes as bytes keeps every match."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from xiaoqu.core.pii import hash_id_number
from xiaoqu.registry.models import Person

BEFORE, AFTER = ("registry", "0003_lean_indexes"), ("registry", "0004_person_id_hash_bytes")


@pytest.mark.django_db(transaction=True)
def test_stored_hex_hashes_become_the_bytes_the_hasher_now_gives():
    """A hash stored as 64 hexadecimal characters becomes its first 16 bytes, which is what
    hashing the same number gives now; people without a number keep none."""
    number = "52010319800101123X"
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE]).apps.get_model("registry", "Person")
        full = hash_id_number(number).hex() + "0" * 32  # the 32 bytes' hex, as stored before
        old.objects.create(ref="P1", name="张三", id_hash=full, id_last4="123X")
        old.objects.create(ref="P2", name="李四", id_hash=None)
        old.objects.create(ref="P3", name="王五", id_hash="")
    finally:
        MigrationExecutor(connection).migrate([AFTER])
    assert bytes(Person.objects.get(ref="P1").id_hash) == hash_id_number(number)
    assert Person.objects.get(ref="P2").id_hash is None
    assert Person.objects.get(ref="P3").id_hash is None
    assert Person.objects.filter(id_hash=hash_id_number(number)).count() == 1
