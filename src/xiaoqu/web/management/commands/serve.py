"""`xiaoqu serve`: the production server (gunicorn) on the configured database, with the
background worker that runs queued tasks beside it (see xiaoqu.web.management.worker)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from xiaoqu.web.management import ensure_local_dirs
from xiaoqu.web.management.worker import background_worker


def default_workers() -> int:
    """One worker a core (at least 2, at most 8): a request is mostly Python on a core, and
    `xiaoqu bench load` served most with as many workers as cores, less with gunicorn's usual
    2 × cores + 1 (docs/operations.md#how-many-workers)."""
    return min(max(os.cpu_count() or 1, 2), 8)


def _unapplied_migrations() -> int:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = _("在已配置的数据库上启动生产环境网站（gunicorn）")

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8000",
            help=_("监听地址（默认 127.0.0.1:8000）"),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help=_("工作进程数（默认等于 CPU 核数，至少 2，最多 8）"),
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=60,
            help=_("请求超时秒数（默认 60）"),
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help=_("不在本机启动后台任务进程（已另行运行 xiaoqu db_worker 时）"),
        )

    def handle(
        self, *args, bind: str, workers: int, timeout: int, no_worker: bool, **options
    ) -> None:
        # Settings only insist on a secret key outside debug mode; a production server
        # insists always, so a forgotten XIAOQU_DEBUG=1 cannot run on the public dev key.
        if not os.environ.get("XIAOQU_SECRET_KEY"):
            raise CommandError(_("未设置 XIAOQU_SECRET_KEY，生产环境网站拒绝启动。"))
        if workers < 1:
            raise CommandError(_("工作进程数至少为 1。"), returncode=2)
        if settings.DEBUG:
            self.stderr.write(_("警告：XIAOQU_DEBUG 已开启，生产环境请关闭。"))
        ensure_local_dirs()
        pending = _unapplied_migrations()
        if pending:
            self.stderr.write(
                _("警告：有 %(n)d 个数据库迁移尚未执行，请先运行 xiaoqu migrate。") % {"n": pending}
            )
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        # Workers are forked: no connection may be shared with them.
        connections.close_all()
        if no_worker:
            _run_gunicorn({"bind": bind, "workers": workers, "timeout": timeout})
            return
        with background_worker(verbosity=options.get("verbosity", 1)):
            _run_gunicorn({"bind": bind, "workers": workers, "timeout": timeout})


def _run_gunicorn(options: dict[str, Any]) -> None:
    from django.core.wsgi import get_wsgi_application
    from gunicorn.app.base import BaseApplication

    class XiaoquApplication(BaseApplication):
        def load_config(self) -> None:
            for key, value in {**options, "accesslog": "-", "errorlog": "-"}.items():
                self.cfg.set(key, value)
            # gunicorn >= 25.1 opens a control socket at one fixed path per user, which a
            # second instance on the same host would take over; nothing here uses it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return get_wsgi_application()

    XiaoquApplication().run()
