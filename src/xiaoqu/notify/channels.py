"""The channels a notification goes out on beyond the in-app inbox: SMS and WeChat
subscription messages, each behind a backend chosen in the settings.

A backend takes one :class:`Message` and answers with an :class:`Outcome`: accepted by the
gateway (sent), perhaps already delivered, or refused with a reason. It may also raise: the
sender records any exception as a failure and never lets it reach a page or a service. The
console backends print what they would send (development), the memory backends keep it in a
list (tests); none of them touches the network. How to plug a real gateway:
docs/notifications.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar, Protocol, TextIO

from django.conf import settings
from django.utils.module_loading import import_string

from xiaoqu.core.pii import mask_phone
from xiaoqu.notify.models import mask_openid


@dataclass(frozen=True)
class Message:
    """What one delivery sends: the address (a phone number or a WeChat openid), the text,
    and the link to act on (absolute when ``XIAOQU_SITE_URL`` is set). ``kind`` lets a
    gateway choose its registered template (SMS templates and WeChat subscription templates
    must be approved in advance); ``key`` names the event (``vote:12:reminder``)."""

    address: str
    title: str
    body: str
    url: str
    kind: str
    key: str

    def text(self) -> str:
        """The message as one plain text (what an SMS carries)."""
        parts = [f"{self.title}：{self.body}" if self.body else self.title]
        if self.url:
            parts.append(self.url)
        return " ".join(parts)


@dataclass(frozen=True)
class Outcome:
    """A gateway's answer: ``accepted`` (it took the message), ``delivered`` (it also knows the
    message reached the phone), ``reason`` (why not, in the gateway's words), ``reference``
    (its id of the message, which a later delivery report names)."""

    accepted: bool
    delivered: bool = False
    reason: str = ""
    reference: str = ""


class SmsBackend(Protocol):
    """Sends a text message to ``message.address``, a mainland mobile number."""

    def send(self, message: Message) -> Outcome: ...


class WechatBackend(Protocol):
    """Sends a WeChat subscription message (订阅消息) to ``message.address``, the openid the
    person bound to their login."""

    def send(self, message: Message) -> Outcome: ...


class ConsoleSmsBackend:
    """Prints each message on the console (the phone masked); what a developer uses."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Message) -> Outcome:
        print(
            f"[短信 {mask_phone(message.address)}] {message.text()}", file=self.stream or sys.stderr
        )
        return Outcome(accepted=True)


class ConsoleWechatBackend:
    """Prints each subscription message on the console (the openid shortened)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Message) -> Outcome:
        print(
            f"[微信 {mask_openid(message.address)}] {message.text()}",
            file=self.stream or sys.stderr,
        )
        return Outcome(accepted=True)


class MemorySmsBackend:
    """Keeps the messages in ``outbox`` (tests). Numbers listed in ``refuse`` are refused,
    like a gateway refusing a number; ``MemorySmsBackend.reset()`` empties both."""

    outbox: ClassVar[list[Message]] = []
    refuse: ClassVar[set[str]] = set()

    def send(self, message: Message) -> Outcome:
        if message.address in self.refuse:
            return Outcome(accepted=False, reason="refused by the test gateway")
        self.outbox.append(message)
        return Outcome(accepted=True, reference=f"sms-{len(self.outbox)}")

    @classmethod
    def reset(cls) -> None:
        cls.outbox.clear()
        cls.refuse.clear()


class MemoryWechatBackend:
    """Keeps the subscription messages in ``outbox`` and reports them delivered (tests)."""

    outbox: ClassVar[list[Message]] = []
    refuse: ClassVar[set[str]] = set()

    def send(self, message: Message) -> Outcome:
        if message.address in self.refuse:
            return Outcome(accepted=False, reason="refused by the test gateway")
        self.outbox.append(message)
        return Outcome(accepted=True, delivered=True, reference=f"wx-{len(self.outbox)}")

    @classmethod
    def reset(cls) -> None:
        cls.outbox.clear()
        cls.refuse.clear()


class LoginSmsBackend:
    """Sends through the backend of the SMS login codes (``XIAOQU_SMS_BACKEND``), so that one
    gateway serves both; the default of ``XIAOQU_NOTIFY_SMS_BACKEND``. That interface answers
    nothing, so a message it takes without raising counts as accepted."""

    def send(self, message: Message) -> Outcome:
        from xiaoqu.accounts.sms import get_sms_backend

        get_sms_backend().send(message.address, message.text())
        return Outcome(accepted=True)


def sms_backend() -> SmsBackend:
    """A new instance of the configured SMS backend."""
    backend: SmsBackend = import_string(settings.XIAOQU_NOTIFY_SMS_BACKEND)()
    return backend


def wechat_backend() -> WechatBackend:
    """A new instance of the configured WeChat backend."""
    backend: WechatBackend = import_string(settings.XIAOQU_NOTIFY_WECHAT_BACKEND)()
    return backend
