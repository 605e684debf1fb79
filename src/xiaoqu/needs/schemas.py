"""Schemas of the needs API: ``XxxIn`` for input, ``XxxOut`` for output (docs/architecture.md).

No schema here carries a resident's name or phone: places are dwelling labels
("1栋2单元301"); the only names are those of staff who knocked on doors.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import field_validator

from xiaoqu.core.api_schemas import ErrorOut, Id, Text  # noqa: F401 - ErrorOut re-exported
from xiaoqu.needs.models import (
    OPINION_MAX_CHARS,
    CampaignStatus,
    Channel,
    DemandClass,
    DemandSource,
    DemandStatus,
    VisitOutcome,
    heard_on_problem,
)
from xiaoqu.registry.schemas import PageIn  # noqa: F401 - re-exported for the router

# Opinions one visit may carry: a door-knock note, not an import (imports go through files).
VISIT_OPINIONS_MAX = 50
# The raw field may be longer than an opinion so the service answers with its own message
# ("最长 2000 字，这条有 …"); beyond this the request is refused by validation.
TEXT_FIELD_MAX = OPINION_MAX_CHARS * 4


def _heard_on_checked(day: dt.date) -> dt.date:
    """The opinions import's rule for the day something was heard (``heard_on_problem``):
    0001-01-01 is refused here as it is in a spreadsheet. A day in the future is left to the
    service, which allows the day after today for phones across midnight."""
    problem = heard_on_problem(day)
    if problem:
        raise ValueError(problem)
    return day


class _Page(Schema):
    count: int = Field(description="符合条件的总数")
    limit: int
    offset: int


# --- campaigns ----------------------------------------------------------------------------


class EstateRefOut(Schema):
    id: int
    name: str


class CampaignOut(Schema):
    id: int
    name: str = Field(description="活动名称")
    status: CampaignStatus = Field(description="状态：筹备中、进行中、已结束")
    starts_on: dt.date
    ends_on: dt.date
    estates: list[EstateRefOut] = Field(description="活动涉及的小区（只列出调用者范围内的）")


class CampaignPageOut(_Page):
    items: list[CampaignOut]


class ProgressOut(Schema):
    label: str = Field(description="活动、网格或走访人")
    dwellings: int = Field(description="应走访户数")
    visited: int = Field(description="已走访户数")
    visits: int = Field(description="走访人次")
    met: int = Field(description="见到住户的次数")
    opinions: int = Field(description="收集意见条数")
    share: float = Field(description="已走访户数占比（0–1）")


class CampaignDetailOut(CampaignOut):
    total: ProgressOut = Field(description="调用者范围内的总进度")
    by_grid: list[ProgressOut] = Field(description="按网格")
    by_member: list[ProgressOut] = Field(description="按走访人")


class CampaignFilterIn(Schema):
    estate_id: Id | None = Field(None, description="只列出涉及该小区的活动")
    status: CampaignStatus | None = Field(None, description="状态")


# --- opinions -----------------------------------------------------------------------------


class OpinionOut(Schema):
    id: int
    estate_id: int
    estate_name: str
    dwelling_id: int | None
    dwelling_label: str = Field(description="房屋（楼栋、单元与房号），不含住户姓名")
    channel: Channel = Field(
        description="渠道：入户走访、坝坝会/议事会、居民自主提交、热线、表格导入"
    )
    text: str = Field(description="意见原文")
    heard_on: dt.date = Field(description="收集日期")
    category: str = Field(description="类别代码（needs-taxonomy）")
    category_name: str = Field(description="类别名称")
    klass: DemandClass = Field(description="分类：基础类、完善类、提升类、长效管理")
    score: float = Field(description="自动分类的置信度（0 表示无法自动分类）")
    category_by_staff: bool = Field(description="类别是否经工作人员校正")
    urgent: bool
    visit_id: int | None
    demand_id: int | None = Field(description="归入的需求")
    demand_title: str
    demand_status: DemandStatus | None = Field(description="所归需求的当前状态")
    mine: bool = Field(description="是否为调用者本人提交或在其家中收集")


class OpinionPageOut(_Page):
    items: list[OpinionOut]


class OpinionFilterIn(Schema):
    estate_id: Id | None = Field(None, description="小区")
    category: Text | None = Field(None, max_length=32, description="类别代码")
    channel: Channel | None = Field(None, description="渠道")
    demand_id: Id | None = Field(None, description="需求")


class OpinionItemIn(Schema):
    text: Text = Field(
        max_length=TEXT_FIELD_MAX, description=f"意见（最长 {OPINION_MAX_CHARS} 字）"
    )
    urgent: bool = Field(False, description="住户说很急（漏水、漏电等）")


class OpinionIn(Schema):
    """One opinion: staff record a hotline call; a resident submits their own."""

    estate_id: Id = Field(description="小区")
    text: Text = Field(
        max_length=TEXT_FIELD_MAX, description=f"意见（最长 {OPINION_MAX_CHARS} 字）"
    )
    urgent: bool = False
    dwelling_id: Id | None = Field(None, description="房屋（居民只能选自己的房屋）")
    heard_on: dt.date | None = Field(
        None, description="收集日期（默认今天；居民提交为今天；不早于 1990 年）"
    )
    client_key: uuid.UUID | None = Field(
        None, description="客户端生成的提交编号；重发同一编号不会重复录入"
    )
    channel: Literal["hotline", "resident"] | None = Field(
        None,
        description="hotline：工作人员录入热线意见；resident：居民本人提交。"
        "不填时，有录入权限的工作人员按热线处理，其他人按居民本人提交处理",
    )

    @field_validator("heard_on")
    @classmethod
    def _heard_on(cls, value: dt.date | None) -> dt.date | None:
        return None if value is None else _heard_on_checked(value)


class CategoryIn(Schema):
    category: Text = Field(max_length=32, description="新的类别代码")


# --- visits -------------------------------------------------------------------------------


class VisitOut(Schema):
    id: int
    client_key: uuid.UUID
    campaign_id: int | None
    estate_id: int
    estate_name: str
    dwelling_id: int
    dwelling_label: str = Field(description="房屋（楼栋、单元与房号）")
    visitor_name: str = Field(description="走访人（工作人员或党员）")
    visited_at: dt.datetime
    outcome: VisitOutcome = Field(description="结果：见到住户、无人在家、拒绝交谈")
    people_met: int
    note: str
    opinions_count: int


class VisitDetailOut(VisitOut):
    opinions: list[OpinionOut]


class VisitPageOut(_Page):
    items: list[VisitOut]


class VisitFilterIn(Schema):
    estate_id: Id | None = Field(None, description="小区")
    campaign_id: Id | None = Field(None, description="走访活动")


class VisitIn(Schema):
    """One door-knock as the phone sends it (again, with the same key, if the answer was lost)."""

    client_key: uuid.UUID = Field(description="手机上生成的提交编号（UUID）；重发时保持不变")
    dwelling_id: Id = Field(description="走访的房屋")
    visited_at: dt.datetime = Field(description="走访时间（带时区；不早于 1990 年）")
    outcome: VisitOutcome = Field(description="结果")
    people_met: int = Field(0, ge=0, le=50, description="见到人数")
    note: Text = Field("", max_length=500, description="备注")
    opinions: list[OpinionItemIn] = Field(
        default_factory=list,
        max_length=VISIT_OPINIONS_MAX,
        description="听到的意见（只在见到住户时）",
    )
    campaign_id: Id | None = Field(None, description="所属走访活动")

    @field_validator("visited_at")
    @classmethod
    def _visited_at(cls, value: dt.datetime) -> dt.datetime:
        # The opinions heard at the door are dated the visit's day: the same rule.
        _heard_on_checked(value.date())
        try:
            value.astimezone(dt.UTC)  # 9999-12-31T23:00-05:00 lies beyond the calendar
        except OverflowError:
            raise ValueError(_("走访时间超出范围。")) from None
        return value


# --- demands and lists --------------------------------------------------------------------


class DemandRowOut(Schema):
    demand_id: int
    title: str
    category: str
    category_name: str
    klass: DemandClass
    households: int = Field(description="提出的户数（不同房屋）")
    share: Decimal = Field(description="占小区总户数的比例")
    opinions: int = Field(description="意见条数")
    first_heard: dt.date | None
    last_heard: dt.date | None
    urgent: bool
    urgent_households: int = Field(description="说很急的户数")
    priority: Decimal = Field(description="优先分（算法见 docs/needs.md 需求清单一节）")
    status: DemandStatus
    status_label: str
    declined_reason: str
    source: DemandSource


class EstateDemandsOut(Schema):
    estate_id: int
    estate_name: str
    households: int = Field(description="小区总户数")
    items: list[DemandRowOut] = Field(description="按优先分从高到低")


class DemandOpinionOut(Schema):
    id: int
    text: str
    channel: Channel
    heard_on: dt.date
    dwelling_label: str
    urgent: bool


class DemandDetailOut(DemandRowOut):
    estate_id: int
    estate_name: str
    merged_into_id: int | None = Field(description="已并入的需求")
    opinion_list: list[DemandOpinionOut] = Field(description="归入这条需求的意见")


class DemandStatusIn(Schema):
    status: DemandStatus = Field(description="新状态")
    reason: Text = Field("", max_length=2000, description="暂不实施的原因（必填，居民会看到）")


class DemandListOut(Schema):
    id: int
    estate_id: int
    version: int = Field(description="第几版")
    households: int = Field(description="发布时的总户数")
    opinions: int = Field(description="发布时的意见条数")
    note: str
    published_at: dt.datetime
    items_count: int


class DemandListPageOut(Schema):
    estate_id: int
    estate_name: str
    items: list[DemandListOut] = Field(description="已发布的版本，新版在前")


class DemandListItemOut(Schema):
    rank: int = Field(description="序号")
    demand_id: int | None = Field(description="对应需求（仅工作人员可见）")
    title: str
    category: str
    category_name: str
    klass: DemandClass
    households: int
    share: Decimal
    opinions: int
    first_heard: dt.date | None
    last_heard: dt.date | None
    priority: Decimal
    status: DemandStatus
    status_label: str
    declined_reason: str


class DemandListDetailOut(DemandListOut):
    estate_name: str
    items: list[DemandListItemOut]
