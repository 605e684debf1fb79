"""xiaoqu privacy: personal-information housekeeping (docs/personal-information.md).

* ``xiaoqu privacy purge [--dry-run]``: delete what is past its retention period — visit
  photos (``XIAOQU_RETENTION_VISIT_PHOTOS_DAYS``, the files too), rows of the
  personal-information access log (``XIAOQU_RETENTION_ACCESS_EVENTS_DAYS``) and access-control
  events (``XIAOQU_ACCESS_RETENTION_DAYS``); idempotent, run daily from cron. Prints the
  counts as one JSON object; ``--dry-run`` only counts.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError
from xiaoqu.privacy.services import privacy_purge


class Command(BaseCommand):
    help = _("个人信息：按保留期删除走访照片、访问记录和门禁通行记录")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser("purge", help=_("删除超过保留期的个人信息（可重复运行）"))
        purge.add_argument("--dry-run", action="store_true", help=_("只统计，不删除"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = privacy_purge(dry_run=options["dry_run"])
        except DomainError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(json.dumps(done))
