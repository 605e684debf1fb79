"""Figures kept per estate for the roll-ups from estate to province (docs/insights.md).

One row per estate holds the counts and sums of every stage; region figures are sums of these
rows over the region's estates, so no page counts dwellings, opinions or ballots. Keyed
families of figures (demands by content class, projects by stage, money by source) are rows of
``EstateKeyed``. Stage, management mode, eligibility and households are the estate's own
fields in the register and are read from there.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


def _count(label: Any) -> models.BigIntegerField:
    return models.BigIntegerField(label, default=0)


class EstateFigures(models.Model):
    estate = models.OneToOneField(
        "registry.Estate",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="figures",
        verbose_name=_("小区"),
    )
    # register
    buildings = _count(_("楼栋"))
    dwellings = _count(_("房屋"))
    # needs
    opinions = _count(_("居民意见"))
    demands = _count(_("需求"))
    demands_addressed = _count(_("已列入方案或完成的需求"))
    # meetings
    meetings = _count(_("会议"))
    minutes_published = _count(_("公布纪要"))
    # votes (owner counts from the published results)
    votes_open = _count(_("投票中的表决"))
    votes_closed = _count(_("已结束的表决"))
    votes_published = _count(_("已公示的表决"))
    votes_passed = _count(_("通过的表决"))
    owners_participating = _count(_("参与表决的业主"))
    owners_total = _count(_("有表决权的业主"))
    # works
    planned_year = models.PositiveSmallIntegerField(_("纳入改造计划年度"), null=True)
    accepted_on = models.DateField(_("验收通过日期"), null=True)
    projects = _count(_("项目"))
    items = _count(_("改造内容"))
    items_from_demands = _count(_("来自居民需求的改造内容"))
    planned_fen = _count(_("计划资金（分）"))
    received_fen = _count(_("到位资金（分）"))
    spent_fen = _count(_("支付（分）"))
    survey_responses = _count(_("满意度问卷"))
    survey_satisfied = _count(_("满意"))
    survey_basic = _count(_("基本满意"))
    # management
    orders = _count(_("工单"))
    orders_open = _count(_("未办结工单"))
    orders_closed = _count(_("办结工单"))
    orders_on_time = _count(_("按时办结"))
    orders_escalated = _count(_("升级过的工单"))
    fund_balance_fen = _count(_("维修资金余额（分）"))

    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("小区汇总数据")
        verbose_name_plural = _("小区汇总数据")

    def __str__(self) -> str:
        return str(self.estate_id)


class EstateKeyed(models.Model):
    """One figure of a keyed family for one estate, e.g. ``projects.works`` or
    ``received.central``; absent means zero."""

    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.CASCADE, related_name="keyed_figures"
    )
    key = models.CharField(max_length=48)
    value = models.BigIntegerField()

    class Meta:
        verbose_name = _("小区分项数据")
        verbose_name_plural = _("小区分项数据")
        constraints = [
            models.UniqueConstraint(fields=["estate", "key"], name="estate_keyed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.estate_id}:{self.key}"


class Rebuild(models.Model):
    """When the figures were last rebuilt from scratch and what the check found."""

    at = models.DateTimeField(_("时间"))
    estates = models.PositiveIntegerField(_("小区"))
    differences = models.PositiveIntegerField(_("差异"))
    seconds = models.FloatField(_("耗时（秒）"))

    class Meta:
        verbose_name = _("汇总重建")
        verbose_name_plural = _("汇总重建")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}"
