"""The register: regions, estates, buildings, entrances, dwellings, people, ownership."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.models import TimeStamped, TreeNode
from xiaoqu.core.pii import mask_id_last4, mask_phone
from xiaoqu.core.policy import ScopePath


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市（州）")
    DISTRICT = "district", _("区（县）")
    STREET = "street", _("街道（乡镇）")
    COMMUNITY = "community", _("社区")


LEVEL_ORDER = [c.value for c in RegionLevel]


def child_level(level: str) -> str | None:
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


class Region(TimeStamped, TreeNode):
    """A node of the administrative tree (province → ... → community).

    Subtree queries use the materialised path of ``TreeNode``; estates keep a copy of
    their community's path (``Estate.region_path``) that moves with it.
    """

    code = models.CharField(
        _("区划代码"),
        max_length=12,
        null=True,
        blank=True,
        unique=True,
        help_text=_("GB/T 2260 代码（省市县六位），街道九位、社区十二位统计用区划代码"),
    )
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    scope_path = ScopePath(region="")

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def subtree_moved(self, old: str, new: str) -> None:
        Estate.objects.filter(region_path__startswith=old).update(
            region_path=Concat(
                Value(new), Substr("region_path", len(old) + 1), output_field=models.CharField()
            )
        )

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in self.ancestors())


class ManagementMode(models.TextChoices):
    PROPERTY_COMPANY = "property_company", _("物业服务企业")
    SELF_MANAGED = "self_managed", _("居民自管")
    COMMUNITY_CARETAKER = "community", _("社区托管")
    EMPLOYER = "employer", _("原产权单位管理")
    NONE = "none", _("无人管理")


class RenovationStage(models.TextChoices):
    NOT_STARTED = "not_started", _("未启动")
    SURVEYING = "surveying", _("摸排调研")
    COLLECTING = "collecting", _("征集需求")
    PLANNING = "planning", _("方案协商")
    VOTING = "voting", _("业主表决")
    WORKS = "works", _("施工中")
    ACCEPTED = "accepted", _("已验收")
    MANAGED = "managed", _("长效管理")


class EstateQuerySet(models.QuerySet["Estate"]):
    def in_region(self, region: Region) -> EstateQuerySet:
        return self.filter(region_path__startswith=region.path)

    def eligible(self, before_year: int | None = None) -> EstateQuerySet:
        year = before_year or settings.ELIGIBLE_BEFORE_YEAR
        return self.filter(year_built__lt=year)

    def ineligible(self, before_year: int | None = None) -> EstateQuerySet:
        year = before_year or settings.ELIGIBLE_BEFORE_YEAR
        return self.filter(Q(year_built__gte=year) | Q(year_built__isnull=True))


class Estate(TimeStamped):
    """A residential estate (小区); a single building can be one."""

    code = models.CharField(_("小区编号"), max_length=32, unique=True)
    name = models.CharField(_("小区名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    community = models.ForeignKey(
        Region,
        verbose_name=_("所属社区"),
        on_delete=models.PROTECT,
        related_name="estates",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
    )
    # Copy of community.path so scoped estate lists need no join.
    region_path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    year_built = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    latitude = models.DecimalField(
        _("纬度（WGS-84）"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("经度（WGS-84）"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    land_area = models.DecimalField(
        _("占地面积（m²）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    households = models.PositiveIntegerField(_("户数"), default=0)
    management_mode = models.CharField(
        _("管理模式"), max_length=32, choices=ManagementMode.choices, default=ManagementMode.NONE
    )
    stage = models.CharField(
        _("改造阶段"),
        max_length=32,
        choices=RenovationStage.choices,
        default=RenovationStage.NOT_STARTED,
        db_index=True,
    )

    objects = EstateQuerySet.as_manager()

    scope_path = ScopePath(estate="")

    class Meta:
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        ordering = ["code"]
        indexes = [models.Index(fields=["year_built"], name="estate_year_built_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="estate_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="estate_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.community_id:
            self.region_path = Region.objects.values_list("path", flat=True).get(
                pk=self.community_id
            )
        super().save(*args, **kwargs)

    @property
    def is_eligible(self) -> bool:
        return self.year_built is not None and self.year_built < settings.ELIGIBLE_BEFORE_YEAR


class Structure(models.TextChoices):
    BRICK_CONCRETE = "brick_concrete", _("砖混结构")
    FRAME = "frame", _("框架结构")
    SHEAR_WALL = "shear_wall", _("剪力墙结构")
    BRICK_WOOD = "brick_wood", _("砖木结构")
    OTHER = "other", _("其他")


class Building(TimeStamped):
    estate = models.ForeignKey(
        Estate, verbose_name=_("小区"), on_delete=models.CASCADE, related_name="buildings"
    )
    number = models.CharField(_("楼栋号"), max_length=32)
    storeys = models.PositiveSmallIntegerField(
        _("层数"), validators=[MinValueValidator(1)], default=6
    )
    has_elevator = models.BooleanField(_("有电梯"), default=False)
    structure = models.CharField(
        _("结构"), max_length=32, choices=Structure.choices, default=Structure.BRICK_CONCRETE
    )

    scope_path = ScopePath(estate="estate", building="")

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["estate", "number"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "number"], name="building_unique_number"),
            models.CheckConstraint(condition=Q(storeys__gte=1), name="building_storeys_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}栋"


class Entrance(TimeStamped):
    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.CASCADE, related_name="entrances"
    )
    number = models.CharField(_("单元号"), max_length=32)

    scope_path = ScopePath(estate="building__estate", building="building")

    class Meta:
        verbose_name = _("单元")
        verbose_name_plural = _("单元")
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="entrance_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}单元"


class DwellingUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    OFFICE = "office", _("办公")
    OTHER = "other", _("其他")


class RegisterStatus(models.TextChoices):
    """How a unit counts in owner votes (see docs/owner-votes.md)."""

    OWNED = "owned", _("已登记")
    UNSOLD = "unsold", _("未售出")
    UNDELIVERED = "undelivered", _("未交付")


class Dwelling(TimeStamped):
    """A unit (户) with its exclusive area (专有部分面积)."""

    # No index of its own: the unique (entrance, number) below serves it.
    entrance = models.ForeignKey(
        Entrance,
        verbose_name=_("单元"),
        on_delete=models.CASCADE,
        related_name="dwellings",
        db_index=False,
    )
    # Copies of entrance.building and building.estate for scoped queries and counts.
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="dwellings", editable=False
    )
    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="dwellings", editable=False
    )
    number = models.CharField(_("房号"), max_length=32)
    floor = models.SmallIntegerField(_("楼层"))
    area = models.DecimalField(_("专有面积（m²）"), max_digits=10, decimal_places=2)
    use = models.CharField(
        _("用途"), max_length=16, choices=DwellingUse.choices, default=DwellingUse.RESIDENTIAL
    )
    status = models.CharField(
        _("登记状态"), max_length=16, choices=RegisterStatus.choices, default=RegisterStatus.OWNED
    )

    scope_path = ScopePath(estate="estate", building="building", dwelling="")

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["entrance", "floor", "number"]
        constraints = [
            models.UniqueConstraint(fields=["entrance", "number"], name="dwelling_unique_number"),
            models.CheckConstraint(condition=Q(area__gt=0), name="dwelling_area_positive"),
            models.CheckConstraint(condition=~Q(floor=0), name="dwelling_floor_not_zero"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        if self.entrance_id:
            building_id, estate_id = Entrance.objects.values_list(
                "building_id", "building__estate_id"
            ).get(pk=self.entrance_id)
            self.building_id, self.estate_id = building_id, estate_id
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.building.number}栋{self.entrance.number}单元{self.number}"


class Person(TimeStamped):
    """A person; the ID number is kept only as a keyed hash plus its last four characters.

    The people table is the register's largest with the ownerships: its indexes are only those
    a query uses. ``ref``, ``phone`` and ``id_hash`` are matched whole, never by prefix, so they
    are unique constraints and a plain index, without the ``LIKE`` index PostgreSQL gets for a
    ``unique`` or ``db_index`` text field (which made a national import maintain three more
    indexes of random keys; docs/benchmarks.md, national scale).
    """

    ref = models.CharField(
        _("人员编号"),
        max_length=32,
        null=True,
        blank=True,
        help_text=_("导入文件中的人员编号，用于重复导入时对应同一人"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # core.pii.hash_id_number: 16 bytes of the keyed hash (a migration cut the 64 hexadecimal
    # characters stored before to these bytes).
    id_hash = models.BinaryField(max_length=16, null=True, blank=True, editable=False)
    id_last4 = models.CharField(_("证件号后四位"), max_length=4, blank=True, editable=False)
    # Sensitive personal information (PIPL Art. 28: health and disability): held only while the
    # person's consent of kind ASSISTANCE is current (Consent below), shown only through
    # registry.selectors.assistance_of, never exported nor in the API; cleared on withdrawal.
    # Database defaults too: the import writes people with COPY and INSERTs that name only
    # the columns it fills.
    needs_assistance = models.BooleanField(
        _("需要上门协助"),
        default=False,
        db_default=False,
        help_text=_("行动不便、高龄独居等，走访和催票时上门协助；须本人书面同意"),
    )
    assistance_note = models.CharField(
        _("健康与行动情况"),
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text=_("如“腿脚不便，需坐轮椅”；须本人书面同意"),
    )

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["ref"], name="person_unique_ref"),
            models.UniqueConstraint(fields=["id_hash"], name="person_unique_id_hash"),
        ]
        indexes = [models.Index(fields=["phone"], name="person_phone")]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def id_masked(self) -> str:
        return mask_id_last4(self.id_last4)


class ConsentKind(models.TextChoices):
    """What a separate consent (PIPL Art. 29) covers; each kind names the fields it opens."""

    ASSISTANCE = "assistance", _("健康与行动情况（上门协助）")


# The Person fields each kind of consent opens, and their values when there is none.
CONSENT_FIELDS: dict[str, dict[str, object]] = {
    ConsentKind.ASSISTANCE: {"needs_assistance": False, "assistance_note": ""},
}


class Consent(models.Model):
    """A person's separate consent to one kind of sensitive information: its purpose, when it
    was given, who recorded it (from the signed form), and its withdrawal. Current while
    ``withdrawn_at`` is empty; rows are never deleted (docs/personal-information.md)."""

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(_("信息类别"), max_length=16, choices=ConsentKind.choices)
    purpose = models.CharField(_("处理目的"), max_length=200)
    given_on = models.DateField(_("同意日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("敏感信息同意")
        verbose_name_plural = _("敏感信息同意")
        ordering = ["-given_on", "-pk"]
        indexes = [models.Index(fields=["person", "kind"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.given_on}"

    @property
    def current(self) -> bool:
        return self.withdrawn_at is None


class Ownership(TimeStamped):
    """Person ↔ dwelling; a dwelling may have co-owners, a person several dwellings."""

    # No index of its own: the unique (person, dwelling) below serves it.
    person = models.ForeignKey(
        Person,
        verbose_name=_("业主"),
        on_delete=models.CASCADE,
        related_name="ownerships",
        db_index=False,
    )
    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("房屋"), on_delete=models.CASCADE, related_name="ownerships"
    )
    share = models.DecimalField(
        _("份额"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("按份共有时的份额（0–1）；共同共有留空"),
    )

    class Meta:
        verbose_name = _("产权")
        verbose_name_plural = _("产权")
        constraints = [
            models.UniqueConstraint(fields=["person", "dwelling"], name="ownership_unique"),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gt=0, share__lte=1),
                name="ownership_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.dwelling}"


class Relation(models.TextChoices):
    OWNER = "owner", _("业主")
    TENANT = "tenant", _("租户")
    FAMILY = "family", _("家庭成员")


class Residency(TimeStamped):
    person = models.ForeignKey(
        Person, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="residencies"
    )
    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("房屋"), on_delete=models.CASCADE, related_name="residencies"
    )
    relation = models.CharField(_("关系"), max_length=16, choices=Relation.choices)
    since = models.DateField(_("入住日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("居住")
        verbose_name_plural = _("居住")
        constraints = [
            models.UniqueConstraint(fields=["person", "dwelling"], name="residency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.dwelling}"
