"""Money for people: integer fen shown as yuan with thousands separators (12,345.60)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    whole, cents = divmod(int(fen), 100)
    return f"{whole:,}.{cents:02d}"
