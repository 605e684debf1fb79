"""SMS sending: an interface, and a console backend for development."""

from __future__ import annotations

import sys
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, phone: str, message: str) -> None: ...


class ConsoleSmsBackend:
    """Prints the message; what a developer uses instead of an SMS gateway."""

    def send(self, phone: str, message: str) -> None:
        print(f"[SMS to {phone}] {message}", file=sys.stderr)


class MemorySmsBackend:
    """Keeps messages in a list (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, message: str) -> None:
        self.outbox.append((phone, message))


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
