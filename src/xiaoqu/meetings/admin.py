"""Admin for meetings (Chinese, like the other apps); sign-ins are shown read-only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.admin import ReadOnlyMixin
from xiaoqu.core.pii import mask_phone
from xiaoqu.meetings.models import Meeting, MeetingAttendance


class AttendanceInline(ReadOnlyMixin, admin.TabularInline):
    model = MeetingAttendance
    extra = 0
    fields = readonly_fields = (
        "dwelling",
        "person",
        "name",
        "phone_masked",
        "signed_in_by",
        "signed_in_at",
    )

    @admin.display(description=_("手机号"))
    def phone_masked(self, obj: MeetingAttendance) -> str:
        """A named attendee's phone, masked like every phone on a list (138****0001)."""
        return mask_phone(obj.phone) if obj.phone else ""


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
