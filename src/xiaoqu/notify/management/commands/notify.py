"""xiaoqu notify send [--limit N]: send the queued notifications (docs/notifications.md).

The background worker sends them as they are queued; this command does the same from the
command line or from cron (when no worker runs, or to catch up after a gateway was down).
It sends batches until nothing is due or ``--limit`` messages were handled, and prints what
it did as one JSON object.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.notify.services import SEND_BATCH, deliveries_send


class Command(BaseCommand):
    help = _("消息通知：发送排队中的短信和微信消息")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help=_("发送到期的短信和微信消息（可重复运行）"))
        send.add_argument("--limit", type=int, default=None, help=_("最多处理多少条（默认全部）"))

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        if limit is not None and limit < 1:
            raise CommandError(_("--limit 应为正整数。"), returncode=2)
        total = {"sent": 0, "delivered": 0, "failed": 0, "skipped": 0}
        left = limit
        while left is None or left > 0:
            batch = SEND_BATCH if left is None else min(SEND_BATCH, left)
            report = deliveries_send(limit=batch)
            handled = sum(report[k] for k in total)  # type: ignore[literal-required]
            for k in total:
                total[k] += report[k]  # type: ignore[literal-required]
            if left is not None:
                left -= handled
            if not report["more"] or not handled:
                break
        self.stdout.write(json.dumps(total))
