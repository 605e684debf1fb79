"""xiaoqu import PATH: import a register (xlsx or a csv folder), all or nothing."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.dbcheck import ensure_migrated
from xiaoqu.registry.importing import ImportFailed, RegisterSourceError, import_register
from xiaoqu.registry.importing.spec import ENTITIES, SHEET_LABELS


class ProgressBar:
    """A one-line progress bar redrawn in place; only drawn on a terminal."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.last = 0.0
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if stage == self.stage and not finished and now - self.last < 0.1:
            return
        self.last = now
        self.stage = stage
        total = max(total, 1)
        share = min(done / total, 1.0)
        filled = int(share * self.width)
        bar = "█" * filled + "░" * (self.width - filled)
        self.stream.write(f"\r{stage} [{bar}] {share:4.0%} {done:,}/{total:,}\x1b[K")
        if finished:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = _("导入房屋档案（.xlsx 工作簿或 csv 文件夹），全部成功才写入")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=_(".xlsx 文件或存放 csv 文件的文件夹"))
        parser.add_argument("--no-progress", action="store_true", help=_("不显示进度条"))

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_migrated()
        path = Path(options["path"])
        progress = None
        if not options["no_progress"] and sys.stderr.isatty():
            progress = ProgressBar(sys.stderr)
        try:
            report = import_register(path, progress=progress)
        except RegisterSourceError as exc:
            self.stderr.write(str(exc))
            sys.exit(2)
        except ImportFailed as exc:
            self.stderr.write(str(exc))
            for line in exc.lines():
                self.stderr.write("  " + line)
            sys.exit(1)
        self.stdout.write(
            _("导入完成：%(rows)d 行，用时 %(seconds).1f 秒")
            % {"rows": report.rows, "seconds": report.seconds}
        )
        for key in ENTITIES:
            created, updated = report.created[key], report.updated[key]
            if created or updated:
                self.stdout.write(
                    _("  %(what)s：新增 %(created)d，更新 %(updated)d")
                    % {"what": SHEET_LABELS[key], "created": created, "updated": updated}
                )
        if not report.total_created and not report.total_updated:
            self.stdout.write(_("  数据与系统中一致，没有改动"))
