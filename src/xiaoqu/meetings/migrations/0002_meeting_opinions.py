"""The meeting lists the opinions heard at it (they used to point at their meeting)."""

from django.db import migrations, models


def copy_links(apps, schema_editor):
    Opinion = apps.get_model("needs", "Opinion")
    Meeting = apps.get_model("meetings", "Meeting")
    Link = Meeting.opinions.through
    rows = Opinion.objects.filter(meeting__isnull=False).values_list("pk", "meeting_id")
    Link.objects.bulk_create(
        [Link(meeting_id=meeting_id, opinion_id=pk) for pk, meeting_id in rows], batch_size=2000
    )


def copy_back(apps, schema_editor):
    Opinion = apps.get_model("needs", "Opinion")
    Meeting = apps.get_model("meetings", "Meeting")
    for link in Meeting.opinions.through.objects.all():
        Opinion.objects.filter(pk=link.opinion_id).update(meeting_id=link.meeting_id)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0001_initial"),
        ("needs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="opinions",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="needs.opinion", verbose_name="会上听到的意见"
            ),
        ),
        migrations.RunPython(copy_links, copy_back),
    ]
