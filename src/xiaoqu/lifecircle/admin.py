"""Admin for the life-circle standard (editable) and the facility register."""

from __future__ import annotations

from django.contrib import admin

from xiaoqu.lifecircle.models import AnalysisRun, Facility, FacilityType


@admin.register(FacilityType)
class FacilityTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "distance_m", "active"]
    list_editable = ["level", "distance_m", "active"]
    list_filter = ["level", "active"]
    readonly_fields = ["code"]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "source", "source_ref", "latitude", "longitude"]
    list_filter = ["type", "source"]
    list_select_related = ["type"]
    search_fields = ["name", "source_ref"]


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ["region", "status", "progress", "estates", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["region"]
    # The network file comes only through the region's page, which checks it (docs/security.md).
    readonly_fields = [
        "status",
        "progress",
        "message",
        "estates",
        "finished_at",
        "created_by",
        "osm_file",
    ]
    autocomplete_fields = ["region"]
