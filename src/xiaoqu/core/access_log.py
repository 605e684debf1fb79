"""The personal-information access log: who revealed, viewed or exported whose data.

Pages note what they show with :func:`access_note`; the notes of one request are kept on the
request and written by :class:`AccessLogMiddleware` in one bulk insert once the response is
ready (and only for a response that succeeded), so that a list page costs one INSERT more,
not one per row. Commands and tasks, which have no request, write with
:func:`access_record`. Exports also carry a watermark naming the exporter
(:func:`watermark_text`, :func:`xlsx_watermark`). See docs/personal-information.md.

This module imports no app: subjects are ``registry.Person`` ids as plain integers.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from xiaoqu.core.client import client_address
from xiaoqu.core.models import AccessAction, AccessEvent

_NOTES = "_xiaoqu_access_events"
# The request being served, for access_note_current (set and reset by the middleware).
_current: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "xiaoqu_access_request", default=None
)

# What a note's ``field`` names (kept short; shown translated on the log page).
FIELD_PHONE = "phone"
FIELD_ID_LAST4 = "id_last4"
FIELD_NAME = "name"
FIELD_RECORD = "record"
FIELD_SENSITIVE = "sensitive"
FIELD_LABELS = {
    FIELD_PHONE: gettext_noop("完整手机号"),
    FIELD_ID_LAST4: gettext_noop("证件号后四位"),
    FIELD_NAME: gettext_noop("完整姓名"),
    FIELD_RECORD: gettext_noop("人员档案"),
    FIELD_SENSITIVE: gettext_noop("敏感个人信息"),
}


def actor_label(user: Any) -> str:
    """How the actor is named in the row, kept even if the account is later deleted."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _("命令行")
    return str(user)[:64]


def _subjects(ids: Iterable[int]) -> tuple[str, int]:
    unique = sorted({int(i) for i in ids if i})
    return ("," + ",".join(map(str, unique)) + "," if unique else ""), len(unique)


def _event(
    *,
    actor: Any,
    action: str,
    field: str,
    subjects: Iterable[int],
    count: int | None,
    description: str,
    path: str,
    address: str | None,
) -> AccessEvent:
    if action not in AccessAction.values:
        raise ValueError(f"unknown access action {action!r}")
    subject_ids, n = _subjects(subjects)
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AccessEvent(
        at=timezone.now(),
        actor=user,
        actor_label=actor_label(user),
        action=action,
        field=field,
        subject_ids=subject_ids,
        subject_count=count if count is not None else n,
        description=description[:300],
        path=path[:300],
        address=address,
    )


def _address(request: HttpRequest) -> str | None:
    """The client's address (``core.client``: the load balancer's header when configured),
    or None when there is none or it is not an IP address (the column holds only those)."""
    address = client_address(request) or None
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def access_note(
    request: HttpRequest,
    *,
    action: str,
    field: str = "",
    subjects: Iterable[int] = (),
    count: int | None = None,
    description: str = "",
) -> None:
    """Note that this request shows or exports personal data of ``subjects`` (Person ids).

    Nothing is written until the response is ready; an exception or an error response
    writes nothing (nothing was shown). A note with no subjects and no count is dropped.
    """
    event = _event(
        actor=getattr(request, "user", None),
        action=action,
        field=field,
        subjects=subjects,
        count=count,
        description=description,
        path=request.get_full_path(),
        address=_address(request),
    )
    if not event.subject_count:
        return
    notes: list[AccessEvent] = request.__dict__.setdefault(_NOTES, [])
    # Notes of one kind in one request are one row: a list noting each of its rows still
    # writes one row per field (the subjects merged, counts of subject-less notes added).
    for note in notes:
        if (note.action, note.field, note.description) == (action, field, event.description):
            if event.subject_ids or note.subject_ids:
                merged = set(note.subjects) | set(event.subjects)
                note.subject_ids, note.subject_count = _subjects(merged)
            else:
                note.subject_count += event.subject_count
            return
    notes.append(event)


def access_note_current(
    *,
    action: str,
    field: str = "",
    subjects: Iterable[int] = (),
    count: int | None = None,
    description: str = "",
) -> None:
    """:func:`access_note` for code that has no request at hand (a selector building the
    rows of an API answer): notes on the request the middleware is serving, if any."""
    request = _current.get()
    if request is not None:
        access_note(
            request,
            action=action,
            field=field,
            subjects=subjects,
            count=count,
            description=description,
        )


def access_record(
    *,
    actor: Any,
    action: str,
    field: str = "",
    subjects: Iterable[int] = (),
    count: int | None = None,
    description: str = "",
    path: str = "",
) -> AccessEvent:
    """Write one row now (commands and tasks, which have no request)."""
    event = _event(
        actor=actor,
        action=action,
        field=field,
        subjects=subjects,
        count=count,
        description=description,
        path=path,
        address=None,
    )
    event.save()
    return event


def flush(request: HttpRequest) -> int:
    """Write the request's notes in one bulk insert; returns how many."""
    notes: list[AccessEvent] = request.__dict__.pop(_NOTES, [])
    if notes:
        AccessEvent.objects.bulk_create(notes)
    return len(notes)


class AccessLogMiddleware:
    """Writes the notes of a request once its response succeeded (status below 400)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = _current.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if response.status_code < 400:
            flush(request)
        else:
            request.__dict__.pop(_NOTES, None)
        return response


# --- watermarks on exports ---------------------------------------------------------------


def watermark_text(user: Any, at: dt.datetime | None = None) -> str:
    """导出人：张三 时间：2026-12-03 16:02 — the line every export of personal data carries."""
    at = timezone.localtime(at or timezone.now())
    return _("导出人：%(who)s 时间：%(at)s") % {
        "who": actor_label(user),
        "at": at.strftime("%Y-%m-%d %H:%M"),
    }


def xlsx_watermark(book: Any, sheets: Iterable[Any], *, user: Any, title: str = "") -> str:
    """Mark an openpyxl workbook with its exporter: the document properties (creator, title,
    description) and every sheet's printed header and footer. Returns the text, for callers
    that also put it in a first row (those whose files are not read back by an import)."""
    text = watermark_text(user)
    book.properties.creator = actor_label(user)
    book.properties.lastModifiedBy = actor_label(user)
    book.properties.title = title or book.properties.title
    book.properties.description = text
    book.properties.keywords = _("含个人信息，仅限工作使用")
    for sheet in sheets:
        sheet.oddHeader.right.text = text
        sheet.oddFooter.center.text = _("含个人信息，仅限工作使用，不得外传")
    return text
