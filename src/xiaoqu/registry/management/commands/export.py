"""xiaoqu export PATH: the whole register in the import format (xlsx or a csv folder)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.access_log import FIELD_RECORD, access_record
from xiaoqu.core.dbcheck import ensure_migrated
from xiaoqu.core.models import AccessAction
from xiaoqu.registry.exporter import export_register
from xiaoqu.registry.importing.spec import SHEET_LABELS


class Command(BaseCommand):
    help = _("导出房屋档案：PATH 以 .xlsx 结尾时写工作簿，否则写 csv 文件夹（UTF-8 带 BOM）")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=_("目标 .xlsx 文件或文件夹"))

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_migrated()
        path = Path(options["path"])
        if path.exists() and path.suffix.lower() != ".xlsx" and not path.is_dir():
            self.stderr.write(_("“%(path)s”已存在且不是文件夹") % {"path": path})
            sys.exit(2)
        started = time.perf_counter()
        counts = export_register(path)
        # Names and phones of every person: an export of personal data, in the access log.
        access_record(
            actor=None,
            action=AccessAction.EXPORT,
            field=FIELD_RECORD,
            count=counts.get("people", 0),
            description=_("房屋档案全量导出：%(path)s") % {"path": path},
            path="xiaoqu export",
        )
        self.stdout.write(
            _("已导出到 %(path)s，用时 %(s).1f 秒")
            % {"path": path, "s": time.perf_counter() - started}
        )
        for key, count in counts.items():
            self.stdout.write(f"  {SHEET_LABELS[key]}：{count}")
