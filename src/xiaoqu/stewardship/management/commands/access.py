"""xiaoqu access: access control's housekeeping (docs/stewardship.md).

* ``xiaoqu access device --point ID --name NAME``: a new device (reader) at an access point;
  its key is printed as the last line of stdout, this once (only its SHA-256 digest is
  stored). ``xiaoqu access revoke --device ID`` revokes a device's key.
* ``xiaoqu access sweep``: revoke the credentials of people who no longer own or live in
  their dwelling (moved out); idempotent, run daily from cron.
* ``xiaoqu access purge [--days N]``: delete access events older than
  ``XIAOQU_ACCESS_RETENTION_DAYS`` (or N days) with their anomalies; idempotent, run daily.

Each prints what it did as one JSON object (``device`` prints the key after it).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError
from xiaoqu.stewardship.models import AccessDevice, AccessPoint
from xiaoqu.stewardship.services import access as services


class Command(BaseCommand):
    help = _("门禁：添加设备（打印密钥）、吊销设备、注销迁出人员的凭证、按保留期删除通行记录")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        device = sub.add_parser("device", help=_("在门禁点添加设备，密钥只显示这一次"))
        device.add_argument("--point", required=True, type=int, help=_("门禁点编号"))
        device.add_argument("--name", required=True, help=_("设备名称，如“东门读卡器”"))
        revoke = sub.add_parser("revoke", help=_("吊销设备密钥"))
        revoke.add_argument("--device", required=True, type=int, help=_("设备编号"))
        sub.add_parser("sweep", help=_("注销已迁出人员的门禁凭证（可重复运行）"))
        purge = sub.add_parser("purge", help=_("删除超过保留期的通行记录及其异常（可重复运行）"))
        purge.add_argument(
            "--days",
            type=int,
            default=None,
            help=_("保留天数（默认 XIAOQU_ACCESS_RETENTION_DAYS）"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=2) from exc

    def _device(self, options: dict[str, Any]) -> None:
        point = AccessPoint.objects.select_related("estate").filter(pk=options["point"]).first()
        if point is None:
            raise CommandError(_("没有编号为 %(id)s 的门禁点") % {"id": options["point"]})
        device, key = services.device_add(point=point, name=options["name"])
        self.stdout.write(
            json.dumps(
                {"device": device.pk, "point": point.pk, "estate": point.estate.name},
                ensure_ascii=False,
            )
        )
        self.stderr.write(_("设备密钥只显示这一次，请立即配置到设备上（请求头 X-Device-Key）。"))
        self.stdout.write(key)

    def _revoke(self, options: dict[str, Any]) -> None:
        device = AccessDevice.objects.filter(pk=options["device"]).first()
        if device is None:
            raise CommandError(_("没有编号为 %(id)s 的设备") % {"id": options["device"]})
        device = services.device_revoke(device=device)
        self.stdout.write(json.dumps({"device": device.pk, "revoked": True}))

    def _sweep(self, options: dict[str, Any]) -> None:
        self.stdout.write(json.dumps({"revoked": services.credentials_sweep()}))

    def _purge(self, options: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(services.events_purge(days=options["days"])))
