"""Meetings where residents speak and decide: 坝坝会, 居民议事会, 业主大会, 联席会议, 听证会.

A meeting belongs to one estate. Its record: the convenor, the agenda (free text plus the
demands it discusses), who attended (by dwelling and person, signed in by staff), the
opinions heard at it, minutes, decisions and photos; publishing the minutes shows them to the
estate's residents. Meetings come after the needs stage in the lifecycle, so the meeting
holds the links to what it heard and discussed (an opinion does not point at a meeting); a
renovation plan, later still, lists the meetings that discussed it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.models import TimeStamped
from xiaoqu.core.policy import ScopePath


class MeetingKind(models.TextChoices):
    COURTYARD = "courtyard", _("坝坝会")
    COUNCIL = "council", _("居民议事会")
    OWNERS_ASSEMBLY = "owners_assembly", _("业主大会")
    JOINT = "joint", _("联席会议")
    HEARING = "hearing", _("听证会")


class Meeting(TimeStamped):
    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    kind = models.CharField(_("形式"), max_length=16, choices=MeetingKind.choices)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=100)
    # Headcount as announced (a courtyard meeting counts people, not dwellings); the signed-in
    # attendance below is the record by dwelling and person.
    attendance = models.PositiveIntegerField(_("参加人数"), default=0)
    convenor = models.CharField(_("召集人"), max_length=100, blank=True)
    agenda = models.TextField(_("议程"), blank=True)
    agenda_demands = models.ManyToManyField(
        "needs.Demand", verbose_name=_("议题中的需求"), blank=True, related_name="+"
    )
    opinions = models.ManyToManyField(
        "needs.Opinion", verbose_name=_("会上听到的意见"), blank=True, related_name="+"
    )
    minutes = models.TextField(_("会议纪要"), blank=True)
    decisions = models.TextField(_("议定事项"), blank=True)
    minutes_published_at = models.DateTimeField(_("纪要公布时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("议事活动")
        verbose_name_plural = _("议事活动")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on} {self.place}"


class MeetingAttendance(models.Model):
    """One person (or one dwelling's household) signed in at a meeting by staff.

    Three kinds of row: a household (a dwelling, no person, no name); a person of the register
    (an owner or resident of the dwelling); a named attendee the register does not list (a
    name, and where they live and their phone when they give them), such as a tenant not yet
    registered or a neighbour from the next estate. Each is signed in once per meeting.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    dwelling = models.ForeignKey(
        "registry.Dwelling",
        verbose_name=_("房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A named attendee not in the register: the name as they gave it, their phone if given.
    name = models.CharField(_("姓名"), max_length=32, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    signed_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签到人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_in_at = models.DateTimeField(_("签到时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "dwelling", "person"], name="attendance_once"
            ),
            models.UniqueConstraint(
                fields=["meeting", "dwelling"],
                condition=Q(person__isnull=True, name=""),
                name="attendance_household_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "dwelling", "name"],
                condition=Q(dwelling__isnull=False) & ~Q(name=""),
                name="attendance_named_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "name"],
                condition=Q(dwelling__isnull=True) & ~Q(name=""),
                name="attendance_named_no_dwelling_once",
            ),
            # A household, a person of the register, or a named attendee: never nobody, and
            # a person of the register is not also given a name.
            models.CheckConstraint(
                condition=Q(dwelling__isnull=False) | ~Q(name=""), name="attendance_is_someone"
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=True) | (Q(name="") & Q(dwelling__isnull=False)),
                name="attendance_person_has_dwelling",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.dwelling_id or self.name}"


class MeetingPhoto(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="photos")
    photo = models.FileField(_("照片"), upload_to="meetings/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("会议照片")
        verbose_name_plural = _("会议照片")

    def __str__(self) -> str:
        return self.photo.name or ""
