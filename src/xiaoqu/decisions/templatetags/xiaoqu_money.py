"""Money for people: the ``yuan`` filter shows integer fen as yuan (see core.money)."""

from __future__ import annotations

from django import template

from xiaoqu.core.money import yuan as yuan_text

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return yuan_text(fen)
