"""Schemas of the register API: ``XxxIn`` for input, ``XxxOut`` for output."""

from __future__ import annotations

from decimal import Decimal
from typing import Self

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import model_validator

from xiaoqu.core.api_schemas import (  # noqa: F401 - PAGE_*, PageIn re-exported for routers
    PAGE_DEFAULT,
    PAGE_MAX,
    Id,
    PageIn,
    Text,
)
from xiaoqu.registry.models import (
    DwellingUse,
    ManagementMode,
    RegionLevel,
    RegisterStatus,
    RenovationStage,
    Structure,
)


class RegionFilterIn(Schema):
    parent: Id | None = Field(None, description="只列出该区划的下级")
    level: RegionLevel | None = Field(None, description="区划级别")


class EstateFilterIn(Schema):
    region: Id | None = Field(None, description="区划编号：只列出该区划（含下级）内的小区")
    year_built_min: int | None = Field(None, ge=1800, le=2100, description="建成年份不早于")
    year_built_max: int | None = Field(None, ge=1800, le=2100, description="建成年份不晚于")
    eligible: bool | None = Field(None, description="是否属于改造范围（按建成年份）")
    stage: RenovationStage | None = Field(None, description="改造阶段")
    q: Text | None = Field(None, max_length=100, description="按名称、编号或地址查找")

    @model_validator(mode="after")
    def _years_in_order(self) -> Self:
        low, high = self.year_built_min, self.year_built_max
        if low is not None and high is not None and low > high:
            raise ValueError(_("建成年份下限不能大于上限"))
        return self


class RegionOut(Schema):
    id: int
    code: str | None
    name: str
    level: RegionLevel
    parent_id: int | None
    depth: int


class EstateOut(Schema):
    id: int
    code: str
    name: str
    address: str
    community_id: int
    community_name: str
    year_built: int | None
    eligible: bool
    latitude: Decimal | None
    longitude: Decimal | None
    land_area: Decimal | None
    households: int
    management_mode: ManagementMode
    stage: RenovationStage


class EstateDetailOut(EstateOut):
    buildings: int = Field(description="楼栋数")
    dwellings: int = Field(description="登记房屋数")


class BuildingOut(Schema):
    id: int
    estate_id: int
    number: str
    storeys: int
    has_elevator: bool
    structure: Structure


class EntranceOut(Schema):
    id: int
    building_id: int
    number: str


class OwnerOut(Schema):
    """An owner as the caller may see them: name and phone masked unless their role needs them."""

    name: str
    phone: str
    id_number: str = Field(description="证件号，仅显示后四位")
    share: Decimal | None
    is_me: bool = Field(description="是否为调用者本人")


class DwellingOut(Schema):
    id: int
    estate_id: int
    building_id: int
    entrance_id: int
    label: str = Field(description="楼栋、单元与房号，如 1栋2单元301")
    number: str
    floor: int
    area: Decimal
    use: DwellingUse
    status: RegisterStatus
    owners: list[OwnerOut]


class _Page(Schema):
    count: int = Field(description="符合条件的总数")
    limit: int
    offset: int


class RegionPageOut(_Page):
    items: list[RegionOut]


class EstatePageOut(_Page):
    items: list[EstateOut]


class BuildingPageOut(_Page):
    items: list[BuildingOut]


class EntrancePageOut(_Page):
    items: list[EntranceOut]


class DwellingPageOut(_Page):
    items: list[DwellingOut]


class RoleOut(Schema):
    role: str
    region_id: int | None
    estate_id: int | None


class MeOut(Schema):
    id: int
    name: str
    phone: str
    roles: list[RoleOut]
    home_estate_ids: list[int]
