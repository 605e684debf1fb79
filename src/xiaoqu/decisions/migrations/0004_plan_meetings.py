"""A plan lists the meetings that discussed it (a meeting used to list its plans), and the
meeting models leave this app's state (their tables belong to the meetings app)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("decisions", "0003_meeting_tables_to_meetings_app"),
        ("meetings", "0002_meeting_opinions"),
        ("needs", "0002_remove_opinion_meeting"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="meetings",
            field=models.ManyToManyField(
                blank=True, related_name="+", to="meetings.meeting", verbose_name="讨论过的会议"
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "INSERT INTO decisions_plan_meetings (plan_id, meeting_id) "
                    "SELECT plan_id, meeting_id FROM meetings_meeting_agenda_plans",
                ),
                migrations.RunSQL("DROP TABLE meetings_meeting_agenda_plans"),
            ],
            state_operations=[
                migrations.DeleteModel(name="MeetingAttendance"),
                migrations.DeleteModel(name="MeetingPhoto"),
                migrations.DeleteModel(name="Meeting"),
            ],
        ),
    ]
