"""`xiaoqu demo`: migrate the local database, load the demo data, print the logins, serve
the site with its background worker.

The data are loaded once: on a database that already holds the demo nothing is loaded again,
so what people changed on the site stays; ``--refresh`` loads it again (docs/cli.md)."""

from __future__ import annotations

import socket
import unicodedata

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.demo import DemoLogin, demo_loaded, demo_logins, load_demo
from xiaoqu.web.management import ensure_local_dirs
from xiaoqu.web.management.worker import background_worker


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def logins_table(logins: list[DemoLogin]) -> str:
    """A plain-text table; CJK characters count as two columns so it lines up in a terminal."""
    header = ("角色 Role", "手机号 Phone", "密码 Password", "范围 Scope")
    rows = [(f"{Role(role).label} {role}", phone, pw, scope) for role, phone, pw, scope in logins]
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(4)]
    lines = [
        "  ".join(_pad(str(c), w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def port_free_or_fail(addrport: str) -> None:
    """Refuse, with how to choose another port, when ``addrport`` cannot be listened on."""
    host, _sep, port_text = addrport.rpartition(":")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise CommandError(_("地址和端口不正确：%(a)s（例如 127.0.0.1:8000）") % {"a": addrport})
    port = int(port_text)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host.strip("[]") or "127.0.0.1", port))
        except OSError as exc:
            raise CommandError(
                _(
                    "端口 %(port)d 已被占用（%(why)s），演示网站无法启动。"
                    "请换一个端口：make demo PORT=%(other)d"
                    "（或 xiaoqu demo --addrport 127.0.0.1:%(other)d）。"
                )
                % {"port": port, "why": exc.strerror or exc, "other": port + 1}
            ) from None


class Command(BaseCommand):
    help = _("创建或迁移本地数据库，载入演示数据，打印演示账号，并在本机启动网站")

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help=_("只准备数据库和演示数据，不启动网站"),
        )
        parser.add_argument(
            "--refresh",
            action="store_true",
            help=_(
                "数据库里已有演示数据时也重新载入：演示数据恢复原样，在网站上对它们的修改会被覆盖"
            ),
        )
        parser.add_argument(
            "--addrport",
            default="127.0.0.1:8000",
            help=_("网站监听的地址和端口（默认 127.0.0.1:8000）"),
        )

    def handle(
        self, *args, no_serve: bool, addrport: str, refresh: bool = False, **options
    ) -> None:
        if not no_serve:
            # Before anything is loaded or printed: a taken port would fail only at the end.
            port_free_or_fail(addrport)
        ensure_local_dirs()
        verbosity = options.get("verbosity", 1)
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        if demo_loaded() and not refresh:
            # Loading again would set the demo's rows back and undo what people changed.
            if verbosity:
                self.stdout.write(
                    _(
                        "数据库里已有演示数据，这次不再载入，在网站上做的修改都保留。"
                        "要恢复原样的演示数据，请运行 xiaoqu demo --refresh"
                        "（或 make demo REFRESH=1）。"
                    )
                )
            logins = demo_logins()
        else:
            try:
                logins = load_demo(stdout=self.stdout if verbosity else None)
            except DomainError as exc:
                # An import failure carries every row error; show them, not a traceback.
                lines = exc.lines() if hasattr(exc, "lines") else []
                raise CommandError("\n".join([exc.message, *lines])) from exc
        self.stdout.write("")
        self.stdout.write(_("演示账号（密码相同）"))
        self.stdout.write(logins_table(logins))
        self.stdout.write("")
        if no_serve:
            return
        self.stdout.write(
            _("打开 http://%(addr)s/ 并用上面的手机号和密码登录。") % {"addr": addrport}
        )
        # The life-circle analysis runs in a background worker beside the site.
        with background_worker(verbosity=verbosity):
            # No autoreloader: it would run this whole command again in a child process.
            call_command("runserver", addrport, use_reloader=False, insecure_serving=True)
