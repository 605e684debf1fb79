"""The request a page declared with ``requires(...)`` (anything but PUBLIC) receives: its user
is signed in, so services can take ``request.user`` as their actor."""

from __future__ import annotations

from django.http import HttpRequest

from xiaoqu.accounts.models import User


class SignedInRequest(HttpRequest):
    user: User
