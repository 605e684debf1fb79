"""Admin of the working calendar (the years the chinese-calendar package does not know yet),
the work-order categories and routing rules, the Open311 keys and the criteria of the monthly
evaluation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy

from xiaoqu.stewardship import open311
from xiaoqu.stewardship.models import (
    AccessPoint,
    CalendarDay,
    EvaluationCriterion,
    Open311Key,
    RoutingRule,
    WorkOrderCategory,
)
from xiaoqu.stewardship.services.open311 import open311_key_revoke


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["note"]


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    """Keys are made with ``xiaoqu open311 key`` (the key is shown once there); here they are
    read and revoked."""

    list_display = ["name", "region", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["region"]
    search_fields = ["name"]
    fields = ("name", "region", "digest", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=gettext_lazy("吊销所选密钥"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Open311Key]) -> None:
        for key in queryset:
            open311_key_revoke(key=key, actor=request.user)
        self.message_user(request, gettext("已吊销 %(n)d 个密钥。") % {"n": queryset.count()})


class CategoryForm(forms.ModelForm):
    class Meta:
        model = WorkOrderCategory
        fields = ["code", "name", "hours", "clock", "description", "attributes", "active"]

    def clean_attributes(self) -> Any:
        value = self.cleaned_data["attributes"]
        problems = open311.definition_problems(value if value is not None else [])
        if problems:
            raise forms.ValidationError([_definition_problem(p) for p in problems])
        return value or []


def _definition_problem(problem: open311.Problem) -> str:
    words = {
        "not_a_list": gettext("附加信息应为一个列表（JSON 数组）。"),
        "not_an_object": gettext("附加信息的每一项应为一个对象。"),
        "code": gettext("附加信息的 code 应为 1–32 个字母、数字、- 或 _：%(value)s"),
        "code_twice": gettext("附加信息 %(code)s 重复了。"),
        "datatype": gettext(
            "附加信息 %(code)s 的 datatype 应为 string、number、datetime、text、"
            "singlevaluelist 或 multivaluelist：%(value)s"
        ),
        "description": gettext("附加信息 %(code)s 缺少 description（向填报人提的问题）。"),
        "flag": gettext("附加信息 %(code)s 的 %(value)s 应为 true 或 false。"),
        "order": gettext("附加信息 %(code)s 的 order 应为不重复的正整数：%(value)s"),
        "values": gettext('附加信息 %(code)s 是选择题，需要 values：[{"key": …, "name": …}]。'),
        "value_key": gettext("附加信息 %(code)s 的每个选项都要有 key。"),
        "value_name": gettext("附加信息 %(code)s 的每个选项都要有 name。"),
        "value_twice": gettext("附加信息 %(code)s 的选项 key 重复了。"),
    }
    return words.get(problem.code, problem.code) % {
        "code": problem.attribute,
        "value": problem.value,
    }


@admin.register(WorkOrderCategory)
class WorkOrderCategoryAdmin(admin.ModelAdmin):
    """Work-order categories: deadline, emergency mode, and the attributes Open311 clients
    are asked for (a JSON list in the GeoReport v2 shape, docs/stewardship.md#open311)."""

    form = CategoryForm
    list_display = ["code", "name", "hours", "clock", "active"]
    list_filter = ["clock", "active"]
    search_fields = ["code", "name"]


@admin.register(EvaluationCriterion)
class EvaluationCriterionAdmin(admin.ModelAdmin):
    """The lines of the monthly evaluation form (业委评议). A change applies to evaluations
    submitted afterwards; each evaluation keeps the names and full points it was made with."""

    list_display = ["name", "code", "points", "order", "active", "description"]
    list_editable = ["points", "order", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]


@admin.register(AccessPoint)
class AccessPointAdmin(admin.ModelAdmin):
    """Access points (门禁点): their opening hours, and switching one off (its devices' posts
    are then refused). Points, devices and credentials are added on the estate's access page."""

    list_display = ["name", "estate", "kind", "opens_at", "closes_at", "active"]
    list_editable = ["opens_at", "closes_at", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["estate"]
    search_fields = ["name", "estate__name"]
    fields = ["estate", "name", "kind", "entrance", "opens_at", "closes_at", "active"]
    readonly_fields = ["estate", "entrance"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["category", "estate", "region", "party"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("estate") and data.get("region"):
            raise forms.ValidationError(gettext("派单规则只能针对一个小区或一个区域，不能同时选。"))
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """派单规则: which party a category's new orders go to first (no category: every
    category), for an estate or a region and everything under it. The most specific rule wins
    (docs/stewardship.md); without one, the managing body."""

    form = RoutingRuleForm
    list_display = ["__str__", "category", "estate", "region", "party"]
    list_filter = ["party", "category"]
    list_select_related = ["category", "estate", "region"]
    autocomplete_fields = ["estate", "region"]
