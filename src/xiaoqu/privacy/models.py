"""Correction requests: a resident asks for their record to be corrected (PIPL Art. 46)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.policy import ScopePath


class CorrectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DONE = "done", _("已更正")
    DECLINED = "declined", _("不予更正")


class CorrectionRequest(models.Model):
    """What a resident says is wrong in their record, and what the community did about it.

    Placed at the requester's home estate, so the staff of that estate's community (and the
    street and administrators above it) see and answer it."""

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("小区"), on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    text = models.TextField(_("需要更正的内容"), max_length=1000)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=CorrectionStatus.choices,
        default=CorrectionStatus.OPEN,
        db_index=True,
    )
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    answer = models.CharField(_("处理说明"), max_length=500, blank=True)

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("个人信息更正申请")
        verbose_name_plural = _("个人信息更正申请")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["estate", "status"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status} {self.created_at:%Y-%m-%d}"
