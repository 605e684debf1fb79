"""One objection per owner per vote.

Before the constraint, an owner could file several objections on one vote (the 2026-12-01
security probe filed six). Those already stored are kept as one: the later texts are added
to the owner's first objection, each under the time it was raised, and the later rows go.
Their audit rows (decisions.objection_raise) stay as they were.
"""

from django.db import migrations, models
from django.db.models import Count


def merge_duplicate_objections(apps, schema_editor):
    Objection = apps.get_model("decisions", "Objection")
    doubled = (
        Objection.objects.values("vote_id", "elector_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("vote_id", "elector_id")
    )
    for vote_id, elector_id in list(doubled):
        first, *later = Objection.objects.filter(vote_id=vote_id, elector_id=elector_id).order_by(
            "raised_at", "pk"
        )
        parts = [first.text]
        for objection in later:
            parts.append(f"（{objection.raised_at:%Y-%m-%d %H:%M} 补充）{objection.text}")
        first.text = "\n\n".join(parts)
        first.save(update_fields=["text"])
        Objection.objects.filter(pk__in=[o.pk for o in later]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0005_turnout_assignment"),
    ]

    operations = [
        migrations.RunPython(merge_duplicate_objections, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="objection",
            constraint=models.UniqueConstraint(
                fields=("vote", "elector"), name="objection_one_per_owner"
            ),
        ),
    ]
