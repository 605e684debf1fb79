"""xiaoqu restore FILE: a backup into an empty database and MEDIA_ROOT, then the ballot chains
checked (docs/operations.md).

Exit 2, nothing written: a truncated or corrupt file, a database that already holds data, a
backup from a newer program. Exit 1: restored, but ``xiaoqu audit verify`` finds a break.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.backup import BackupError, restore
from xiaoqu.decisions.verify import verify_all

# Tables a data migration fills in every database (the facility types of GB 50180-2018): an
# "empty" database may hold their rows, which the backup's replace.
SEEDED = ("lifecircle.facilitytype",)


class Command(BaseCommand):
    help = _("恢复：把备份文件写入一个空数据库（必要时先建表），然后核验选票链")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("备份文件（zip）"))

    def handle(self, *args: Any, **options: Any) -> None:
        log = self.stderr.write if options["verbosity"] > 1 else (lambda _: None)
        try:
            result = restore(options["file"], seeded=SEEDED, log=log)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        votes, ballots, problems = verify_all()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(
                _(
                    "已恢复，但选票链核验未通过：%(n)d 处问题（%(votes)d 次表决，%(ballots)d 张选票）"
                )
                % {"n": len(problems), "votes": votes, "ballots": ballots},
                returncode=1,
            )
        self.stdout.write(
            _(
                "恢复完成：%(tables)d 张表，%(rows)d 行，%(files)d 个文件；"
                "选票链核验通过（%(votes)d 次表决，%(ballots)d 张选票）。"
            )
            % {
                "tables": result.tables,
                "rows": result.rows,
                "files": result.files,
                "votes": votes,
                "ballots": ballots,
            }
        )
        if result.migrated_forward:
            self.stdout.write(_("备份来自较早的版本：恢复后已迁移到当前版本。"))
