"""Uploaded photos and documents (opinions, visits, ballot scans, meeting and site photos,
vouchers): one check, one sniffer, one way to serve them back."""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError

# The default of XIAOQU_PHOTO_MAX_BYTES (settings); pages that take a photo with a little text
# size their request limit from it.
PHOTO_MAX_BYTES = 8 * 1024 * 1024
# Pillow's format names of the photos we take → content type and the extension stored.
PHOTO_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
# Larger than any phone's camera (a 200-megapixel sensor); beyond it a small file that would
# decode to gigabytes of pixels (a "decompression bomb") is refused.
PHOTO_MAX_PIXELS = 200_000_000


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


def photo_max_bytes() -> int:
    return int(getattr(settings, "XIAOQU_PHOTO_MAX_BYTES", PHOTO_MAX_BYTES))


def sniff_image(file: IO[bytes]) -> str | None:
    """The extension (``jpg``, ``png``, ``gif``, ``webp``) of an image that Pillow reads as a
    whole picture of one of our formats, else None. The file is left at its start."""
    from PIL import Image, UnidentifiedImageError

    try:
        file.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=list(PHOTO_FORMATS)) as image:
                fmt = image.format
                width, height = image.size
                if width * height > PHOTO_MAX_PIXELS:
                    return None
                image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ):
        return None
    finally:
        file.seek(0)
    return PHOTO_FORMATS[fmt][1] if fmt in PHOTO_FORMATS else None


def check_photo(photo: UploadedFile | None) -> None:
    """A photo must really be a JPEG, PNG, WebP or GIF picture (read by Pillow, whatever its
    name says) of at most ``XIAOQU_PHOTO_MAX_BYTES``.

    The photo is renamed to a random name with its real type's extension, so nothing of the
    client's name (``poly.php``, ``x.html``) reaches the disk.
    """
    if photo is None:
        return
    limit = photo_max_bytes()
    if photo.size is not None and photo.size > limit:
        raise DomainError(
            _("照片太大（%(mb).1f MB），最大 %(max)d MB。")
            % {"mb": photo.size / 1024 / 1024, "max": limit // 1024 // 1024},
            code="photo_too_large",
        )
    extension = sniff_image(photo)
    if extension is None:
        raise DomainError(
            _("照片格式不支持：请上传 JPG、PNG、WebP 或 GIF 图片。"), code="photo_type"
        )
    photo.name = f"{secrets.token_hex(12)}.{extension}"


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
