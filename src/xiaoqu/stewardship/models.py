"""Stage 5, management after the works. So far: the years of China's working calendar an
administrator enters before the ``chinese-calendar`` package knows them (see
docs/stewardship.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(models.Model):
    """A day of the State Council's holiday notice: a holiday, or a weekend day worked (调休).

    A year with any entry counts as known: its other weekdays are working days and its other
    weekend days are not. Entries also correct a year the package knows.
    """

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=CalendarDayKind.choices)
    note = models.CharField(_("说明"), max_length=100, blank=True, help_text=_("如：2027年春节"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
