"""xiaoqu open311: keys of the outside systems that post work orders through Open311.

* ``xiaoqu open311 key --name NAME [--region CODE]`` (contract, DESIGN.md): create a key for
  an outside system (a city's 12345 hotline, an app), limited to the region of that code and
  everything under it when given; the key is the last line of stdout, shown this once (only
  its SHA-256 digest is stored). An unknown region: exit 2, message on stderr.
* ``xiaoqu open311 list``: the keys, one a line (id, state, name, region, created), never the
  keys themselves.
* ``xiaoqu open311 revoke ID_OR_KEY``: revoke a key at once, by the id ``list`` shows or by
  the key itself.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError
from xiaoqu.core.keys import key_digest
from xiaoqu.registry.models import Region
from xiaoqu.stewardship.models import Open311Key
from xiaoqu.stewardship.services.open311 import open311_key_create, open311_key_revoke


class Command(BaseCommand):
    help = _("Open311：外部系统（如 12345 热线）的接入密钥")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        key = sub.add_parser("key", help=_("生成密钥（只显示这一次，库中只存摘要）"))
        key.add_argument("--name", required=True, help=_("使用密钥的系统，如“12345热线”"))
        key.add_argument("--region", default="", help=_("只限该区划代码的区域及其下级"))
        sub.add_parser("list", help=_("列出密钥（不含密钥本身）"))
        revoke = sub.add_parser("revoke", help=_("吊销密钥"))
        revoke.add_argument("key", metavar="ID_OR_KEY", help=_("list 显示的编号，或密钥本身"))

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _key(self, options: dict[str, Any]) -> None:
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"].strip()).first()
            if region is None:
                raise CommandError(
                    _("没有代码为 %(code)s 的区划。") % {"code": options["region"]}, returncode=2
                )
        try:
            key, raw = open311_key_create(name=options["name"], region=region)
        except DomainError as error:
            raise CommandError(error.message, returncode=2) from error
        where = region.full_name if region else _("全部区域")
        self.stdout.write(
            _(
                "已为 %(name)s 生成 Open311 密钥（编号 %(id)s，范围：%(where)s），请立即保存：密钥不会再次显示。"
            )
            % {"name": key.name, "id": key.pk, "where": where}
        )
        self.stdout.write(raw)

    def _list(self, options: dict[str, Any]) -> None:
        for key in Open311Key.objects.select_related("region").order_by("pk"):
            state = _("已吊销") if key.revoked_at else _("有效")
            created = f"{timezone.localtime(key.created_at):%Y-%m-%d %H:%M}"
            region = (key.region.code or key.region.name) if key.region else "-"
            self.stdout.write(f"{key.pk}\t{state}\t{key.name}\t{region}\t{created}")

    def _revoke(self, options: dict[str, Any]) -> None:
        given = options["key"].strip()
        found = Open311Key.objects.filter(digest=key_digest(given)).first()
        if found is None and given.isdigit() and len(given) < 19:
            found = Open311Key.objects.filter(pk=int(given)).first()
        if found is None:
            raise CommandError(_("没有这个 Open311 密钥：%(key)s") % {"key": given[:12]})
        key = open311_key_revoke(key=found)
        self.stdout.write(
            _("已吊销 Open311 密钥 %(id)s（%(name)s）") % {"id": key.pk, "name": key.name}
        )
