"""Stage 5, management after the works (docs/stewardship.md): who manages each estate, the
five parties that govern it together, work orders with their deadlines and escalation, the
maintenance fund, and the years of China's working calendar an administrator enters.

Money is integer fen (``*_fen``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.policy import ScopePath


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


# --- who manages the estate (管理主体) -------------------------------------------------------


class BodyKind(models.TextChoices):
    PROPERTY_COMPANY = "property_company", _("物业服务企业")
    RED_PROPERTY = "red_property", _("红色物业")
    SELF_COMMITTEE = "self_committee", _("居民自管会")
    OWNERS_COMMITTEE = "owners_committee", _("业主委员会")
    COMMUNITY = "community", _("社区托管")
    EMPLOYER = "employer", _("原产权单位")


class ManagementBody(models.Model):
    """Who manages an estate, from ``started_on`` to ``ended_on`` (the current body has none).

    The register's management mode follows the current body (services).
    """

    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="bodies"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=BodyKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    # A property company: its contract and fee standard (yuan per m² per month).
    contract_start = models.DateField(_("合同开始"), null=True, blank=True)
    contract_end = models.DateField(_("合同截止"), null=True, blank=True)
    fee_per_m2 = models.DecimalField(
        _("物业费（元/m²·月）"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    # 红色物业: the company's own Party branch, in the organisation tree.
    party_organization = models.ForeignKey(
        "organization.PartyOrganization",
        verbose_name=_("党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # 自管会 / 业委会: elected at a meeting (业主大会 or 居民议事会), with rules and a term.
    elected_at = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("选举会议"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    term_end = models.DateField(_("任期截止"), null=True, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    started_on = models.DateField(_("开始管理"))
    ended_on = models.DateField(_("结束管理"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("管理主体")
        verbose_name_plural = _("管理主体")
        ordering = ["estate", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate"], condition=Q(ended_on=None), name="body_one_current"
            ),
            models.CheckConstraint(
                condition=Q(ended_on=None) | Q(ended_on__gte=F("started_on")),
                name="body_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BodyMember(models.Model):
    """A member of a 自管会 or 业委会 (主任, 副主任, 委员)."""

    body = models.ForeignKey(ManagementBody, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("职务"), max_length=32)

    scope_path = ScopePath(estate="body__estate")

    class Meta:
        verbose_name = _("管理主体成员")
        verbose_name_plural = _("管理主体成员")
        constraints = [
            models.UniqueConstraint(fields=["body", "person"], name="body_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.person}"


class DocumentKind(models.TextChoices):
    COVENANT = "covenant", _("管理规约")
    PROCEDURE = "procedure", _("议事规则")
    CHARTER = "charter", _("自管会章程")


class ManagementDocument(models.Model):
    """The management covenant, rules of procedure or a committee's charter, with the owners'
    vote that approved it."""

    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="management_documents"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=DocumentKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("正文"))
    vote = models.ForeignKey(
        "decisions.Vote",
        verbose_name=_("表决"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_on = models.DateField(_("生效日期"))

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("管理制度")
        verbose_name_plural = _("管理制度")
        ordering = ["estate", "-effective_on"]

    def __str__(self) -> str:
        return self.title


# --- the five parties (五方共治) --------------------------------------------------------------


class Party(models.TextChoices):
    HOUSING = "housing", _("住建监管")
    STREET = "street", _("街道统筹")
    COMMUNITY = "community", _("社区落实")
    OWNERS = "owners", _("业委评议")
    MANAGER = "manager", _("物业执行")


# Escalation climbs from the managing body to the housing bureau, in this order.
ESCALATION: tuple[str, ...] = (Party.MANAGER, Party.COMMUNITY, Party.STREET, Party.HOUSING)


class PartySeat(models.Model):
    """A user who acts for one of an estate's five parties."""

    estate = models.ForeignKey("registry.Estate", on_delete=models.CASCADE, related_name="seats")
    party = models.CharField(_("职责"), max_length=16, choices=Party.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="party_seats"
    )

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("五方成员")
        verbose_name_plural = _("五方成员")
        constraints = [
            models.UniqueConstraint(fields=["estate", "party", "user"], name="seat_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()} {self.user}"


# --- work orders (工单) -----------------------------------------------------------------------


class WorkOrderCategory(models.Model):
    """A kind of work order, its deadline and whether it runs around the clock."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    hours = models.DecimalField(_("时限（小时）"), max_digits=6, decimal_places=2)
    clock = models.BooleanField(_("全天候计时（紧急）"), default=False)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    # Open311: extra questions the category asks (e.g. which entrance's elevator).
    attributes = models.JSONField(_("附加信息"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("工单类别")
        verbose_name_plural = _("工单类别")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0), name="category_hours")]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Which party a category's orders go to first, for an estate or a region (the most
    specific rule wins; without one, the managing body)."""

    category = models.ForeignKey(
        WorkOrderCategory, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    estate = models.ForeignKey(
        "registry.Estate", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey(
        "registry.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    party = models.CharField(_("责任方"), max_length=16, choices=Party.choices)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")

    def __str__(self) -> str:
        return f"{self.category or '*'} → {self.get_party_display()}"


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    IN_PROGRESS = "in_progress", _("处理中")
    RESOLVED = "resolved", _("已处理")
    CONFIRMED = "confirmed", _("已确认")
    REOPENED = "reopened", _("已重开")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


OPEN_STATUSES = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.DISPATCHED,
        OrderStatus.IN_PROGRESS,
        OrderStatus.REOPENED,
    }
)


class OrderChannel(models.TextChoices):
    RESIDENT = "resident", _("居民手机")
    HOTLINE = "hotline", _("热线")
    VISIT = "visit", _("走访")
    OPEN311 = "open311", _("外部系统")


# Foreign keys of a work order that are usually empty (indexed only where set).
SPARSE_ORDER_KEYS = ("building", "dwelling", "reporter", "open311_key", "assignee", "merged_into")


class WorkOrder(models.Model):
    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,  # order_estate_status serves lookups by estate
    )
    category = models.ForeignKey(
        WorkOrderCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="orders"
    )
    text = models.TextField(_("内容"))
    building = models.ForeignKey(
        "registry.Building",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    dwelling = models.ForeignKey(
        "registry.Dwelling",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    place = models.CharField(_("位置"), max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=OrderChannel.choices)
    client_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reporter_name = models.CharField(_("反映人"), max_length=64, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_ok = models.BooleanField(_("同意联系"), default=False)
    open311_key = models.ForeignKey(
        "Open311Key",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    attributes = models.JSONField(_("附加信息"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED
    )
    party = models.CharField(_("当前责任方"), max_length=16, choices=Party.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    escalations = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    due_at = models.DateTimeField(_("时限"))
    reject_reason = models.CharField(_("不予受理原因"), max_length=500, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,
    )
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("提交时间"))
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    scope_path = ScopePath(estate="estate", building="building", dwelling="dwelling")

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="order_open_due"),
            models.Index(fields=["estate", "status"], name="order_estate_status"),
            # Open311's public list reads a window of report times across all estates.
            models.Index(fields=["created_at"], name="order_created"),
            # Most orders have no building, reporter, assignee…: partial indexes keep the
            # sweep's million-row updates from writing an index entry for every NULL.
            *(
                models.Index(
                    fields=[field],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"order_{field}",
                )
                for field in SPARSE_ORDER_KEYS
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="order_rating_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="order_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="order_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"


class WorkOrderEvent(models.Model):
    """One thing that happened to a work order: a transition, an escalation, a note."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=16)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    party = models.CharField(max_length=16, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # the sweep's events have none: a partial index below
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("工单记录")
        indexes = [
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="event_actor"),
        ]
        verbose_name_plural = _("工单记录")
        ordering = ["order", "at", "pk"]
        constraints = [
            # The sweep escalates an order once per level: running it twice adds nothing.
            models.UniqueConstraint(
                fields=["order", "party"],
                condition=Q(kind="escalated"),
                name="order_escalated_once_per_party",
            ),
        ]

    def __str__(self) -> str:
        return self.kind


class WorkOrderPhoto(models.Model):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="stewardship/orders/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("工单照片")
        verbose_name_plural = _("工单照片")

    def __str__(self) -> str:
        return str(self.pk)


class Notice(models.Model):
    """An in-app notification of a work order to a user (who, what, when, read).

    A digest (no ``order``) tells one user of many orders at once — when one sweep escalates
    more than a few dozen to them — with how many and the party they now stand with.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_order_notices"
    )
    order = models.ForeignKey(
        WorkOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    orders = models.PositiveIntegerField(_("工单数"), default=1)
    party = models.CharField(_("责任方"), max_length=16, choices=Party.choices, blank=True)
    text = models.CharField(_("内容"), max_length=300)
    at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读"), null=True, blank=True)

    class Meta:
        verbose_name = _("工单通知")
        verbose_name_plural = _("工单通知")
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=False, orders=1) | Q(order__isnull=True, orders__gt=1),
                name="notice_one_order_or_digest",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class Open311Key(models.Model):
    """An outside system's key (a city hotline, an app); only its digest is stored."""

    name = models.CharField(_("名称"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    region = models.ForeignKey(
        "registry.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")

    def __str__(self) -> str:
        return self.name


# --- the maintenance fund (住宅专项维修资金) ----------------------------------------------------


class FundEntryKind(models.TextChoices):
    DEPOSIT = "deposit", _("交存")
    INTEREST = "interest", _("利息")
    WITHDRAWAL = "withdrawal", _("使用")


class FundWithdrawal(models.Model):
    """A use of the fund: by the owners' vote (Art. 278 item 5), or the emergency procedure
    (应急使用) approved by the street or the housing bureau and published afterwards."""

    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="fund_withdrawals"
    )
    title = models.CharField(_("用途"), max_length=200)
    amount_fen = models.PositiveBigIntegerField(_("金额（分）"))
    vote = models.ForeignKey(
        "decisions.Vote", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    emergency = models.BooleanField(_("应急使用"), default=False)
    emergency_reason = models.CharField(_("应急情形"), max_length=200, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("维修资金使用")
        verbose_name_plural = _("维修资金使用")
        constraints = [
            models.CheckConstraint(
                condition=Q(emergency=True) | Q(vote__isnull=False), name="withdrawal_has_basis"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class FundEntry(models.Model):
    """One line of a dwelling's fund account: a deposit, interest, or its share of a use."""

    dwelling = models.ForeignKey(
        "registry.Dwelling", on_delete=models.PROTECT, related_name="fund_entries"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=FundEntryKind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    on = models.DateField(_("日期"))
    withdrawal = models.ForeignKey(
        FundWithdrawal, null=True, blank=True, on_delete=models.PROTECT, related_name="shares"
    )
    note = models.CharField(_("摘要"), max_length=200, blank=True)

    scope_path = ScopePath(estate="dwelling__estate", dwelling="dwelling")

    class Meta:
        verbose_name = _("维修资金明细")
        verbose_name_plural = _("维修资金明细")
        ordering = ["dwelling", "on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="withdrawal", amount_fen__lt=0, withdrawal__isnull=False)
                | Q(kind__in=["deposit", "interest"], amount_fen__gt=0, withdrawal__isnull=True),
                name="fund_entry_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dwelling_id} {self.kind} {self.amount_fen}"


# --- the owners' evaluation of the managing body (业委评议) -------------------------------------


class EvaluationCriterion(models.Model):
    """One line of the monthly evaluation form, worth up to ``points``."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    points = models.PositiveSmallIntegerField(_("满分"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("评议项目")
        verbose_name_plural = _("评议项目")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="criterion_points_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    """The owners' committee's or 自管会's score of the managing body for one month."""

    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="evaluations"
    )
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    body = models.ForeignKey(ManagementBody, on_delete=models.PROTECT, related_name="evaluations")
    # {criterion code: points given}, with the criterion's name and full points at the time.
    scores = models.JSONField(_("评分"), default=dict)
    total = models.PositiveSmallIntegerField(_("总分"))
    full = models.PositiveSmallIntegerField(_("满分"))
    comment = models.TextField(_("评议意见"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("评议时间"))

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("业委评议")
        verbose_name_plural = _("业委评议")
        ordering = ["estate", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "month"], name="evaluation_once_a_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="evaluation_month_first_day"),
            models.CheckConstraint(condition=Q(total__lte=F("full")), name="evaluation_total"),
        ]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.month:%Y-%m}"


class MonthlyReport(models.Model):
    """An estate's month of management: the evaluation with the work-order figures."""

    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="monthly_reports"
    )
    month = models.DateField(_("月份"))
    body = models.ForeignKey(
        ManagementBody, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evaluation = models.OneToOneField(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="report"
    )
    orders_received = models.PositiveIntegerField(_("受理工单"), default=0)
    orders_closed = models.PositiveIntegerField(_("办结工单"), default=0)
    orders_on_time = models.PositiveIntegerField(_("按时办结"), default=0)
    orders_overdue = models.PositiveIntegerField(_("超时"), default=0)
    orders_escalated = models.PositiveIntegerField(_("升级"), default=0)
    orders_reopened = models.PositiveIntegerField(_("重新办理"), default=0)
    ratings = models.PositiveIntegerField(_("评价数"), default=0)
    rating_average = models.DecimalField(
        _("平均评价"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    score = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=2, null=True)
    computed_at = models.DateTimeField(_("统计时间"))
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("月度管理报告")
        verbose_name_plural = _("月度管理报告")
        ordering = ["estate", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "month"], name="report_once_a_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="report_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.month:%Y-%m}"


# --- the 24-hour duty of a self-managed estate (值班) -------------------------------------------


class DutyShift(models.Model):
    """Someone on duty at the estate from ``starts_at`` to ``ends_at``."""

    estate = models.ForeignKey("registry.Estate", on_delete=models.PROTECT, related_name="shifts")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    post = models.CharField(_("岗位"), max_length=32, help_text=_("如：门岗、巡逻、值班室"))
    # The number residents call during the shift (a duty phone, or the person's own).
    phone = models.CharField(_("值班电话"), max_length=20, blank=True)
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("值班")
        verbose_name_plural = _("值班")
        ordering = ["estate", "starts_at"]
        indexes = [models.Index(fields=["estate", "ends_at"], name="shift_estate_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.starts_at:%Y-%m-%d %H:%M}"


class DutyHandover(models.Model):
    """The note one shift leaves for the next (交接班记录)."""

    shift = models.OneToOneField(DutyShift, on_delete=models.CASCADE, related_name="handover")
    note = models.TextField(_("交接内容"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("交接时间"))

    scope_path = ScopePath(estate="shift__estate")

    class Meta:
        verbose_name = _("交接班")
        verbose_name_plural = _("交接班")

    def __str__(self) -> str:
        return self.note[:40]


# --- access control (门禁) ----------------------------------------------------------------------


class AccessPointKind(models.TextChoices):
    GATE = "gate", _("小区大门")
    ENTRANCE = "entrance", _("单元门")
    GARAGE = "garage", _("车库")


class AccessPoint(models.Model):
    """A gate or entrance with a reader; open around the clock unless it has hours."""

    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="access_points"
    )
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=AccessPointKind.choices)
    entrance = models.ForeignKey(
        "registry.Entrance", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opens_at = models.TimeField(_("开放时间"), null=True, blank=True)
    closes_at = models.TimeField(_("关闭时间"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("门禁点")
        verbose_name_plural = _("门禁点")
        ordering = ["estate", "name"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="access_point_name"),
            models.CheckConstraint(
                condition=Q(opens_at=None, closes_at=None)
                | Q(opens_at__isnull=False, closes_at__isnull=False),
                name="access_point_hours_pair",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AccessDevice(models.Model):
    """A reader at an access point; it posts events with its key (only the digest is kept)."""

    point = models.ForeignKey(AccessPoint, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField(_("名称"), max_length=64)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    scope_path = ScopePath(estate="point__estate")

    class Meta:
        verbose_name = _("门禁设备")
        verbose_name_plural = _("门禁设备")

    def __str__(self) -> str:
        return self.name


class CredentialKind(models.TextChoices):
    CARD = "card", _("门禁卡")
    CODE = "code", _("密码")
    QR = "qr", _("二维码")


class AccessCredential(models.Model):
    """A resident's card, code or QR for an estate's gates; valid while they live there.

    Only a keyed digest of the card number or code is kept, with the last characters to tell
    cards apart. Faces are never credentials here (docs/stewardship.md).
    """

    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="access_credentials"
    )
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="access_credentials"
    )
    dwelling = models.ForeignKey("registry.Dwelling", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=CredentialKind.choices)
    digest = models.CharField(max_length=64, editable=False)
    tail = models.CharField(_("尾号"), max_length=4, blank=True)
    issued_at = models.DateTimeField(_("发放时间"))
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("注销原因"), max_length=200, blank=True)

    scope_path = ScopePath(estate="estate", dwelling="dwelling")

    class Meta:
        verbose_name = _("门禁凭证")
        verbose_name_plural = _("门禁凭证")
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "kind", "digest"],
                condition=Q(revoked_at=None),
                name="credential_live_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ****{self.tail}"


class AccessMethod(models.TextChoices):
    CARD = "card", _("刷卡")
    CODE = "code", _("密码")
    QR = "qr", _("二维码")
    FACE = "face", _("人脸比对")


class AccessEvent(models.Model):
    """One pass (or refusal) at an access point, as its device reported it.

    ``(device, event_key)`` is unique, so a replayed event is stored once. A face event
    carries only the match (a person, or none for "unknown"); no image or template.
    """

    point = models.ForeignKey(AccessPoint, on_delete=models.CASCADE, related_name="events")
    device = models.ForeignKey(AccessDevice, on_delete=models.CASCADE, related_name="events")
    event_key = models.CharField(max_length=64)
    method = models.CharField(_("方式"), max_length=8, choices=AccessMethod.choices)
    credential = models.ForeignKey(
        AccessCredential, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted = models.BooleanField(_("放行"))
    at = models.DateTimeField(_("时间"))
    received_at = models.DateTimeField(_("接收时间"))

    scope_path = ScopePath(estate="point__estate")

    class Meta:
        verbose_name = _("门禁记录")
        verbose_name_plural = _("门禁记录")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["at"], name="access_event_at"),
            models.Index(fields=["credential", "at"], name="access_event_credential"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["device", "event_key"], name="access_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.point_id} {self.at:%Y-%m-%d %H:%M:%S}"


class AnomalyKind(models.TextChoices):
    TWO_GATES = "two_gates", _("同一凭证短时间内在两处使用")
    OUTSIDE_HOURS = "outside_hours", _("开放时间外通行")
    REVOKED = "revoked", _("已注销的凭证")
    UNKNOWN = "unknown", _("未登记的凭证")


class AccessAnomaly(models.Model):
    """Something about an access event that staff should look at."""

    event = models.ForeignKey(AccessEvent, on_delete=models.CASCADE, related_name="anomalies")
    kind = models.CharField(_("类型"), max_length=16, choices=AnomalyKind.choices)
    other_event = models.ForeignKey(
        AccessEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = ScopePath(estate="event__point__estate")

    class Meta:
        verbose_name = _("门禁异常")
        verbose_name_plural = _("门禁异常")
        constraints = [
            models.UniqueConstraint(fields=["event", "kind"], name="anomaly_once"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
