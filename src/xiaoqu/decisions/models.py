"""Owner votes under Civil Code Art. 278: votes, frozen electorates, hash-chained ballots.

When a vote opens its electorate is frozen: every exclusive unit in scope (``ElectorUnit``,
with its area and register status) and every effective owner (``Elector``: the owners of one
or more units counted as one, the developer as one, SPC interpretation Art. 9). Register edits
after that change nothing in the tally.

Ballots are append-only and hash-chained per vote: each ballot's hash covers the previous
hash, the owner's pseudonym, the choice, the channel, the time, its sequence number and a
random nonce (so a receipt reveals nothing about the choice). One ballot per owner per vote
is a database constraint. ``xiaoqu audit verify`` recomputes every chain.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.models import TimeStamped
from xiaoqu.core.policy import ScopePath
from xiaoqu.decisions.matters import matter_choices


class VoteScope(models.TextChoices):
    ESTATE = "estate", _("全小区")
    BUILDING = "building", _("楼栋")
    ENTRANCE = "entrance", _("单元")


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("未开始")
    OPEN = "open", _("投票中")
    CLOSED = "closed", _("已结束")


class Choice(models.TextChoices):
    AGREE = "agree", _("同意")
    DISAGREE = "disagree", _("反对")
    ABSTAIN = "abstain", _("弃权")


class BallotChannel(models.TextChoices):
    ONLINE = "online", _("业主在线投票")
    PAPER = "paper", _("纸质选票（工作人员录入）")
    PROXY = "proxy", _("委托代理投票")


class Vote(TimeStamped):
    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="votes"
    )
    matter = models.PositiveSmallIntegerField(_("表决事项"), choices=matter_choices())
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    scope = models.CharField(_("表决范围"), max_length=16, choices=VoteScope.choices)
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="votes",
    )
    entrance = models.ForeignKey(
        "registry.Entrance",
        verbose_name=_("单元"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="votes",
    )
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=VoteStatus.choices, default=VoteStatus.DRAFT
    )
    # Secret of this vote's pseudonyms and genesis hash; never shown.
    salt = models.CharField(max_length=64, editable=False)
    opened_at = models.DateTimeField(_("冻结名册时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # The chain's head, moved under a row lock with each ballot.
    ballots_cast = models.PositiveIntegerField(_("选票数"), default=0)
    chain_head = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The public notice (公示) of the result: the tally frozen when published, and the end of
    # the period in which owners may object.
    result = models.JSONField(_("表决结果"), null=True, blank=True, editable=False)
    result_published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    objection_until = models.DateTimeField(_("异议期截止"), null=True, blank=True)

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("业主表决")
        verbose_name_plural = _("业主表决")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="vote_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="estate", building__isnull=True, entrance__isnull=True)
                    | Q(scope="building", building__isnull=False, entrance__isnull=True)
                    | Q(scope="entrance", entrance__isnull=False)
                ),
                name="vote_scope_matches_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Elector(models.Model):
    """One effective owner of a vote's frozen electorate, with the summed area of their units."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="electors")
    owner_key = models.CharField(max_length=40)
    pseudonym = models.CharField(max_length=32)
    area = models.DecimalField(max_digits=14, decimal_places=2)
    # The same area in hundredths of a square metre: integer sums are exact on every database.
    area_hundredths = models.PositiveBigIntegerField()
    units = models.PositiveIntegerField()
    persons = models.ManyToManyField("registry.Person", related_name="+", blank=True)

    scope_path = ScopePath(estate="vote__estate")

    class Meta:
        verbose_name = _("表决业主")
        verbose_name_plural = _("表决业主")
        constraints = [
            models.UniqueConstraint(fields=["vote", "owner_key"], name="elector_unique_owner"),
            models.UniqueConstraint(fields=["vote", "pseudonym"], name="elector_unique_pseudonym"),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class ElectorUnit(models.Model):
    """An exclusive unit of a vote's frozen electorate."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="units")
    elector = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="unit_rows")
    dwelling = models.ForeignKey("registry.Dwelling", on_delete=models.PROTECT, related_name="+")
    area = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=16)

    # A grid reaches the units of its buildings only (the turnout list of a vote).
    scope_path = ScopePath(estate="vote__estate", building="dwelling__building")

    class Meta:
        verbose_name = _("表决专有部分")
        verbose_name_plural = _("表决专有部分")
        constraints = [
            models.UniqueConstraint(fields=["vote", "dwelling"], name="elector_unit_unique")
        ]

    def __str__(self) -> str:
        return str(self.dwelling_id)


class Ballot(models.Model):
    """One owner's ballot; never updated or deleted (``xiaoqu audit verify`` would notice)."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="ballots")
    elector = models.ForeignKey(Elector, on_delete=models.PROTECT, related_name="ballots")
    seq = models.PositiveIntegerField(_("序号"))
    choice = models.CharField(_("选择"), max_length=16, choices=Choice.choices)
    channel = models.CharField(_("方式"), max_length=16, choices=BallotChannel.choices)
    cast_at = models.DateTimeField(_("投票时间"))
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    scan = models.FileField(_("选票扫描件"), upload_to="decisions/ballots/%Y/%m/", blank=True)
    proxy_name = models.CharField(_("代理人"), max_length=64, blank=True)
    authorisation = models.FileField(
        _("授权委托书"), upload_to="decisions/proxies/%Y/%m/", blank=True
    )
    nonce = models.CharField(max_length=32, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    receipt = models.CharField(_("回执码"), max_length=20, editable=False)

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")
        ordering = ["vote", "seq"]
        constraints = [
            # One ballot per owner per vote, whatever the channel: the database decides.
            models.UniqueConstraint(fields=["vote", "elector"], name="ballot_one_per_owner"),
            models.UniqueConstraint(fields=["vote", "seq"], name="ballot_unique_seq"),
            models.UniqueConstraint(fields=["vote", "receipt"], name="ballot_unique_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id}#{self.seq}"


class TurnoutAssignment(models.Model):
    """A unit of an open vote's electorate handed to someone to knock on its door (催票).

    Staff hand the units whose owner has not voted yet to the grid worker or the liaison
    member (联户) who covers them; the assignee sees them on the visit page until the owner
    has voted. One assignee per unit; handing it on moves it (the audit rows keep who had it).
    Nothing here says how anyone voted (see docs/owner-votes.md).
    """

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="turnout_assignments")
    unit = models.ForeignKey(ElectorUnit, on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责催票"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分派人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("分派时间"))

    scope_path = ScopePath(estate="vote__estate", building="unit__dwelling__building")

    class Meta:
        verbose_name = _("催票分派")
        verbose_name_plural = _("催票分派")
        constraints = [
            # One unit is one dwelling of the vote: one assignee per vote and dwelling.
            models.UniqueConstraint(fields=["vote", "unit"], name="turnout_one_per_unit"),
        ]
        indexes = [models.Index(fields=["assignee", "vote"], name="turnout_by_assignee")]

    def __str__(self) -> str:
        return f"{self.vote_id}:{self.unit_id}→{self.assignee_id}"


class Objection(models.Model):
    """An owner's objection to a published result, raised within the objection period; one
    per owner of the frozen electorate (an owner with more to say adds it through the
    community, see docs/owner-votes.md)."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="objections")
    elector = models.ForeignKey(Elector, on_delete=models.PROTECT, related_name="objections")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("异议内容"))
    raised_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["vote", "raised_at"]
        constraints = [
            # One objection per owner per vote (co-owners are one elector): the database decides.
            models.UniqueConstraint(fields=["vote", "elector"], name="objection_one_per_owner"),
        ]

    def __str__(self) -> str:
        return self.text[:40]


# --- renovation plans (改造方案) ------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草拟中")
    CONSULTATION = "consultation", _("征求意见中")
    PUBLISHED = "published", _("已公布")


class Plan(TimeStamped):
    """A version of an estate's renovation plan, built from its demand list.

    A plan is drafted by staff, put to the residents for comment during a consultation
    period, and published; a new version starts as a copy of the last one. Published
    versions are never changed.
    """

    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("小区"), on_delete=models.PROTECT, related_name="plans"
    )
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("名称"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    consultation_starts = models.DateField(_("征求意见开始"), null=True, blank=True)
    consultation_ends = models.DateField(_("征求意见截止"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    # Meetings come before plans in the lifecycle, so the plan holds the link.
    meetings = models.ManyToManyField(
        "meetings.Meeting", verbose_name=_("讨论过的会议"), blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编制人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("改造方案")
        verbose_name_plural = _("改造方案")
        ordering = ["estate", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "version"], name="plan_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title}（v{self.version}）"


# Where an item's money comes from, in the order pages show them (fields ``fund_<source>_fen``).
FUNDING_SOURCES = ("central", "local", "owners", "utilities", "other")


class PlanItem(models.Model):
    """One item of works: from a demand of the list, or added with a stated reason.

    Money is in fen (integer); the funding split must add up to the estimated cost.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    demand = models.ForeignKey(
        "needs.Demand",
        verbose_name=_("对应需求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_items",
    )
    reason = models.CharField(_("列入理由"), max_length=500, blank=True)
    title = models.CharField(_("改造内容"), max_length=200)
    klass = models.CharField(_("分类"), max_length=16)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=16)
    cost_fen = models.PositiveBigIntegerField(_("估算造价（分）"))
    fund_central_fen = models.PositiveBigIntegerField(_("中央补助（分）"), default=0)
    fund_local_fen = models.PositiveBigIntegerField(_("地方财政（分）"), default=0)
    fund_owners_fen = models.PositiveBigIntegerField(_("居民出资（分）"), default=0)
    fund_utilities_fen = models.PositiveBigIntegerField(_("管线单位（分）"), default=0)
    fund_other_fen = models.PositiveBigIntegerField(_("其他（分）"), default=0)

    scope_path = ScopePath(estate="plan__estate")

    class Meta:
        verbose_name = _("方案条目")
        verbose_name_plural = _("方案条目")
        ordering = ["plan", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(demand__isnull=False) | ~Q(reason=""), name="plan_item_has_origin"
            ),
            models.CheckConstraint(
                condition=Q(
                    cost_fen=models.F("fund_central_fen")
                    + models.F("fund_local_fen")
                    + models.F("fund_owners_fen")
                    + models.F("fund_utilities_fen")
                    + models.F("fund_other_fen")
                ),
                name="plan_item_funding_adds_up",
            ),
            models.UniqueConstraint(
                fields=["plan", "demand"],
                condition=Q(demand__isnull=False),
                name="plan_item_demand_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PlanExclusion(models.Model):
    """Why a demand of the list is not in this plan version (residents read it)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="exclusions")
    demand = models.ForeignKey("needs.Demand", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("未列入原因"), max_length=500)

    class Meta:
        verbose_name = _("未列入的需求")
        verbose_name_plural = _("未列入的需求")
        constraints = [
            models.UniqueConstraint(fields=["plan", "demand"], name="plan_exclusion_once"),
            models.CheckConstraint(condition=~Q(reason=""), name="plan_exclusion_has_reason"),
        ]

    def __str__(self) -> str:
        return self.reason[:40]


class PlanComment(models.Model):
    """A resident's comment on a plan during its consultation period."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    item = models.ForeignKey(
        PlanItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("意见"))
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("方案意见")
        verbose_name_plural = _("方案意见")
        ordering = ["plan", "created_at"]

    def __str__(self) -> str:
        return self.text[:40]
