"""Shared base models and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class TreeNode(models.Model):
    """A node of a tree kept with a materialised path, for indexed subtree queries.

    ``path`` is ``/<id>/<id>/.../`` from the root down to this node, so a subtree is
    ``path__startswith=node.path`` (``db_index`` gives PostgreSQL its pattern index too).
    Subclasses declare ``parent = ForeignKey("self", ...)``. Moving a node rewrites its
    subtree's paths in one update; ``subtree_moved`` lets a subclass carry copies along.
    """

    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("层级"), default=0, editable=False)

    parent_id: int | None

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        manager = type(self)._default_manager
        with transaction.atomic():
            super().save(*args, **kwargs)
            parent_path = (
                manager.values_list("path", flat=True).get(pk=self.parent_id)
                if self.parent_id
                else "/"
            )
            if self.parent_id and f"/{self.pk}/" in parent_path:
                raise ValueError(f"{self._meta.label} cannot be moved under its own subtree")
            path = parent_path + f"{self.pk}/"
            old = self.path
            if path == old:
                return
            self.path = path
            self.depth = path.count("/") - 2
            manager.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            if old:
                manager.filter(path__startswith=old).update(
                    path=Concat(
                        Value(path), Substr("path", len(old) + 1), output_field=models.CharField()
                    ),
                    depth=F("depth") + (path.count("/") - old.count("/")),
                )
                self.subtree_moved(old, path)

    def subtree_moved(self, old: str, new: str) -> None:
        """Called after the paths below this node moved from ``old`` to ``new``."""

    def subtree(self) -> models.QuerySet:
        return type(self)._default_manager.filter(path__startswith=self.path)

    def ancestors(self) -> models.QuerySet:
        """This node and the nodes above it, root first."""
        ids = [int(p) for p in self.path.strip("/").split("/") if p]
        return type(self)._default_manager.filter(pk__in=ids).order_by("depth")


class AuditLog(models.Model):
    """One row per state change a person makes (who, when, what, before/after)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    action = models.CharField(_("操作"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class AccessAction(models.TextChoices):
    REVEAL = "reveal", _("查看完整信息")
    VIEW = "view", _("查看个人档案")
    EXPORT = "export", _("导出")
    SELF_EXPORT = "self_export", _("本人下载")


class AccessEvent(models.Model):
    """One row per reading of personal information (PIPL Art. 51): who revealed a full phone
    number or ID tail, viewed a person's record, or exported a list with personal data.

    Subjects are the ``registry.Person`` ids read, kept as plain integers in
    ``subject_ids`` (``,12,34,``) so that core names no app; an export of a whole list keeps
    the count and a description of its filter instead. Rows are written in one bulk insert
    per request (``xiaoqu.core.access_log``), never changed, and purged after
    ``XIAOQU_RETENTION_ACCESS_EVENTS_DAYS`` (docs/personal-information.md).
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人（记录时）"), max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=16, choices=AccessAction.choices)
    field = models.CharField(_("信息项"), max_length=32, blank=True)
    subject_ids = models.TextField(_("涉及人员编号"), blank=True, default="")
    subject_count = models.PositiveIntegerField(_("涉及人数"), default=0)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    path = models.CharField(_("页面或接口"), max_length=300, blank=True)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["actor", "at"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.field} ({self.subject_count})"

    @property
    def subjects(self) -> list[int]:
        return [int(s) for s in self.subject_ids.strip(",").split(",") if s]
