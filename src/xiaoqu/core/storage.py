"""Uploaded files written whole or not at all (docs/operations.md, "Faults").

Django's file-system storage writes an upload straight under its final name: when the disk
fills half-way (``ENOSPC``) the half-written file stays there under that name. This storage
writes to a hidden temporary file in the same folder and links it to its final name only once
every byte is written; on any failure the temporary file is removed, and a full disk is
raised as ``StorageFull``, which the site answers with a page that says so
(``xiaoqu.web.views.server_error``) while the transaction of the change that carried the file
is undone.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import suppress
from typing import Any

from django.core.files.storage import FileSystemStorage


class StorageFull(OSError):
    """The disk (or the user's quota) is full: nothing of the file was kept."""


class WholeFileStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            while True:
                try:
                    os.link(partial, full_path)  # never over an existing file
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(error.errno, os.strerror(error.errno)) from error
            raise
        finally:
            with suppress(FileNotFoundError):
                os.unlink(partial)
        if self.file_permissions_mode is not None:
            os.chmod(full_path, self.file_permissions_mode)
        else:
            # mkstemp makes the file readable by its owner only; give it the usual mode.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(full_path, 0o666 & ~umask)
        return os.path.relpath(full_path, self.location).replace("\\", "/")
