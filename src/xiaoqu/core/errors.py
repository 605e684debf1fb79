"""Domain errors carry a stable code plus a message for people."""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message
