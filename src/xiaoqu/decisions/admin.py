"""Admin for plans and votes (Chinese, like the other apps).

Votes, electorates and ballots are shown read-only: ballots are append-only and hash-chained
(``xiaoqu audit verify`` would report any change made here or anywhere else), the electorate
is frozen when a vote opens, and votes change state only through their services.
Published plans are changed by publishing a new version, not here; the dates of an opened
consultation only on the plan's page (with a reason).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xiaoqu.core.admin import ReadOnlyMixin
from xiaoqu.decisions.models import (
    Ballot,
    Elector,
    Objection,
    Plan,
    PlanComment,
    PlanExclusion,
    PlanItem,
    Vote,
)


class PlanItemInline(admin.TabularInline):
    model = PlanItem
    extra = 0
    raw_id_fields = ["demand"]


class PlanExclusionInline(admin.TabularInline):
    model = PlanExclusion
    extra = 0
    raw_id_fields = ["demand"]


class PlanCommentInline(ReadOnlyMixin, admin.TabularInline):
    model = PlanComment
    extra = 0
    fields = readonly_fields = ("created_at", "item", "text")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["estate", "version", "title", "status", "published_at"]
    list_filter = ["status"]
    list_select_related = ["estate"]
    search_fields = ["estate__name", "title"]
    autocomplete_fields = ["estate", "created_by"]
    raw_id_fields = ["meetings"]
    readonly_fields = ["status", "published_at"]
    inlines = [PlanItemInline, PlanExclusionInline, PlanCommentInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.status != "published"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """Once the consultation has opened, its dates move only through the plan page's
        "调整征求意见期" (``services.plan_consultation_change``: a reason, checks, an audit
        row), never silently here."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and (obj.status != "draft" or obj.consultation_starts is not None):
            fields += ["consultation_starts", "consultation_ends"]
        return fields


class BallotInline(ReadOnlyMixin, admin.TabularInline):
    model = Ballot
    extra = 0
    # The choice is not shown here either: results are counts, never who chose what.
    fields = readonly_fields = ("seq", "channel", "cast_at", "cast_by", "receipt")


@admin.register(Vote)
class VoteAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "estate", "matter", "scope", "status", "opens_at", "closes_at"]
    list_filter = ["status", "matter", "scope"]
    list_select_related = ["estate"]
    search_fields = ["title", "estate__name"]
    exclude = ["salt"]
    inlines = [BallotInline]


@admin.register(Elector)
class ElectorAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["vote", "pseudonym", "units", "area"]
    list_select_related = ["vote"]
    search_fields = ["pseudonym"]
    exclude = ["persons", "owner_key"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["vote", "raised_at", "text"]
    list_select_related = ["vote"]
