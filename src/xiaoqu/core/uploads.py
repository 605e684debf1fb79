"""Uploaded photos and documents (opinions, visits, ballot scans, meeting and site photos,
vouchers): one check, one sniffer, one way to serve them back."""

from __future__ import annotations

from collections.abc import Callable

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError

PHOTO_MAX_BYTES = 8 * 1024 * 1024


def image_type(head: bytes) -> str | None:
    """The content type of a JPEG, PNG, GIF or WebP from its first 12 bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(photo: UploadedFile | None) -> None:
    """A photo must be a JPEG, PNG, WebP or GIF of at most 8 MB."""
    if photo is None:
        return
    if photo.size is not None and photo.size > PHOTO_MAX_BYTES:
        raise DomainError(
            _("照片太大（%(mb).1f MB），最大 8 MB。") % {"mb": photo.size / 1024 / 1024},
            code="photo_too_large",
        )
    head = photo.read(12)
    photo.seek(0)
    if image_type(head) is None:
        raise DomainError(
            _("照片格式不支持：请上传 JPG、PNG、WebP 或 GIF 图片。"), code="photo_type"
        )


def stored_file_response(
    stored: File | None,
    *,
    sniff: Callable[[bytes], str | None] = image_type,
    name: Callable[[str], str] | None = None,
) -> FileResponse:
    """Serve an uploaded file to a page that has checked the viewer may see it.

    The content type comes from the file's first bytes (checked on upload), never from its
    name; a file that is missing or no longer of a known type is 404. Images open inline, any
    other type (a PDF voucher) is downloaded; ``name`` gives the file name for the content
    type found. Nothing served here can run
    in the site's pages (nosniff, a sandboxing Content-Security-Policy), and it is cached
    privately only.
    """
    if not stored:
        raise Http404
    try:
        fh = stored.open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    head = fh.read(12)
    fh.seek(0)
    content_type = sniff(head)
    if content_type is None:
        fh.close()
        raise Http404
    response = FileResponse(fh, content_type=content_type)
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    filename = name(content_type) if name is not None else ""
    response["Content-Disposition"] = (
        f'{disposition}; filename="{filename}"' if filename else disposition
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
