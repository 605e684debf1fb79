"""`xiaoqu worker`: the background worker on its own, for a deployment whose app servers run
`xiaoqu serve --no-worker` (docs/deployment.md): the same supervised `xiaoqu db_worker` that
`xiaoqu serve` starts beside gunicorn, run until SIGTERM or Ctrl-C."""

from __future__ import annotations

import math
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from xiaoqu.core.dbcheck import ensure_migrated
from xiaoqu.web.management.worker import STOP_GRACE_SECONDS, background_worker, worker_needed


class Command(BaseCommand):
    help = _("单独运行后台任务进程（网站用 xiaoqu serve --no-worker 运行时）")

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            default="*",
            help=_("处理哪些队列，用逗号分隔（默认 *：全部队列）"),
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help=_("没有任务时每隔几秒查看一次队列（默认 1）"),
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=STOP_GRACE_SECONDS,
            help=_("收到停止信号后等待当前任务完成的秒数（默认 10）"),
        )

    def handle(self, *args: Any, queue: str, interval: float, grace: float, **options) -> None:
        queues = ",".join(q.strip() for q in queue.split(","))
        if not queues or any(not q for q in queues.split(",")):
            raise CommandError(_("队列名不能为空。"), returncode=2)
        if not math.isfinite(interval) or interval <= 0:
            raise CommandError(_("间隔秒数须大于 0。"), returncode=2)
        if not math.isfinite(grace) or grace < 0:
            raise CommandError(_("等待秒数不能为负数。"), returncode=2)
        if not worker_needed():
            raise CommandError(
                _("任务后端 %(backend)s 不需要后台任务进程：任务在提交它的进程里执行。")
                % {"backend": settings.TASKS["default"]["BACKEND"]}
            )
        ensure_migrated()
        # The worker is a process of its own: no connection of ours is shared with it.
        connections.close_all()
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda *_args: stop.set())
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        verbosity = options.get("verbosity", 1)
        try:
            with background_worker(
                verbosity=verbosity, queues=queues, interval=interval, grace=grace
            ):
                if verbosity:
                    self.stderr.write(
                        _("后台任务进程已启动（队列：%(queues)s），按 Ctrl+C 或发送 SIGTERM 停止。")
                        % {"queues": queues}
                    )
                while not stop.wait(1.0):
                    pass
                if verbosity:
                    self.stderr.write(_("正在停止：等待当前任务完成……"))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if verbosity:
            self.stderr.write(_("后台任务进程已停止。"))
