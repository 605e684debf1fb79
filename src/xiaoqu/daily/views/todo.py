"""The staff to-do workbench (docs/daily.md): what needs the user now, kind by kind.

``/daily/todo/`` shows every kind the user can act on, the most pressing first, 20 lines each;
``?kind=<kind>`` one kind's full list, 50 lines a page. Staff land here (``web:home``).
"""

from __future__ import annotations

import math

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.policy import requires
from xiaoqu.daily import todo as selectors
from xiaoqu.registry.rules import VIEW_WORKBENCH


def _page_number(value: str | None) -> int:
    """The page asked for; anything but a positive number is the first page."""
    try:
        page = int(value or 1)
    except ValueError:
        return 1
    return page if 0 < page < 100_000 else 1


@require_GET
@requires(VIEW_WORKBENCH)
def todo(request: AuthenticatedRequest) -> HttpResponse:
    key = request.GET.get("kind", "")
    if not key:
        return render(
            request,
            "daily/todo.html",
            {"groups": selectors.todo_groups(request.user), "overview": True},
        )
    kind = selectors.KINDS.get(key)
    if kind is None or not kind.permission.has(request.user):
        raise Http404
    page = _page_number(request.GET.get("page"))
    group = selectors.group(
        kind,
        request.user,
        selectors.Moment.current(),
        offset=(page - 1) * selectors.PAGE_LINES,
        limit=selectors.PAGE_LINES,
    )
    pages = max(math.ceil(group.total / selectors.PAGE_LINES), 1)
    if page > pages:
        return redirect(f"{reverse('daily:todo')}?{urlencode({'kind': key, 'page': str(pages)})}")
    return render(
        request,
        "daily/todo.html",
        {
            "group": group,
            "page": page,
            "pages": pages,
            "previous": page - 1 if page > 1 else None,
            "next": page + 1 if page < pages else None,
        },
    )
