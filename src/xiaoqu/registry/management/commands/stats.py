"""xiaoqu stats [--json]: how many regions, estates, buildings, entrances, dwellings, people."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoqu.core.dbcheck import ensure_migrated
from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate, Person, Region

# The keys are a contract with outside tools (docs/cli.md): exactly these, integers.
COUNTS = (
    ("regions", Region, gettext_lazy("行政区划")),
    ("estates", Estate, gettext_lazy("小区")),
    ("buildings", Building, gettext_lazy("楼栋")),
    ("entrances", Entrance, gettext_lazy("单元")),
    ("dwellings", Dwelling, gettext_lazy("房屋")),
    ("people", Person, gettext_lazy("人员")),
)


def register_counts() -> dict[str, int]:
    return {key: int(model.objects.count()) for key, model, _label in COUNTS}


class Command(BaseCommand):
    help = _("显示当前数据库中的档案数量")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help=_("输出一个 JSON 对象"))

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_migrated()
        counts = register_counts()
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        width = max(len(f"{n:,}") for n in counts.values())
        for key, _model, label in COUNTS:
            self.stdout.write(f"{label}\t{counts[key]:>{width},}")
