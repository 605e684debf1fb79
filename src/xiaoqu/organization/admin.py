"""Admin for Party organisations, members, grids, triangles, liaison households, zones, teams.

Register-sized foreign keys (people, dwellings, buildings, estates, regions) use autocomplete
or raw ids so no page loads a province's rows into a select box.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from xiaoqu.organization.models import (
    Grid,
    GridBuilding,
    GridWorkerAssignment,
    IronTriangle,
    LiaisonHousehold,
    PartyMember,
    PartyMemberMark,
    PartyOrganization,
    ResponsibilityZone,
    Team,
)


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "region", "estate"]
    list_filter = ["kind"]
    list_select_related = ["parent", "region", "estate"]
    search_fields = ["name"]
    autocomplete_fields = ["parent", "region", "estate"]
    readonly_fields = ["path", "depth"]


class PartyMemberMarkInline(admin.TabularInline):
    model = PartyMemberMark
    extra = 0
    verbose_name = _("党员标识")
    verbose_name_plural = _("党员标识")


@admin.register(PartyMember)
class PartyMemberAdmin(admin.ModelAdmin):
    list_display = ["person", "organization", "joined_on"]
    list_filter = ["organization__kind", "marks__mark"]
    list_select_related = ["person", "organization"]
    search_fields = ["person__name", "organization__name"]
    autocomplete_fields = ["person", "organization"]
    inlines = [PartyMemberMarkInline]


class GridBuildingInline(admin.TabularInline):
    model = GridBuilding
    extra = 0
    raw_id_fields = ["building"]
    verbose_name = _("网格楼栋")
    verbose_name_plural = _("网格楼栋")


class GridWorkerInline(admin.TabularInline):
    model = GridWorkerAssignment
    extra = 0
    raw_id_fields = ["person", "user"]
    fields = ["person", "user", "started_on", "ended_on"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community"]
    list_select_related = ["community"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["community"]
    inlines = [GridBuildingInline, GridWorkerInline]


@admin.register(GridWorkerAssignment)
class GridWorkerAssignmentAdmin(admin.ModelAdmin):
    list_display = ["grid", "person", "started_on", "ended_on"]
    list_select_related = ["grid", "person"]
    search_fields = ["grid__name", "grid__code", "person__name"]
    raw_id_fields = ["person", "user"]
    autocomplete_fields = ["grid"]


@admin.register(IronTriangle)
class IronTriangleAdmin(admin.ModelAdmin):
    list_display = ["grid", "group_leader"]
    list_select_related = ["grid", "group_leader__person"]
    search_fields = ["grid__name", "grid__code"]
    autocomplete_fields = ["grid", "group_leader", "liaison_members"]


@admin.register(LiaisonHousehold)
class LiaisonHouseholdAdmin(admin.ModelAdmin):
    list_display = ["member", "dwelling"]
    list_select_related = ["member__person", "member__organization", "dwelling"]
    search_fields = ["member__person__name"]
    autocomplete_fields = ["member"]
    raw_id_fields = ["dwelling"]


@admin.register(ResponsibilityZone)
class ResponsibilityZoneAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "region", "leader"]
    list_select_related = ["region", "leader__person"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region", "leader", "estates"]
    raw_id_fields = ["buildings"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "leader"]
    list_select_related = ["region", "leader__person"]
    search_fields = ["name"]
    autocomplete_fields = ["region", "leader", "members"]
