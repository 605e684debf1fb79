"""The request a needs page or endpoint receives once its declaration has let it through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request with a signed-in user: every needs page but none is declared with a
    permission or ``AUTHENTICATED`` (``core.policy.requires``), and the API authenticates
    every caller, so views and endpoints read ``request.user`` as a ``User``."""

    user: User
