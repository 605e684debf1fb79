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
        facilities = sub.add_parser(
            "facilities",
            help=_("导入设施：.osm/.osm.pbf 等按标签识别，.xlsx/.csv 按 id,type,lat,lon"),
        )
        facilities.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "facilities":
            self._facilities(options["path"])
            return
        code = execute(Namespace(**options), self.stdout)
        if code:
            raise CommandError(_("输入有误，见上面的说明。"), returncode=code)

    def _facilities(self, path: str) -> None:
        from pathlib import Path

        from django.core.files.uploadedfile import SimpleUploadedFile

        from xiaoqu.core.dbcheck import ensure_migrated
        from xiaoqu.core.errors import DomainError
        from xiaoqu.lifecircle import services

        ensure_migrated()
        file = Path(path)
        if file.name.lower().endswith((".geojson", ".json")):
            raise CommandError(
                _(
                    "GeoJSON 文件是路网（道路线），不含设施：设施请用 OpenStreetMap 文件"
                    "（.osm、.osm.pbf 等，按标签识别）或 .xlsx/.csv 表格导入。"
                ),
                returncode=2,
            )
        try:
            if file.name.lower().endswith((".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf")):
                result = services.facilities_import_osm(path=file, actor=None)
            else:
                upload = SimpleUploadedFile(file.name, file.read_bytes())
                result = services.facilities_import_file(upload=upload, actor=None)
        except (DomainError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(
            _("设施导入完成：新增 %(c)d 处，更新 %(u)d 处。")
            % {"c": result.created, "u": result.updated}
        )
