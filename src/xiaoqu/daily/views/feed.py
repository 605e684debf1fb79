"""The resident's feed (今天): the landing page of residents and owners (docs/daily.md)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.policy import AUTHENTICATED, requires
from xiaoqu.daily.feed import resident_feed


@require_GET
@requires(AUTHENTICATED)
def feed(request: AuthenticatedRequest) -> HttpResponse:
    """What concerns the signed-in user now in the estates where they live or own. Reads the
    user's own person only, so any signed-in user may open it; plain HTML, no script."""
    return render(request, "daily/feed.html", {"feed": resident_feed(user=request.user)})
