"""Money for people: integer fen shown as yuan with thousands separators (12,345.60)."""

from __future__ import annotations


def yuan(fen: int | None) -> str:
    """``1234560`` → ``12,345.60``; negative amounts (reversing entries) keep their sign."""
    if fen is None:
        return ""
    sign = "-" if int(fen) < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"
