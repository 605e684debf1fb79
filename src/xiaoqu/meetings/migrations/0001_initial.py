"""Meetings move here from the decisions app: the tables already carry this app's names
(decisions 0003 renamed them), so this creates the models' state only."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("decisions", "0003_meeting_tables_to_meetings_app"),
        ("needs", "0001_initial"),
        ("registry", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Meeting",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("courtyard", "坝坝会"),
                            ("council", "居民议事会"),
                            ("owners_assembly", "业主大会"),
                            ("joint", "联席会议"),
                            ("hearing", "听证会"),
                        ],
                        max_length=16,
                        verbose_name="形式",
                    ),
                ),
                ("held_on", models.DateField(verbose_name="日期")),
                ("place", models.CharField(max_length=100, verbose_name="地点")),
                ("attendance", models.PositiveIntegerField(default=0, verbose_name="参加人数")),
                ("convenor", models.CharField(blank=True, max_length=100, verbose_name="召集人")),
                ("agenda", models.TextField(blank=True, verbose_name="议程")),
                ("minutes", models.TextField(blank=True, verbose_name="会议纪要")),
                ("decisions", models.TextField(blank=True, verbose_name="议定事项")),
                (
                    "minutes_published_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="纪要公布时间"),
                ),
                (
                    "agenda_demands",
                    models.ManyToManyField(
                        blank=True, related_name="+", to="needs.demand", verbose_name="议题中的需求"
                    ),
                ),
                (
                    "estate",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="meetings",
                        to="registry.estate",
                        verbose_name="小区",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="记录人",
                    ),
                ),
            ],
            options={
                "verbose_name": "议事活动",
                "verbose_name_plural": "议事活动",
                "ordering": ["-held_on", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="MeetingPhoto",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("photo", models.FileField(upload_to="meetings/%Y/%m/", verbose_name="照片")),
                ("uploaded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="photos",
                        to="meetings.meeting",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "会议照片",
                "verbose_name_plural": "会议照片",
            },
        ),
        migrations.CreateModel(
            name="MeetingAttendance",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("signed_in_at", models.DateTimeField(auto_now_add=True, verbose_name="签到时间")),
                (
                    "dwelling",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.dwelling",
                        verbose_name="房屋",
                    ),
                ),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attendees",
                        to="meetings.meeting",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.person",
                        verbose_name="人员",
                    ),
                ),
                (
                    "signed_in_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="签到人",
                    ),
                ),
            ],
            options={
                "verbose_name": "签到",
                "verbose_name_plural": "签到",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("meeting", "dwelling", "person"), name="attendance_once"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("person__isnull", True)),
                        fields=("meeting", "dwelling"),
                        name="attendance_household_once",
                    ),
                ],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations, database_operations=[]
        )
    ]
