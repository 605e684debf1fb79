"""The door-knocking list of turnout chasing (催票) on the needs app's visit page: the visit
page's template loads this library by name, as the estate page names later apps' tags; the
needs app's code imports nothing of owner votes (docs/architecture.md)."""

from __future__ import annotations

from typing import Any

from django import template

from xiaoqu.decisions.turnout_selectors import doors_to_knock

register = template.Library()


@register.inclusion_tag("decisions/_turnout_doors.html", takes_context=True)
def turnout_doors(context: template.Context, estate: Any) -> dict[str, Any]:
    """The doors handed to the signed-in user in the estate's running votes whose owners have
    not voted yet (nothing at all when there are none)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"votes": doors_to_knock(user=user, estate=estate) if user is not None else []}
