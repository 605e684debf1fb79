"""Admin for the register, for data stewards.

Foreign keys to big tables use autocomplete or raw ids, so no form renders a select of
every dwelling (a province holds about 900,000); big lists skip the full count.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Person,
    Region,
    Residency,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "depth"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0
    fields = ["number", "storeys", "has_elevator", "structure"]
    show_change_link = True


@admin.register(Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "year_built", "households", "stage"]
    list_filter = ["stage", "management_mode"]
    list_select_related = ["community"]
    search_fields = ["code", "name", "address"]
    autocomplete_fields = ["community"]
    readonly_fields = ["region_path", "households"]
    inlines = [BuildingInline]
    show_full_result_count = False


class EntranceInline(admin.TabularInline):
    model = Entrance
    extra = 0
    show_change_link = True


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "estate", "storeys", "has_elevator", "structure"]
    list_filter = ["structure", "has_elevator"]
    list_select_related = ["estate"]
    search_fields = ["estate__name", "estate__code", "number"]
    autocomplete_fields = ["estate"]
    inlines = [EntranceInline]
    show_full_result_count = False


@admin.register(Entrance)
class EntranceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "building", "estate_name"]
    list_select_related = ["building__estate"]
    search_fields = ["building__estate__name", "building__estate__code", "number"]
    raw_id_fields = ["building"]
    show_full_result_count = False

    @admin.display(description=_("小区"), ordering="building__estate__name")
    def estate_name(self, obj: Entrance) -> str:
        return obj.building.estate.name


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ["person"]


class ResidencyInline(admin.TabularInline):
    model = Residency
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Dwelling)
class DwellingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "estate", "building", "entrance", "floor", "area", "use", "status"]
    list_filter = ["use", "status"]
    list_select_related = ["estate", "building", "entrance"]
    search_fields = ["estate__code", "estate__name", "number"]
    raw_id_fields = ["entrance"]
    inlines = [OwnershipInline, ResidencyInline]
    show_full_result_count = False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """The ID number is never shown or entered here: only its last four are displayed."""

    list_display = ["name", "ref", "masked_phone", "id_last4"]
    search_fields = ["name", "ref", "phone"]
    fields = ["ref", "name", "phone", "id_last4"]
    readonly_fields = ["id_last4"]
    exclude = ["id_hash"]
    show_full_result_count = False

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: Person) -> str:
        return obj.phone_masked


@admin.register(Ownership)
class OwnershipAdmin(admin.ModelAdmin):
    list_display = ["person", "dwelling", "estate_name", "share"]
    list_select_related = ["person", "dwelling__estate"]
    search_fields = ["person__name", "dwelling__estate__name", "dwelling__number"]
    autocomplete_fields = ["person"]
    raw_id_fields = ["dwelling"]
    show_full_result_count = False

    @admin.display(description=_("小区"))
    def estate_name(self, obj: Ownership) -> str:
        return obj.dwelling.estate.name


@admin.register(Residency)
class ResidencyAdmin(admin.ModelAdmin):
    list_display = ["person", "dwelling", "estate_name", "relation", "since"]
    list_filter = ["relation"]
    list_select_related = ["person", "dwelling__estate"]
    search_fields = ["person__name", "dwelling__estate__name", "dwelling__number"]
    autocomplete_fields = ["person"]
    raw_id_fields = ["dwelling"]
    show_full_result_count = False

    @admin.display(description=_("小区"))
    def estate_name(self, obj: Residency) -> str:
        return obj.dwelling.estate.name
