"""Opinions no longer point at a meeting: the meeting lists them (meetings 0002 copied the
links first). What the link told a reader of the opinion list — where it was heard — stays
with the opinion as words."""

from django.db import migrations, models


def name_the_occasions(apps, schema_editor):
    Opinion = apps.get_model("needs", "Opinion")
    for opinion in Opinion.objects.filter(meeting__isnull=False).select_related("meeting"):
        meeting = opinion.meeting
        opinion.occasion = (
            f"{meeting.get_kind_display()} {meeting.held_on:%Y-%m-%d} {meeting.place}"
        )[:150]
        opinion.save(update_fields=["occasion"])


class Migration(migrations.Migration):
    dependencies = [
        ("needs", "0001_initial"),
        ("meetings", "0002_meeting_opinions"),
    ]

    operations = [
        migrations.AddField(
            model_name="opinion",
            name="occasion",
            field=models.CharField(blank=True, max_length=150, verbose_name="收集场合"),
        ),
        migrations.RunPython(name_the_occasions, migrations.RunPython.noop),
        migrations.RemoveField(model_name="opinion", name="meeting"),
    ]
