"""``{% delivery_record estate "vote" vote.pk %}``: the record of an event's notifications on
another app's staff page (the staff vote page shows its notices and reminders), for those
who hold ``notify.view_deliveries`` for the estate; nothing for anyone else.

The key prefix is the arguments after the estate joined with ":" (``vote:12:``), so the
calling template names its own events without this app knowing them.
"""

from __future__ import annotations

from typing import Any

from django import template

from xiaoqu.notify import selectors
from xiaoqu.notify.rules import VIEW_DELIVERIES

register = template.Library()


@register.inclusion_tag("notify/_record.html", takes_context=True)
def delivery_record(context: template.Context, estate: Any, *parts: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if estate is None or user is None or not VIEW_DELIVERIES.has(user, estate):
        return {"show": False}
    prefix = ":".join(str(p) for p in parts) + ":" if parts else ""
    events = selectors.delivery_events(estate=estate, key_prefix=prefix)
    return {
        "show": True,
        "estate": estate,
        "summaries": selectors.delivery_summaries(estate=estate, events=events),
    }
