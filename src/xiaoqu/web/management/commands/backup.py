"""xiaoqu backup FILE: the whole database and the uploaded files, one snapshot, in one file
that any database restores (docs/operations.md; the format is in xiaoqu.core.backup)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.backup import BackupError, backup
from xiaoqu.core.dbcheck import ensure_migrated


class Command(BaseCommand):
    help = _("备份：把整个数据库和上传的文件写入一个文件（与数据库种类无关）")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("备份文件（zip）"))

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_migrated()
        log = self.stderr.write if options["verbosity"] > 1 else (lambda _: None)
        try:
            result = backup(options["file"], log=log)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for warning in result.warnings:
            self.stderr.write(_("警告：%(warning)s") % {"warning": warning})
        self.stdout.write(
            _("备份完成：%(tables)d 张表，%(rows)d 行，%(files)d 个文件，%(mb).1f MB → %(file)s")
            % {
                "tables": result.tables,
                "rows": result.rows,
                "files": result.files,
                "mb": result.bytes / 1e6,
                "file": options["file"],
            }
        )
