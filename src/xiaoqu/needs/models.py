"""Door-knocking campaigns, visits, opinions from every channel, demands and demand lists.

The flow: opinions arrive through a channel (a visit, a meeting, a resident's own phone, the
hotline, a spreadsheet), are classified, and are merged into ``Demand`` rows per estate (one
demand = one thing residents ask for). Staff correct categories (``Correction`` rows feed the
next ``xiaoqu needs train``), split and join demands and move them through their statuses.
Publishing freezes the estate's demands into a numbered ``DemandList`` version whose items are
copies, so a published list never changes afterwards.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.models import TimeStamped
from xiaoqu.core.policy import ScopePath

# Longest opinion text kept; longer input is refused with a message, never truncated silently.
OPINION_MAX_CHARS = 2000

# No opinion of the programme was heard before this year: an earlier date is a typo
# (0001-01-01, 1026 for 2026) in an import, a form or the API alike.
HEARD_ON_EARLIEST_YEAR = 1990


def heard_on_problem(day: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why an opinion cannot have been heard on ``day`` (None when it can): a day after
    ``today`` (when given) or before ``HEARD_ON_EARLIEST_YEAR``. The opinions import, the
    opinion services and the API's schemas all ask this one rule."""
    if today is not None and day > today:
        return str(_("日期 %(d)s 晚于今天。") % {"d": day})
    if day.year < HEARD_ON_EARLIEST_YEAR:
        return str(_("日期 %(d)s 太早了，请核对。") % {"d": day})
    return None


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("筹备中")
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class Campaign(TimeStamped):
    """A door-knocking campaign (敲门行动) over a set of estates."""

    name = models.CharField(_("名称"), max_length=100)
    estates = models.ManyToManyField(
        "registry.Estate", verbose_name=_("小区"), related_name="needs_campaigns"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = ScopePath(estate="estates", many=True)

    class Meta:
        verbose_name = _("入户走访活动")
        verbose_name_plural = _("入户走访活动")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name


class VisitOutcome(models.TextChoices):
    MET = "met", _("见到住户")
    NOT_HOME = "not_home", _("无人在家")
    DECLINED = "declined", _("拒绝交谈")


class Visit(models.Model):
    """One knock on one dwelling's door by one visitor (one person-visit, 人次).

    ``client_key`` is generated on the phone before the first attempt to send; a visit sent
    again after a lost answer carries the same key and is stored once (unique constraint).
    """

    client_key = models.UUIDField(_("提交编号"), unique=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("走访活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="visits"
    )
    dwelling = models.ForeignKey(
        "registry.Dwelling", verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="visits"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        related_name="needs_visits",
    )
    visited_at = models.DateTimeField(_("走访时间"))
    outcome = models.CharField(_("结果"), max_length=16, choices=VisitOutcome.choices)
    people_met = models.PositiveSmallIntegerField(_("见到人数"), default=0)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    photo = models.FileField(_("照片"), upload_to="needs/visits/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    scope_path = ScopePath(estate="estate", building="dwelling__building", dwelling="dwelling")

    class Meta:
        verbose_name = _("入户走访")
        verbose_name_plural = _("入户走访")
        ordering = ["-visited_at", "-pk"]
        indexes = [models.Index(fields=["campaign", "estate"])]

    def __str__(self) -> str:
        return f"{self.dwelling_id} @ {self.visited_at:%Y-%m-%d}"


class Channel(models.TextChoices):
    VISIT = "visit", _("入户走访")
    MEETING = "meeting", _("坝坝会/议事会")
    RESIDENT = "resident", _("居民自主提交")
    HOTLINE = "hotline", _("热线")
    IMPORT = "import", _("表格导入")


class DemandClass(models.TextChoices):
    BASIC = "basic", _("基础类")
    IMPROVE = "improve", _("完善类")
    ENHANCE = "enhance", _("提升类")
    MANAGE = "manage", _("长效管理")


class DemandStatus(models.TextChoices):
    COLLECTED = "collected", _("已收集")
    ASSESSED = "assessed", _("已评估")
    PLANNED = "planned", _("已列入方案")
    DONE = "done", _("已完成")
    DECLINED = "declined", _("暂不实施")


class DemandSource(models.TextChoices):
    OPINIONS = "opinions", _("居民意见")
    ANALYSIS = "analysis", _("生活圈分析")
    STAFF = "staff", _("工作人员")


class Demand(TimeStamped):
    """One thing an estate's residents ask for: a group of opinions (合并后的需求).

    Opinions are placed in demands by merging; staff may split and join demands, and placements
    they made (``Opinion.placed_by_staff``) are never undone by a later merge.
    """

    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="demands"
    )
    category = models.CharField(_("类别"), max_length=32)
    title = models.CharField(_("需求"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=16, choices=DemandStatus.choices, default=DemandStatus.COLLECTED
    )
    declined_reason = models.CharField(_("不实施原因"), max_length=500, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    source = models.CharField(
        _("来源"), max_length=16, choices=DemandSource.choices, default=DemandSource.OPINIONS
    )
    # Set when a demand was joined into another; it keeps its history but is no longer listed.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求")
        ordering = ["estate", "-pk"]
        indexes = [models.Index(fields=["estate", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(declined_reason=""),
                name="demand_declined_has_reason",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Opinion(models.Model):
    """What one resident (or one meeting) said, from any channel, tied to an estate."""

    client_key = models.UUIDField(_("提交编号"), unique=True, default=uuid.uuid4, editable=False)
    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="opinions"
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    dwelling = models.ForeignKey(
        "registry.Dwelling",
        verbose_name=_("房屋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    # Where it was heard, in words (e.g. "坝坝会 2026-03-05 3栋前院坝"): the meeting itself,
    # a later stage, lists the opinions heard at it.
    occasion = models.CharField(_("收集场合"), max_length=150, blank=True)
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("走访"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="opinions",
    )
    # The resident who submitted it themself (channel "resident"), for "what happened".
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs_opinions",
    )
    # The staff member who recorded it (visit, meeting, hotline, import).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("意见"))
    photo = models.FileField(_("照片"), upload_to="needs/opinions/%Y/%m/", blank=True)
    heard_on = models.DateField(_("收集日期"))
    category = models.CharField(_("类别"), max_length=32)
    score = models.FloatField(_("置信度"), default=0.0)
    category_by_staff = models.BooleanField(_("人工校正"), default=False)
    urgent = models.BooleanField(_("紧急"), default=False)
    demand = models.ForeignKey(
        Demand,
        verbose_name=_("需求"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opinions",
    )
    placed_by_staff = models.BooleanField(_("人工归并"), default=False)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    scope_path = ScopePath(estate="estate", building="building", dwelling="dwelling")

    class Meta:
        verbose_name = _("居民意见")
        verbose_name_plural = _("居民意见")
        ordering = ["-heard_on", "-pk"]
        indexes = [
            models.Index(fields=["estate", "demand"]),
            models.Index(fields=["estate", "heard_on"]),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class JoinDismissal(models.Model):
    """Staff said two demands suggested for joining ask for different things: merging does
    not suggest the pair again (``first`` is the lower id of the two)."""

    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("小区"), on_delete=models.CASCADE, related_name="+"
    )
    first = models.ForeignKey(
        Demand, verbose_name=_("需求"), on_delete=models.CASCADE, related_name="+"
    )
    second = models.ForeignKey(
        Demand, verbose_name=_("另一条需求"), on_delete=models.CASCADE, related_name="+"
    )
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(_("操作时间"), auto_now_add=True)

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("不合并的需求")
        verbose_name_plural = _("不合并的需求")
        ordering = ["-dismissed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="join_dismissal_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="join_dismissal_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"


class Correction(models.Model):
    """A staff correction of an opinion's category; used by the next retraining."""

    opinion = models.ForeignKey(
        Opinion, verbose_name=_("意见"), on_delete=models.CASCADE, related_name="corrections"
    )
    old_category = models.CharField(_("原类别"), max_length=32)
    new_category = models.CharField(_("新类别"), max_length=32)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("校正人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    corrected_at = models.DateTimeField(_("校正时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("类别校正")
        verbose_name_plural = _("类别校正")
        ordering = ["-corrected_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.old_category} → {self.new_category}"


class DemandList(models.Model):
    """A published version (第 n 版) of an estate's demand list; never changed afterwards."""

    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="demand_lists",
    )
    version = models.PositiveIntegerField(_("版本"))
    households = models.PositiveIntegerField(_("总户数"))
    opinions = models.PositiveIntegerField(_("意见条数"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("需求清单")
        verbose_name_plural = _("需求清单")
        ordering = ["estate", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "version"], name="demand_list_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.estate_id} v{self.version}"


class DemandListItem(models.Model):
    """A demand as it stood when its list was published (a copy, so it never changes)."""

    demand_list = models.ForeignKey(
        DemandList, verbose_name=_("需求清单"), on_delete=models.CASCADE, related_name="items"
    )
    demand = models.ForeignKey(
        Demand, verbose_name=_("需求"), on_delete=models.PROTECT, related_name="list_items"
    )
    rank = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("需求"), max_length=200)
    category = models.CharField(_("类别"), max_length=32)
    klass = models.CharField(_("分类"), max_length=16, choices=DemandClass.choices)
    households = models.PositiveIntegerField(_("提出户数"))
    share = models.DecimalField(_("占总户数比例"), max_digits=7, decimal_places=4)
    opinions = models.PositiveIntegerField(_("意见条数"))
    first_heard = models.DateField(_("最早提出"), null=True)
    last_heard = models.DateField(_("最近提出"), null=True)
    priority = models.DecimalField(_("优先分"), max_digits=8, decimal_places=1)
    status = models.CharField(_("状态"), max_length=16, choices=DemandStatus.choices)
    declined_reason = models.CharField(_("不实施原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("清单条目")
        verbose_name_plural = _("清单条目")
        ordering = ["demand_list", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["demand_list", "rank"], name="demand_list_rank_unique"),
            models.UniqueConstraint(
                fields=["demand_list", "demand"], name="demand_list_demand_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.title}"
