"""xiaoqu rollup --region CODE [--json] | --check [--repair]: a region's figures, or the
stored figures checked against a count from scratch (docs/cli.md, docs/insights.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.dbcheck import ensure_migrated
from xiaoqu.insights import report, selectors, services
from xiaoqu.registry.models import Region

# Differences listed one per line before the rest are only counted.
SHOW_DIFFERENCES = 50


class Command(BaseCommand):
    help = _("区划及其下级的汇总数据；或从头重算核对已存的汇总数据")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", help=_("区划代码"))
        parser.add_argument("--json", action="store_true", help=_("输出一个 JSON 对象"))
        parser.add_argument(
            "--check", action="store_true", help=_("从头重算全部小区的数据，报告与已存数据的差异")
        )
        parser.add_argument(
            "--repair", action="store_true", help=_("与 --check 一起：用重算结果替换已存数据")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_migrated()
        if options["check"]:
            self._check(repair=options["repair"])
            return
        if options["repair"]:
            raise CommandError(_("--repair 只能与 --check 一起使用。"), returncode=2)
        code = (options["region"] or "").strip()
        if not code:
            raise CommandError(_("请用 --region 指定区划代码，或使用 --check。"), returncode=2)
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(_("没有代码为 %(code)s 的区划。") % {"code": code}, returncode=2)
        figures, children = selectors.region_figures(region)
        data = report.rollup_json(region, figures, children)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self._table(data)

    def _table(self, data: dict[str, Any]) -> None:
        self.stdout.write(f"{data['name']}（{data['region']}）")
        rows = [
            (_("小区"), data["estates"]),
            (_("符合改造条件的小区"), data["eligible_estates"]),
            (_("楼栋"), data["buildings"]),
            (_("房屋"), data["dwellings"]),
            (_("户数"), data["households"]),
            (_("已改造受益户数"), data["renovation"]["households_benefited"]),
            (_("居民意见"), data["needs"]["opinions"]),
            (_("需求"), data["needs"]["demands"]),
            (_("已列入方案或完成的需求"), data["needs"]["demands_addressed"]),
            (_("会议"), data["meetings"]["held"]),
            (_("通过的表决"), data["votes"]["passed"]),
            (_("项目"), data["renovation"]["projects"]),
            (_("未办结工单"), data["work_orders"]["open"]),
        ]
        for label, value in rows:
            self.stdout.write(f"{label}\t{value:,}")
        for stage, n in data["by_stage"].items():
            self.stdout.write(f"{_('改造阶段')} {stage}\t{n:,}")

    def _check(self, *, repair: bool) -> None:
        result = services.check(repair=repair)
        for d in result.differences[:SHOW_DIFFERENCES]:
            self.stdout.write(f"estate {d.estate_id}\t{d.figure}\t{d.stored!r} → {d.counted!r}")
        more = len(result.differences) - SHOW_DIFFERENCES
        if more > 0:
            self.stdout.write(_("……另有 %(n)d 处差异") % {"n": more})
        self.stdout.write(
            _("%(estates)d 个小区，%(diff)d 处差异，用时 %(s).1f 秒%(repaired)s")
            % {
                "estates": result.estates,
                "diff": len(result.differences),
                "s": result.seconds,
                "repaired": _("，已按重算结果修复") if result.repaired else "",
            }
        )
        if result.differences and not repair:
            raise CommandError(_("汇总数据与重算结果不一致。"), returncode=1)
