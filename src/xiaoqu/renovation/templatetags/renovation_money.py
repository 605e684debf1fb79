"""Template helpers of the works' money for pages of earlier stages (the resident's home
page links to the contributions statement only when there is something on it)."""

from __future__ import annotations

from typing import Any

from django import template

from xiaoqu.renovation.money_selectors import has_contributions as _has_contributions

register = template.Library()


@register.simple_tag
def has_contributions(user: Any) -> bool:
    """Whether any of the user's own dwellings has a share of residents' contributions."""
    return _has_contributions(user)
