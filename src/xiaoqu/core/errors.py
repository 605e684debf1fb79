"""Domain errors carry a stable code plus a message for people."""

from __future__ import annotations

import errno


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


# --- failures of the machine, not of the request (docs/operations.md, "Faults") -------------


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether an error means the database cannot be reached now (restarting, down, the
    connection cut, SQLite locked by another writer) rather than a fault of the request."""
    from django.db.utils import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


def storage_full(exc: BaseException | None) -> bool:
    """Whether an error means the disk for uploaded files is full (``core.storage``)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
