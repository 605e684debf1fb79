"""Uploaded photos (opinions, visits, ballot scans, meeting photos): one check, one sniffer."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
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
