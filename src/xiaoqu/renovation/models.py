"""Stage 4, the works: annual batches, projects and everything that happens on site.

See docs/renovation.md. A project is created from the published plans of its estates: every
plan item becomes a :class:`ProjectItem` with its quantity, cost and funding copied (the plan
version stays frozen). Stages move only through ``renovation.services`` (each move an
:class:`ProjectEvent` row); the register's stage of each estate follows from 施工 on.

Money is integer fen everywhere (``*_fen``); pages show yuan with two decimals.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.models import TimeStamped
from xiaoqu.core.policy import ScopePath

# --- annual batches (年度改造计划) -------------------------------------------------------------


class Batch(TimeStamped):
    """A year's batch of estates at a region level, e.g. 2025年度中央补助支持计划."""

    region = models.ForeignKey(
        "registry.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="batches"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=200)
    budget_fen = models.PositiveBigIntegerField(_("补助资金（分）"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = ScopePath(region="region")

    class Meta:
        verbose_name = _("年度改造计划")
        verbose_name_plural = _("年度改造计划")
        ordering = ["-year", "region"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="batch_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class BatchEstate(models.Model):
    """An estate of a batch, with its buildings and households counted when it was included."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="entries")
    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="batch_entries"
    )
    buildings = models.PositiveIntegerField(_("楼栋数"))
    households = models.PositiveIntegerField(_("户数"))
    cost_fen = models.PositiveBigIntegerField(_("估算投资（分）"), default=0)

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("计划内小区")
        verbose_name_plural = _("计划内小区")
        ordering = ["batch", "estate__code"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "estate"], name="batch_estate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.estate_id}"


# --- parties (参建单位) -------------------------------------------------------------------------


class CompanyKind(models.TextChoices):
    BUILDER = "builder", _("施工单位")
    SUPERVISOR = "supervisor", _("监理单位")
    DESIGNER = "designer", _("设计单位")


class Company(TimeStamped):
    """A builder, supervisor or designer, registered in a region (whose staff keep it)."""

    region = models.ForeignKey(
        "registry.Region", verbose_name=_("登记区划"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=CompanyKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)

    scope_path = ScopePath(region="region")

    class Meta:
        verbose_name = _("参建单位")
        verbose_name_plural = _("参建单位")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="company_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


# --- projects -------------------------------------------------------------------------------


class ProjectStage(models.TextChoices):
    RESERVE = "reserve", _("储备")
    PLANNED = "planned", _("计划")
    APPROVED = "approved", _("立项")
    TENDERING = "tendering", _("招标")
    WORKS = "works", _("施工")
    ACCEPTANCE = "acceptance", _("验收")
    COMPLETED = "completed", _("完成")


STAGE_ORDER: tuple[str, ...] = tuple(ProjectStage.values)


class Project(TimeStamped):
    """A renovation project over one or several estates, created from their published plans."""

    code = models.CharField(_("项目编号"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    batch = models.ForeignKey(
        Batch,
        verbose_name=_("年度计划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    estates = models.ManyToManyField(
        "registry.Estate", through="ProjectEstate", related_name="projects"
    )
    stage = models.CharField(
        _("阶段"), max_length=16, choices=ProjectStage.choices, default=ProjectStage.RESERVE
    )
    builder = models.ForeignKey(
        Company,
        verbose_name=_("施工单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="built_projects",
    )
    supervisor = models.ForeignKey(
        Company,
        verbose_name=_("监理单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_projects",
    )
    designer = models.ForeignKey(
        Company,
        verbose_name=_("设计单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="designed_projects",
    )
    site_manager_name = models.CharField(_("项目经理"), max_length=64, blank=True)
    site_manager_phone = models.CharField(_("项目经理电话"), max_length=20, blank=True)
    # Party leadership: the project Party branch or a temporary Party group (临时党小组),
    # the organisation capability's responsibility zones and teams assigned to the project.
    party_organization = models.ForeignKey(
        "organization.PartyOrganization",
        verbose_name=_("项目党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    zones = models.ManyToManyField(
        "organization.ResponsibilityZone",
        verbose_name=_("党员责任区"),
        blank=True,
        related_name="+",
    )
    teams = models.ManyToManyField(
        "organization.Team", verbose_name=_("党员突击队"), blank=True, related_name="+"
    )
    # 居民监督员: a resident who signs the hidden-works records and the acceptance.
    resident_supervisor = models.ForeignKey(
        "registry.Person",
        verbose_name=_("居民监督员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    planned_start = models.DateField(_("计划开工"), null=True, blank=True)
    planned_finish = models.DateField(_("计划完工"), null=True, blank=True)
    started_on = models.DateField(_("实际开工"), null=True, blank=True)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_path = ScopePath(estate="estates", many=True)
    project_path = ""

    class Meta:
        verbose_name = _("改造项目")
        verbose_name_plural = _("改造项目")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class ProjectEstate(models.Model):
    """An estate of a project and the published plan version its items were copied from."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="project_estates")
    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="project_entries"
    )
    plan = models.ForeignKey("decisions.Plan", on_delete=models.PROTECT, related_name="+")

    scope_path = ScopePath(estate="estate")
    project_path = "project"

    class Meta:
        verbose_name = _("项目小区")
        verbose_name_plural = _("项目小区")
        constraints = [
            models.UniqueConstraint(fields=["project", "estate"], name="project_estate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.estate_id}"


class ProjectMember(models.Model):
    """A user of a party working on the project: the contractor's and the supervisor's staff.

    Contractor and supervisor roles reach a project only through this list (see rules.py).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="renovation_projects"
    )
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")

    scope_path = ScopePath(estate="project__estates", many=True)
    project_path = "project"

    class Meta:
        verbose_name = _("项目参建人员")
        verbose_name_plural = _("项目参建人员")
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.user_id}"


class VoteNeed(models.TextChoices):
    NONE = "", _("无需表决")
    ELEVATOR = "elevator", _("加装电梯（按单元表决）")
    FUND = "fund", _("使用维修资金")


class ProjectItem(models.Model):
    """One item of works, copied from a published plan item, with its progress."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items")
    estate = models.ForeignKey("registry.Estate", on_delete=models.PROTECT, related_name="+")
    plan_item = models.ForeignKey(
        "decisions.PlanItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    demand = models.ForeignKey(
        "needs.Demand", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("列入理由"), max_length=500, blank=True)
    title = models.CharField(_("改造内容"), max_length=200)
    klass = models.CharField(_("分类"), max_length=16)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=16)
    budget_fen = models.PositiveBigIntegerField(_("预算（分）"))
    # Items that need an owners' vote before works start, and the vote that decides them.
    vote_need = models.CharField(
        _("表决要求"), max_length=16, choices=VoteNeed.choices, blank=True, default=""
    )
    entrance = models.ForeignKey(
        "registry.Entrance",
        verbose_name=_("单元"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    vote = models.ForeignKey(
        "decisions.Vote",
        verbose_name=_("业主表决"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    planned_start = models.DateField(_("计划开始"), null=True, blank=True)
    planned_finish = models.DateField(_("计划完成"), null=True, blank=True)
    actual_start = models.DateField(_("实际开始"), null=True, blank=True)
    actual_finish = models.DateField(_("实际完成"), null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("完成比例（%）"), default=0)

    scope_path = ScopePath(estate="estate")
    project_path = "project"

    class Meta:
        verbose_name = _("项目条目")
        verbose_name_plural = _("项目条目")
        ordering = ["project", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="item_percent_max"),
            models.CheckConstraint(
                condition=Q(planned_finish__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_finish__gte=F("planned_start")),
                name="item_planned_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# What each kind of project event is called on the project page.
EVENT_LABELS: dict[str, Any] = {
    "created": _("建立项目"),
    "stage": _("阶段推进"),
    "parties": _("参建单位"),
    "member": _("参建人员"),
    "vote_linked": _("关联业主表决"),
    "party": _("党建引领"),
    "schedule": _("计划工期"),
    "progress": _("进度填报"),
    "diary": _("施工日志"),
    "photo": _("现场照片"),
    "resident_supervisor": _("居民监督员"),
    "hidden_work": _("隐蔽工程记录"),
    "hidden_sign": _("隐蔽工程签字"),
    "hidden_cover": _("隐蔽工程覆盖"),
    "money_receipt": _("资金到位"),
    "money_payment": _("资金支付"),
    "contribution_split": _("居民出资分摊"),
    "acceptance_open": _("联合验收"),
    "acceptance_check": _("验收意见"),
    "acceptance_reinspect": _("整改复验"),
    "acceptance_sign": _("居民监督员签字"),
    "acceptance_conclude": _("验收结论"),
    "survey_open": _("满意度调查开始"),
    "survey_close": _("满意度调查结束"),
    "survey_publish": _("满意度结果公布"),
}


class ProjectEvent(models.Model):
    """One thing that happened to a project: a stage move, a vote linked, an acceptance."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(
        ProjectItem, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("事件"), max_length=32)
    from_stage = models.CharField(max_length=16, blank=True)
    to_stage = models.CharField(max_length=16, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    scope_path = ScopePath(estate="project__estates", many=True)
    project_path = "project"

    class Meta:
        verbose_name = _("项目事件")
        verbose_name_plural = _("项目事件")
        ordering = ["project", "at", "pk"]

    def __str__(self) -> str:
        return self.kind

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))

    @property
    def from_label(self) -> str:
        return str(ProjectStage(self.from_stage).label) if self.from_stage else ""

    @property
    def to_label(self) -> str:
        return str(ProjectStage(self.to_stage).label) if self.to_stage else ""


# --- Party members on duty (党员值守) --------------------------------------------------------


class DutyType(models.TextChoices):
    SITE = "site", _("现场值守")
    TRAFFIC = "traffic", _("赶场天交通疏导")
    RECEPTION = "reception", _("居民接待")


class DutyShift(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="duties")
    member = models.ForeignKey(
        "organization.PartyMember",
        verbose_name=_("党员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    duty = models.CharField(_("值守类型"), max_length=16, choices=DutyType.choices)
    date = models.DateField(_("日期"))
    starts = models.TimeField(_("开始"))
    ends = models.TimeField(_("结束"))
    place = models.CharField(_("地点"), max_length=200, blank=True)

    scope_path = ScopePath(estate="project__estates", many=True)
    project_path = "project"

    class Meta:
        verbose_name = _("值守排班")
        verbose_name_plural = _("值守排班")
        ordering = ["project", "date", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="duty_ends_after"),
            models.UniqueConstraint(
                fields=["project", "member", "date", "starts"], name="duty_shift_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_duty_display()}"


# --- progress (进度) --------------------------------------------------------------------------


class ProgressUpdate(models.Model):
    """A progress report on an item; ``client_id`` makes a resent offline update count once."""

    item = models.ForeignKey(ProjectItem, on_delete=models.CASCADE, related_name="updates")
    client_id = models.UUIDField(default=uuid.uuid4, unique=True)
    percent = models.PositiveSmallIntegerField(_("完成比例（%）"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("填报时间"))
    received_at = models.DateTimeField(_("收到时间"), auto_now_add=True)

    scope_path = ScopePath(estate="item__estate")
    project_path = "item__project"

    class Meta:
        verbose_name = _("进度填报")
        verbose_name_plural = _("进度填报")
        ordering = ["item", "reported_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="progress_percent_max"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.percent}%"


class DiaryEntry(models.Model):
    """The site diary (施工日志): one entry per day and project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="diary")
    date = models.DateField(_("日期"))
    weather = models.CharField(_("天气"), max_length=32, blank=True)
    workers = models.PositiveIntegerField(_("作业人数"), default=0)
    text = models.TextField(_("施工内容"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope_path = ScopePath(estate="project__estates", many=True)
    project_path = "project"

    class Meta:
        verbose_name = _("施工日志")
        verbose_name_plural = _("施工日志")
        ordering = ["project", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["project", "date"], name="diary_one_per_day"),
        ]

    def __str__(self) -> str:
        return str(self.date)


class PhotoPlace(models.TextChoices):
    EXIF = "exif", _("照片自带位置")
    PHONE = "phone", _("手机定位")
    NONE = "", _("无位置")


class SitePhoto(models.Model):
    """A site photo with the time and place it was taken (EXIF, else the phone's position).

    ``distance_m`` is from the item's estate; ``far`` flags a photo taken away from it.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos")
    item = models.ForeignKey(
        ProjectItem, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.FileField(_("照片"), upload_to="renovation/photos/%Y/%m/")
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    place_source = models.CharField(
        _("位置来源"), max_length=8, choices=PhotoPlace.choices, blank=True, default=""
    )
    distance_m = models.PositiveIntegerField(_("距小区（米）"), null=True, blank=True)
    far = models.BooleanField(_("远离小区"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_path = ScopePath(estate="project__estates", many=True)
    project_path = "project"

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")
        ordering = ["project", "-uploaded_at"]

    def __str__(self) -> str:
        return self.caption or str(self.pk)


class HiddenWork(models.Model):
    """A hidden-works record (隐蔽工程验收): what will be covered, seen before it is.

    Signed by the supervisor's staff and the resident supervisor; covering is recorded after.
    """

    item = models.ForeignKey(ProjectItem, on_delete=models.CASCADE, related_name="hidden_works")
    description = models.TextField(_("隐蔽内容"))
    photo = models.ForeignKey(
        SitePhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"))
    supervisor_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    supervisor_signed_at = models.DateTimeField(null=True, blank=True)
    resident_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resident_signed_at = models.DateTimeField(null=True, blank=True)
    covered_at = models.DateTimeField(_("覆盖时间"), null=True, blank=True)

    scope_path = ScopePath(estate="item__estate")
    project_path = "item__project"

    class Meta:
        verbose_name = _("隐蔽工程记录")
        verbose_name_plural = _("隐蔽工程记录")
        ordering = ["item", "recorded_at"]

    def __str__(self) -> str:
        return self.description[:40]


# --- money (资金) ------------------------------------------------------------------------------


class FundSource(models.TextChoices):
    CENTRAL = "central", _("中央补助")
    PROVINCIAL = "provincial", _("省级资金")
    LOCAL = "local", _("市县资金")
    BONDS = "bonds", _("专项债")
    OWNERS = "owners", _("居民出资")
    UTILITIES = "utilities", _("专营单位")
    PRIVATE = "private", _("社会资本")
    FUND = "fund", _("维修资金")


# How a plan item's funding (decisions.FUNDING_SOURCES) maps to the project's sources.
PLAN_SOURCE_MAP: dict[str, str] = {
    "central": FundSource.CENTRAL,
    "local": FundSource.LOCAL,
    "owners": FundSource.OWNERS,
    "utilities": FundSource.UTILITIES,
    "other": FundSource.PRIVATE,
}


class ItemFunding(models.Model):
    """How much of an item's budget each source is planned to pay."""

    item = models.ForeignKey(ProjectItem, on_delete=models.CASCADE, related_name="funding")
    source = models.CharField(_("资金来源"), max_length=16, choices=FundSource.choices)
    planned_fen = models.PositiveBigIntegerField(_("计划（分）"))

    scope_path = ScopePath(estate="item__estate")
    project_path = "item__project"

    class Meta:
        verbose_name = _("条目资金来源")
        verbose_name_plural = _("条目资金来源")
        constraints = [
            models.UniqueConstraint(fields=["item", "source"], name="item_funding_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.source}"


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", _("到位")
    PAYMENT = "payment", _("支付")


class MoneyEntry(models.Model):
    """One line of a project's ledger: money received from a source, or paid for an item.

    Append-only; a mistake is corrected by a reversing entry (negative amount, with a note).
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="ledger")
    item = models.ForeignKey(
        ProjectItem, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=EntryKind.choices)
    source = models.CharField(_("资金来源"), max_length=16, choices=FundSource.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    on = models.DateField(_("日期"))
    payee = models.CharField(_("收款单位"), max_length=200, blank=True)
    document = models.FileField(_("凭证"), upload_to="renovation/money/%Y/%m/", blank=True)
    note = models.CharField(_("摘要"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_path = ScopePath(estate="project__estates", many=True)
    project_path = "project"

    class Meta:
        verbose_name = _("资金台账")
        verbose_name_plural = _("资金台账")
        ordering = ["project", "on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="receipt", item__isnull=True)
                | Q(kind="payment", item__isnull=False),
                name="money_payment_has_item",
            ),
            models.CheckConstraint(condition=~Q(amount_fen=0), name="money_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen}"


class SplitMethod(models.TextChoices):
    AREA = "area", _("按专有部分面积")
    FLOOR = "floor", _("按楼层系数")


class ContributionPlan(models.Model):
    """Residents' share of an item (居民出资) split per dwelling; the split is frozen in rows."""

    item = models.OneToOneField(ProjectItem, on_delete=models.CASCADE, related_name="contribution")
    method = models.CharField(_("分摊方式"), max_length=8, choices=SplitMethod.choices)
    amount_fen = models.PositiveBigIntegerField(_("居民出资总额（分）"))
    # Floor → coefficient (as strings), for the floor method; the table is shown to residents.
    coefficients = models.JSONField(_("楼层系数"), default=dict, blank=True)
    times_area = models.BooleanField(_("系数乘以面积"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = ScopePath(estate="item__estate")
    project_path = "item__project"

    class Meta:
        verbose_name = _("居民出资分摊")
        verbose_name_plural = _("居民出资分摊")

    def __str__(self) -> str:
        return str(self.item)


class Contribution(models.Model):
    plan = models.ForeignKey(ContributionPlan, on_delete=models.CASCADE, related_name="shares")
    dwelling = models.ForeignKey("registry.Dwelling", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.PositiveBigIntegerField(_("应出资（分）"))

    scope_path = ScopePath(estate="dwelling__estate", dwelling="dwelling")
    project_path = "plan__item__project"

    class Meta:
        verbose_name = _("分户出资")
        verbose_name_plural = _("分户出资")
        constraints = [
            models.UniqueConstraint(fields=["plan", "dwelling"], name="contribution_once"),
        ]

    def __str__(self) -> str:
        return f"{self.dwelling_id}: {self.amount_fen}"


# --- residents during the works ---------------------------------------------------------------


class ComplaintKind(models.TextChoices):
    NOISE = "noise", _("噪音")
    DUST = "dust", _("扬尘")
    ACCESS = "access", _("出行受阻")
    SAFETY = "safety", _("安全隐患")
    SUGGESTION = "suggestion", _("建议")
    OTHER = "other", _("其他")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class Complaint(models.Model):
    """A resident's complaint or suggestion during the works, with a deadline to answer."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="complaints")
    estate = models.ForeignKey("registry.Estate", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=16, choices=ComplaintKind.choices)
    text = models.TextField(_("内容"))
    place = models.CharField(_("位置"), max_length=200, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    zone = models.ForeignKey(
        "organization.ResponsibilityZone",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    created_at = models.DateTimeField(_("提出时间"))
    due_at = models.DateTimeField(_("答复期限"))
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    scope_path = ScopePath(estate="estate")
    project_path = "project"

    class Meta:
        verbose_name = _("施工期间投诉建议")
        verbose_name_plural = _("施工期间投诉建议")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:40]


# --- joint acceptance and the residents' verdict -----------------------------------------------


class AcceptanceStatus(models.TextChoices):
    OPEN = "open", _("验收中")
    RECTIFYING = "rectifying", _("整改中")
    PASSED = "passed", _("验收通过")


class Acceptance(models.Model):
    """The joint acceptance (联合验收) of a project: who took part and each item's verdict."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="acceptances")
    held_on = models.DateField(_("验收日期"))
    # The six parties' representatives by name: housing bureau, street, community, owners,
    # builder, supervisor (keys of ACCEPTANCE_PARTIES in services).
    participants = models.JSONField(_("参加人员"), default=dict)
    status = models.CharField(
        _("状态"), max_length=16, choices=AcceptanceStatus.choices, default=AcceptanceStatus.OPEN
    )
    conclusion = models.TextField(_("验收结论"), blank=True)
    resident_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resident_signed_at = models.DateTimeField(null=True, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    scope_path = ScopePath(estate="project__estates", many=True)
    project_path = "project"

    class Meta:
        verbose_name = _("联合验收")
        verbose_name_plural = _("联合验收")
        ordering = ["project", "held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.project}（{self.held_on}）"


class AcceptanceCheck(models.Model):
    """One item's verdict; a failed item gets defects, a deadline and a re-inspection."""

    acceptance = models.ForeignKey(Acceptance, on_delete=models.CASCADE, related_name="checks")
    item = models.ForeignKey(ProjectItem, on_delete=models.PROTECT, related_name="checks")
    passed = models.BooleanField(_("合格"))
    defects = models.TextField(_("问题"), blank=True)
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    reinspected_on = models.DateField(_("复验日期"), null=True, blank=True)
    reinspection_passed = models.BooleanField(_("复验合格"), null=True, blank=True)

    scope_path = ScopePath(estate="item__estate")
    project_path = "acceptance__project"

    class Meta:
        verbose_name = _("验收条目")
        verbose_name_plural = _("验收条目")
        ordering = ["acceptance", "item"]
        constraints = [
            models.UniqueConstraint(fields=["acceptance", "item"], name="acceptance_item_once"),
            models.CheckConstraint(
                condition=Q(passed=True) | ~Q(defects=""), name="acceptance_fail_has_defects"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {'✓' if self.passed else '✗'}"

    @property
    def ok(self) -> bool:
        return self.passed or bool(self.reinspection_passed)


class SurveyStatus(models.TextChoices):
    OPEN = "open", _("调查中")
    CLOSED = "closed", _("已结束")


class Survey(models.Model):
    """The satisfaction survey (效果共评) of an estate after its project's acceptance."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="surveys")
    estate = models.ForeignKey("registry.Estate", on_delete=models.PROTECT, related_name="+")
    opens_on = models.DateField(_("开始"))
    closes_on = models.DateField(_("截止"))
    status = models.CharField(
        _("状态"), max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.OPEN
    )
    households = models.PositiveIntegerField(_("应答户数"))
    published_at = models.DateTimeField(_("结果公布"), null=True, blank=True)

    scope_path = ScopePath(estate="estate")
    project_path = "project"

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        constraints = [
            models.UniqueConstraint(fields=["project", "estate"], name="survey_once"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="survey_closes_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estate}（{self.opens_on}）"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class SurveyResponse(models.Model):
    """One household's answer (online by a resident, or a paper form entered by staff)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    dwelling = models.ForeignKey("registry.Dwelling", on_delete=models.PROTECT, related_name="+")
    overall = models.CharField(_("总体评价"), max_length=16, choices=Rating.choices)
    comment = models.TextField(_("意见"), blank=True)
    paper = models.BooleanField(_("纸质问卷"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"))

    scope_path = ScopePath(estate="survey__estate", dwelling="dwelling")
    project_path = "survey__project"

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        constraints = [
            models.UniqueConstraint(fields=["survey", "dwelling"], name="survey_one_per_home"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.dwelling_id}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ProjectItem, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="survey_answer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.rating}"
