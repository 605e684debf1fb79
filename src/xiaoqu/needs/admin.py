"""Admin for campaigns, visits, opinions, corrections, demands and published lists.

What the admin does not let anyone change, and why:

* an opinion's category, score and placement come from the classifier and the merge; staff
  correct a category on the opinion page or the API, where the ``Correction`` row that feeds
  the next training is written;
* corrections are a record of what staff said: read-only;
* a demand's status moves through the service (transitions, a reason for declining, an
  audit row), not here;
* published lists and their items are never changed or deleted: residents have read them.

Register-sized foreign keys use autocomplete or raw ids so no page loads a province's rows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.admin import ReadOnlyMixin
from xiaoqu.needs import classifier as clf
from xiaoqu.needs.models import (
    Campaign,
    Correction,
    Demand,
    DemandList,
    DemandListItem,
    Opinion,
    Visit,
)


def category_label(code: str) -> str:
    names = clf.category_names()
    return str(names.get(code, code))


class CategoryFilter(admin.SimpleListFilter):
    """Categories by their Chinese names, in taxonomy order."""

    title = _("类别")
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(c["code"], c["name"]) for c in clf.taxonomy()["categories"]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(category=self.value()) if self.value() else queryset


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "starts_on", "ends_on", "created_by"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    search_fields = ["name"]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["estates", "created_by"]


class _OpinionInline(ReadOnlyMixin, admin.TabularInline):
    model = Opinion
    extra = 0
    show_change_link = True


class VisitOpinionInline(_OpinionInline):
    fk_name = "visit"
    fields = readonly_fields = (
        "text",
        "category",
        "urgent",
        "demand",
    )
    verbose_name = _("走访时听到的意见")
    verbose_name_plural = _("走访时听到的意见")


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["visited_at", "estate", "dwelling", "visitor", "outcome", "people_met"]
    list_filter = ["outcome", "campaign"]
    list_select_related = ["estate", "dwelling__building", "dwelling__entrance", "visitor"]
    search_fields = ["estate__name", "estate__code", "dwelling__number", "note"]
    date_hierarchy = "visited_at"
    autocomplete_fields = ["estate", "visitor", "campaign"]
    raw_id_fields = ["dwelling"]
    # Photos come only through the pages, which check them (core.uploads.check_photo).
    readonly_fields = ["client_key", "created_at", "photo"]
    inlines = [VisitOpinionInline]


class CorrectionInline(ReadOnlyMixin, admin.TabularInline):
    model = Correction
    extra = 0
    fields = readonly_fields = (
        "old_category",
        "new_category",
        "corrected_by",
        "corrected_at",
    )


@admin.register(Opinion)
class OpinionAdmin(admin.ModelAdmin):
    list_display = [
        "short_text",
        "estate",
        "channel",
        "category_name",
        "confidence",
        "category_by_staff",
        "urgent",
        "heard_on",
    ]
    list_filter = ["channel", CategoryFilter, "category_by_staff", "urgent"]
    list_select_related = ["estate"]
    search_fields = ["text", "estate__name", "estate__code"]
    date_hierarchy = "heard_on"
    autocomplete_fields = ["estate", "submitted_by", "recorded_by"]
    raw_id_fields = ["building", "dwelling", "visit", "demand"]
    readonly_fields = [
        "client_key",
        "category",
        "score",
        "category_by_staff",
        "demand",
        "placed_by_staff",
        "created_at",
        "photo",
    ]
    inlines = [CorrectionInline]

    @admin.display(description=_("意见"), ordering="text")
    def short_text(self, obj: Opinion) -> str:
        return obj.text if len(obj.text) <= 40 else obj.text[:39] + "…"

    @admin.display(description=_("类别"), ordering="category")
    def category_name(self, obj: Opinion) -> str:
        return category_label(obj.category)

    @admin.display(description=_("置信度"), ordering="score")
    def confidence(self, obj: Opinion) -> str:
        return f"{obj.score:.2f}"


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["opinion", "old_category", "new_category", "corrected_by", "corrected_at"]
    list_filter = [("new_category", admin.AllValuesFieldListFilter)]
    list_select_related = ["opinion", "corrected_by"]
    search_fields = ["opinion__text"]
    date_hierarchy = "corrected_at"


class DemandOpinionInline(_OpinionInline):
    fk_name = "demand"
    fields = readonly_fields = (
        "text",
        "channel",
        "category",
        "heard_on",
        "urgent",
    )
    verbose_name = _("归入的意见")
    verbose_name_plural = _("归入的意见")


@admin.register(Demand)
class DemandAdmin(admin.ModelAdmin):
    list_display = ["title", "estate", "category_name", "status", "urgent", "source"]
    list_filter = ["status", "source", "urgent", CategoryFilter]
    list_select_related = ["estate"]
    search_fields = ["title", "estate__name", "estate__code"]
    autocomplete_fields = ["estate"]
    readonly_fields = ["status", "declined_reason", "merged_into", "created_at", "updated_at"]
    inlines = [DemandOpinionInline]

    @admin.display(description=_("类别"), ordering="category")
    def category_name(self, obj: Demand) -> str:
        return category_label(obj.category)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # A demand's category is one of the taxonomy's, chosen by name, never free text.
        if db_field.name == "category":
            choices = [(c["code"], c["name"]) for c in clf.taxonomy()["categories"]]
            return forms.ChoiceField(label=db_field.verbose_name, choices=choices)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class DemandListItemInline(ReadOnlyMixin, admin.TabularInline):
    model = DemandListItem
    extra = 0
    fields = readonly_fields = (
        "rank",
        "title",
        "category",
        "klass",
        "households",
        "share",
        "opinions",
        "priority",
        "status",
        "declined_reason",
    )


@admin.register(DemandList)
class DemandListAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["estate", "version", "households", "opinions", "published_at", "published_by"]
    list_select_related = ["estate", "published_by"]
    search_fields = ["estate__name", "estate__code"]
    date_hierarchy = "published_at"
    inlines = [DemandListItemInline]
