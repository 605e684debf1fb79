"""The request a page or endpoint receives once its declaration has let it through.

Pages declared with ``core.policy.requires`` (anything but PUBLIC) and every API endpoint
(which authenticates its caller) have a signed-in user, so they read ``request.user`` as a
``User`` and may pass it to services as their actor.
"""

from __future__ import annotations

from django.http import HttpRequest

from xiaoqu.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    user: User
