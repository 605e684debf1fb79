"""What the needs pages share: how an estate is found from the URL, category names, and
posted data that may be over the size limit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext as _

from xiaoqu.core.policy import Lookup
from xiaoqu.registry.models import Estate

ESTATE = Lookup(Estate, "estate_id", select_related=("community",))


def percent(share: Decimal) -> str:
    """A share as people read it: 0.4 → "40.0%"."""
    return f"{share * 100:.1f}%"


def posted(request: HttpRequest) -> tuple[Any, Any, str]:
    """POST data and files, or an error when the request is larger than allowed."""
    try:
        return request.POST, request.FILES, ""
    except RequestDataTooBig:
        return (
            None,
            None,
            _("提交的内容太大（超过 5 MB），没有保存。意见最长 2000 字，请删减后重新提交。"),
        )
