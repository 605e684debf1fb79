"""The life-circle standard as data, the facility register, and analysis runs with results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.models import TimeStamped
from xiaoqu.core.policy import ScopePath


class Level(models.TextChoices):
    MIN15 = "15min", _("15分钟生活圈")
    MIN10 = "10min", _("10分钟生活圈")
    MIN5 = "5min", _("5分钟生活圈")


class FacilityType(models.Model):
    """A facility type with the walking distance it should be within (editable by admins)."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("生活圈层级"), max_length=8, choices=Level.choices)
    distance_m = models.PositiveIntegerField(_("步行距离要求（米）"))
    active = models.BooleanField(_("参与评估"), default=True)

    class Meta:
        verbose_name = _("设施类型")
        verbose_name_plural = _("设施类型")
        ordering = ["distance_m", "code"]

    def __str__(self) -> str:
        return self.name


class FacilitySource(models.TextChoices):
    FILE = "file", _("表格导入")
    OSM = "osm", _("OpenStreetMap")
    STAFF = "staff", _("工作人员录入")


class Facility(TimeStamped):
    type = models.ForeignKey(
        FacilityType, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="facilities"
    )
    name = models.CharField(_("名称"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    source = models.CharField(_("来源"), max_length=8, choices=FacilitySource.choices)
    # The id in its source (an OSM "n123"/"w456", or the file's id column): re-importing the
    # same source updates rather than duplicates.
    source_ref = models.CharField(_("来源编号"), max_length=64)

    class Meta:
        verbose_name = _("设施")
        verbose_name_plural = _("设施")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_ref"], name="facility_source_unique")
        ]
        indexes = [models.Index(fields=["latitude", "longitude"])]

    def __str__(self) -> str:
        return self.name or self.unnamed

    @property
    def unnamed(self) -> str:
        """What a facility without a name is called on pages: its type, never its id in the
        source (an OpenStreetMap id such as w995766256 tells a reader nothing)."""
        return gettext("未标名称的%(type)s") % {"type": self.type.name}


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class AnalysisRun(TimeStamped):
    """One walking-distance analysis of a region's estates on an OSM street network."""

    region = models.ForeignKey(
        "registry.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    osm_file = models.FileField(_("路网文件"), upload_to="lifecircle/osm/%Y/%m/")
    status = models.CharField(
        _("状态"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    estates = models.PositiveIntegerField(_("小区数"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = ScopePath(region="region")

    class Meta:
        verbose_name = _("生活圈分析")
        verbose_name_plural = _("生活圈分析")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.region} {self.created_at:%Y-%m-%d}"


class EstateAccess(models.Model):
    """An estate's nearest facility of one type in one run (None: none reachable)."""

    run = models.ForeignKey(AnalysisRun, on_delete=models.CASCADE, related_name="results")
    estate = models.ForeignKey("registry.Estate", on_delete=models.CASCADE, related_name="+")
    type = models.ForeignKey(FacilityType, on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    distance_m = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    required_m = models.PositiveIntegerField()
    within = models.BooleanField()

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("步行可达结果")
        verbose_name_plural = _("步行可达结果")
        constraints = [
            models.UniqueConstraint(fields=["run", "estate", "type"], name="estate_access_once")
        ]
        indexes = [models.Index(fields=["run", "within"])]

    def __str__(self) -> str:
        return f"{self.estate_id}/{self.type_id}"
