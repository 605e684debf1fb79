"""Named attendees: someone the register does not list signs in with a name (and, when given,
their dwelling and phone)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0002_meeting_opinions'),
        ('registry', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='meetingattendance',
            name='attendance_household_once',
        ),
        migrations.AddField(
            model_name='meetingattendance',
            name='name',
            field=models.CharField(blank=True, max_length=32, verbose_name='姓名'),
        ),
        migrations.AddField(
            model_name='meetingattendance',
            name='phone',
            field=models.CharField(blank=True, max_length=20, verbose_name='手机号'),
        ),
        migrations.AlterField(
            model_name='meetingattendance',
            name='dwelling',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.dwelling', verbose_name='房屋'),
        ),
        migrations.AddConstraint(
            model_name='meetingattendance',
            constraint=models.UniqueConstraint(condition=models.Q(('name', ''), ('person__isnull', True)), fields=('meeting', 'dwelling'), name='attendance_household_once'),
        ),
        migrations.AddConstraint(
            model_name='meetingattendance',
            constraint=models.UniqueConstraint(condition=models.Q(('dwelling__isnull', False), models.Q(('name', ''), _negated=True)), fields=('meeting', 'dwelling', 'name'), name='attendance_named_once'),
        ),
        migrations.AddConstraint(
            model_name='meetingattendance',
            constraint=models.UniqueConstraint(condition=models.Q(('dwelling__isnull', True), models.Q(('name', ''), _negated=True)), fields=('meeting', 'name'), name='attendance_named_no_dwelling_once'),
        ),
        migrations.AddConstraint(
            model_name='meetingattendance',
            constraint=models.CheckConstraint(condition=models.Q(('dwelling__isnull', False), models.Q(('name', ''), _negated=True), _connector='OR'), name='attendance_is_someone'),
        ),
        migrations.AddConstraint(
            model_name='meetingattendance',
            constraint=models.CheckConstraint(condition=models.Q(('person__isnull', True), models.Q(('name', ''), ('dwelling__isnull', False)), _connector='OR'), name='attendance_person_has_dwelling'),
        ),
    ]
