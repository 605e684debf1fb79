"""People's ID-number hash as 16 bytes instead of 64 hexadecimal characters.

The stored hashes are converted, not recomputed (the numbers are not kept): the first 32
hexadecimal characters of the HMAC-SHA256 are the first 16 bytes that core.pii.hash_id_number
now gives. The unique index is rebuilt on the bytes (docs/benchmarks.md, national scale).
"""

from django.db import migrations, models

BATCH = 10_000


def to_bytes(apps, schema_editor):
    Person = apps.get_model("registry", "Person")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE registry_person SET id_digest = decode(left(id_hash, 32), 'hex')"
            " WHERE id_hash IS NOT NULL AND id_hash <> ''"
        )
        return
    stored = Person.objects.exclude(id_hash=None).exclude(id_hash="").order_by("pk")
    last = 0
    while batch := list(stored.filter(pk__gt=last).only("pk", "id_hash")[:BATCH]):
        for person in batch:
            person.id_digest = bytes.fromhex(person.id_hash[:32])
        Person.objects.bulk_update(batch, ["id_digest"])
        last = batch[-1].pk


def to_text(apps, schema_editor):
    """Back to text: the 32 hexadecimal characters the bytes give (the rest is gone; hashes
    made before the change no longer match until the people are imported again)."""
    Person = apps.get_model("registry", "Person")
    stored = Person.objects.exclude(id_digest=None).order_by("pk")
    last = 0
    while batch := list(stored.filter(pk__gt=last).only("pk", "id_digest")[:BATCH]):
        for person in batch:
            person.id_hash = bytes(person.id_digest).hex()
        Person.objects.bulk_update(batch, ["id_hash"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_lean_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="id_digest",
            field=models.BinaryField(blank=True, editable=False, max_length=16, null=True),
        ),
        migrations.RunPython(to_bytes, to_text),
        migrations.RemoveConstraint(model_name="person", name="person_unique_id_hash"),
        migrations.RemoveField(model_name="person", name="id_hash"),
        migrations.RenameField(model_name="person", old_name="id_digest", new_name="id_hash"),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(fields=["id_hash"], name="person_unique_id_hash"),
        ),
    ]
