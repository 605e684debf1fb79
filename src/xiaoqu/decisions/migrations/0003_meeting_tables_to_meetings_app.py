"""Meetings move to their own app: first their tables take the new app's names.

The next steps create the models' state in the meetings app (meetings 0001, no database
change), link opinions and plans from the side of the later stage, and drop the models' state
here (0004).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("decisions", "0002_initial")]

    operations = [
        # Also renames the many-to-many tables (agenda_demands, agenda_plans) after the model.
        migrations.AlterModelTable(name="meeting", table="meetings_meeting"),
        migrations.AlterModelTable(name="meetingattendance", table="meetings_meetingattendance"),
        migrations.AlterModelTable(name="meetingphoto", table="meetings_meetingphoto"),
    ]
