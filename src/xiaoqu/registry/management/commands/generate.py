"""`xiaoqu generate`: write a register that `xiaoqu import` reads (synthetic, or the demo)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.registry.generator import PRESETS, GenerateError, generate_register
from xiaoqu.registry.importing.spec import SHEETS


class Command(BaseCommand):
    requires_system_checks: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not on the class, so the text is translated in the active language.
        self.help = _(
            "生成一份合成但逼真的登记册（区划、小区、楼栋、单元、房屋、人员、产权），"
            "写成 xiaoqu import 可读的 csv 文件夹。同样的参数和种子生成完全相同的文件。"
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--estates", type=int, help=_("小区数量（使用 --preset 时可省略）"))
        parser.add_argument(
            "--dwellings",
            type=int,
            help=_("房屋总数，不少于小区数量（使用 --preset 时可省略）"),
        )
        parser.add_argument(
            "--out", required=True, type=Path, help=_("输出文件夹（须不存在或为空）")
        )
        # No default here: the demo preset refuses a seed, the others take 1.
        parser.add_argument("--seed", type=int, help=_("随机种子，默认 1"))
        parser.add_argument(
            "--preset",
            choices=sorted(PRESETS),
            help=_(
                "预设：guizhou 为贵州省真实区划，5,601 个小区、901,400 套房屋；"
                "national 为全国 31 个省份，约 22 万个小区、3,800 万套房屋，每省一个文件夹"
                "（--estates、--dwellings 为全国总数）；"
                "demo 为演示档案（xiaoqu demo 导入的数据）"
            ),
        )
        parser.add_argument(
            "--force", action="store_true", help=_("覆盖非空输出文件夹中的登记文件")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            summary = generate_register(
                options["out"],
                estates=options["estates"],
                dwellings=options["dwellings"],
                seed=options["seed"],
                preset=options["preset"],
                force=options["force"],
            )
        except GenerateError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        counts = summary.as_dict()
        for sheet in SHEETS:
            if sheet.key in counts:
                # The sheet names are the format's words; shown in the active language.
                label = _(sheet.label)
                self.stdout.write(f"{label}\t{sheet.filename}\t{counts[sheet.key]:>12,}")
        self.stdout.write(
            _("已写入 %(path)s，用时 %(seconds).1f 秒。")
            % {"path": options["out"], "seconds": time.perf_counter() - started}
        )
