"""Admin for meetings (Chinese, like the other apps); sign-ins are shown read-only."""

from __future__ import annotations

from django.contrib import admin

from xiaoqu.core.admin import ReadOnlyMixin
from xiaoqu.meetings.models import Meeting, MeetingAttendance


class AttendanceInline(ReadOnlyMixin, admin.TabularInline):
    model = MeetingAttendance
    extra = 0
    fields = readonly_fields = ("dwelling", "person", "signed_in_by", "signed_in_at")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["held_on", "kind", "estate", "place", "attendance", "minutes_published_at"]
    list_filter = ["kind"]
    list_select_related = ["estate"]
    search_fields = ["estate__name", "place", "convenor"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["estate", "recorded_by"]
    raw_id_fields = ["agenda_demands", "opinions"]
    readonly_fields = ["minutes_published_at"]
    inlines = [AttendanceInline]
