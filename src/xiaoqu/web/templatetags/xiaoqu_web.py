"""Template helpers of the base layout: navigation by role, the text size."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import holds_role, is_global_admin, is_staff_member
from xiaoqu.web.text_size import wants_large_text

register = template.Library()


@register.simple_tag(takes_context=True)
def large_text(context) -> bool:
    """Whether this browser asked for large text (大字), set by web.views.set_text_size."""
    return wants_large_text(context.get("request"))


# Pages that belong to a navigation entry besides its own URL name.
_SECTIONS = {"registry:estate_detail": "registry:estate_list"}


@register.simple_tag(takes_context=True)
def nav_items(context) -> list[dict[str, object]]:
    """Navigation entries for the signed-in user: workbench pages for staff roles,
    "我的房屋" for anyone linked to a person (and for residents always)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    current = _SECTIONS.get(current, current)
    entries: list[tuple[str, str]] = []
    staff = is_staff_member(user)
    if staff:
        entries += [
            ("daily:todo", _("工作台")),
            ("registry:workbench", _("概况")),
            ("registry:region_tree", _("行政区划")),
            ("registry:estate_list", _("小区档案")),
            ("needs:campaign_list", _("入户走访")),
            ("renovation:project_list", _("改造项目")),
            ("stewardship:order_list", _("工单")),
            ("lifecircle:standard", _("生活圈")),
            ("insights:home", _("成效")),
        ]
    if holds_role(user, {Role.CONTRACTOR}):
        entries.append(("renovation:site", _("现场填报")))
    if not staff or user.person_id:
        entries += [
            ("daily:feed", _("首页")),
            ("registry:resident_home", _("我的房屋")),
            ("needs:my_opinions", _("我的意见")),
            ("decisions:my_votes", _("我的表决")),
        ]
    entries.append(("notify:inbox", _("消息")))
    if is_global_admin(user):
        entries.append(("privacy:access_log", _("访问记录")))
    if user.is_staff:
        entries.append(("admin:index", _("数据管理")))
    return [
        {"url": reverse(name), "label": label, "active": name == current} for name, label in entries
    ]
