"""Party organisations and members, grids, iron triangles, liaison households, zones, teams."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.models import TimeStamped, TreeNode
from xiaoqu.core.policy import ScopePath


class PartyOrgKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", _("党工委")
    COMMITTEE = "committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    GROUP = "group", _("党小组")


# Kinds whose leader can stand in a grid's iron triangle ("党小组（党支部）+网格员+联户").
TRIANGLE_KINDS = frozenset({PartyOrgKind.GROUP.value, PartyOrgKind.BRANCH.value})


class PartyOrganization(TimeStamped, TreeNode):
    """A Party organisation in a tree, with a materialised path like ``Region``'s.

    ``path`` is ``/<id>/.../`` from the root organisation down to this one; the
    organisations below a node are ``path__startswith=node.path``.
    """

    scope_path = ScopePath(region="region")

    kind = models.CharField(_("类型"), max_length=24, choices=PartyOrgKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所在区划"),
        on_delete=models.PROTECT,
        related_name="party_organizations",
    )
    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("所在小区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_organizations",
    )

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="partyorg_unique_name_in_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberMark(models.TextChoices):
    MODEL_HOUSEHOLD = "model_household", _("党员示范户")
    VANGUARD_POST = "vanguard_post", _("党员先锋岗")


class PartyMember(TimeStamped):
    """A person's Party membership; a person belongs to one organisation."""

    scope_path = ScopePath(region="organization__region")

    person = models.OneToOneField(
        "registry.Person",
        verbose_name=_("人员"),
        on_delete=models.PROTECT,
        related_name="party_membership",
    )
    organization = models.ForeignKey(
        PartyOrganization,
        verbose_name=_("所在党组织"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["organization", "person"]

    def __str__(self) -> str:
        return f"{self.person}（{self.organization}）"


class PartyMemberMark(models.Model):
    """A mark a member holds (党员示范户, 党员先锋岗); rows so marks count in SQL."""

    member = models.ForeignKey(
        PartyMember, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="marks"
    )
    mark = models.CharField(_("标识"), max_length=24, choices=MemberMark.choices)
    since = models.DateField(_("授予日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("党员标识")
        verbose_name_plural = _("党员标识")
        constraints = [
            models.UniqueConstraint(fields=["member", "mark"], name="member_mark_unique"),
            models.CheckConstraint(
                condition=Q(mark__in=MemberMark.values), name="member_mark_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.person}：{self.get_mark_display()}"


class Grid(TimeStamped):
    """A grid (网格): a set of buildings in one community, looked after by a grid worker."""

    scope_path = ScopePath(region="community")

    code = models.CharField(_("网格编号"), max_length=32, unique=True)
    name = models.CharField(_("网格名称"), max_length=100)
    community = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": "community"},
    )
    buildings = models.ManyToManyField(
        "registry.Building",
        verbose_name=_("楼栋"),
        through="GridBuilding",
        related_name="grids",
        blank=True,
    )

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class GridBuilding(models.Model):
    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.CASCADE, related_name="grid_buildings"
    )
    # A building belongs to at most one grid.
    building = models.OneToOneField(
        "registry.Building",
        verbose_name=_("楼栋"),
        on_delete=models.CASCADE,
        related_name="grid_building",
    )

    class Meta:
        verbose_name = _("网格楼栋")
        verbose_name_plural = _("网格楼栋")

    def __str__(self) -> str:
        return f"{self.grid}：{self.building}"


class GridWorkerAssignment(TimeStamped):
    """Who is (or was) a grid's worker; one current worker per grid."""

    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.CASCADE, related_name="worker_assignments"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("网格员"),
        on_delete=models.PROTECT,
        related_name="grid_assignments",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_assignments",
    )
    started_on = models.DateField(_("上岗日期"))
    ended_on = models.DateField(_("离岗日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格员任职")
        verbose_name_plural = _("网格员任职")
        ordering = ["grid", "-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid"],
                condition=Q(ended_on__isnull=True),
                name="grid_one_current_worker",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="grid_worker_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid}：{self.person}"


class IronTriangle(TimeStamped):
    """A grid's "党小组（党支部）+网格员+联户" triangle.

    The grid worker is the grid's current ``GridWorkerAssignment``, not a copy, so the
    triangle cannot drift from who actually holds the grid.
    """

    grid = models.OneToOneField(
        Grid, verbose_name=_("网格"), on_delete=models.CASCADE, related_name="triangle"
    )
    group_leader = models.ForeignKey(
        PartyMember,
        verbose_name=_("党小组（党支部）负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_triangles",
    )
    liaison_members = models.ManyToManyField(
        PartyMember,
        verbose_name=_("联户党员"),
        related_name="liaison_triangles",
        blank=True,
    )

    class Meta:
        verbose_name = _("铁三角")
        verbose_name_plural = _("铁三角")

    def __str__(self) -> str:
        return f"{self.grid}铁三角"

    @property
    def is_complete(self) -> bool:
        return (
            self.group_leader_id is not None
            and self.grid.worker_assignments.filter(ended_on__isnull=True).exists()
            and self.liaison_members.exists()
        )


class LiaisonHousehold(TimeStamped):
    """A dwelling linked to the Party member who keeps in touch with it (联户)."""

    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("联户党员"),
        on_delete=models.CASCADE,
        related_name="liaison_households",
    )
    # One dwelling has at most one liaison member.
    dwelling = models.OneToOneField(
        "registry.Dwelling",
        verbose_name=_("房屋"),
        on_delete=models.CASCADE,
        related_name="liaison",
    )

    class Meta:
        verbose_name = _("联户")
        verbose_name_plural = _("联户")
        ordering = ["member", "dwelling"]

    def __str__(self) -> str:
        return f"{self.member.person}联系{self.dwelling}"


class ResponsibilityZone(TimeStamped):
    """A Party members' responsibility zone (党员责任区) of a street or community."""

    scope_path = ScopePath(region="region")

    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所属街道或社区"),
        on_delete=models.PROTECT,
        related_name="responsibility_zones",
    )
    number = models.PositiveSmallIntegerField(_("编号"))
    name = models.CharField(_("名称"), max_length=100)
    leader = models.ForeignKey(
        PartyMember,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_zones",
    )
    estates = models.ManyToManyField(
        "registry.Estate",
        verbose_name=_("覆盖小区"),
        related_name="responsibility_zones",
        blank=True,
    )
    buildings = models.ManyToManyField(
        "registry.Building",
        verbose_name=_("覆盖楼栋"),
        related_name="responsibility_zones",
        blank=True,
    )

    class Meta:
        verbose_name = _("党员责任区")
        verbose_name_plural = _("党员责任区")
        ordering = ["region", "number"]
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="zone_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="zone_number_positive"),
        ]

    def __str__(self) -> str:
        return f"第{self.number}责任区：{self.name}"


class Team(TimeStamped):
    """A Party members' team (党员突击队) with a leader (队长)."""

    scope_path = ScopePath(region="region")

    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        related_name="teams",
    )
    name = models.CharField(_("名称"), max_length=100)
    leader = models.ForeignKey(
        PartyMember, verbose_name=_("队长"), on_delete=models.PROTECT, related_name="led_teams"
    )
    members = models.ManyToManyField(
        PartyMember, verbose_name=_("队员"), related_name="teams", blank=True
    )

    class Meta:
        verbose_name = _("党员突击队")
        verbose_name_plural = _("党员突击队")
        ordering = ["region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="team_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（队长：{self.leader.person}）"
