"""Admin of the working calendar: the years the chinese-calendar package does not know yet."""

from __future__ import annotations

from django.contrib import admin

from xiaoqu.stewardship.models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["note"]
