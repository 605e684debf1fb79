"""xiaoqu lifecircle nearest: walking distance to the nearest facility of each type.

The work is done by ``xiaoqu.lifecircle.nearest_cli`` (which ``xiaoqu`` runs before Django
starts); this command makes the same available as ``manage.py lifecircle nearest``.
"""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.lifecircle.nearest_cli import add_options, execute


class Command(BaseCommand):
    help = _("15分钟生活圈：步行到各类设施的最近距离")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        nearest = sub.add_parser("nearest", help=_("每个起点到各类设施的最近步行距离（CSV）"))
        add_options(nearest)

    def handle(self, *args: Any, **options: Any) -> None:
        code = execute(Namespace(**options), self.stdout)
        if code:
            raise CommandError(_("输入有误，见上面的说明。"), returncode=code)
