"""``xiaoqu token create|revoke|list``: API tokens for machines."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import ApiToken, User
from xiaoqu.accounts.tokens import api_token_create, api_token_find, api_token_revoke
from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import mask_phone, normalize_phone


class Command(BaseCommand):
    help = "管理接口令牌：create 生成（只显示一次）、revoke 吊销、list 列出"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为用户生成令牌，令牌只显示这一次")
        create.add_argument("--phone", required=True, help="用户手机号")
        create.add_argument("--name", required=True, help="令牌用途，如“区住建局数据同步”")
        revoke = sub.add_parser("revoke", help="吊销令牌")
        revoke.add_argument(
            "key", metavar="PREFIX", help="令牌前缀（list 中显示的 8 位）或完整令牌"
        )
        listing = sub.add_parser("list", help="列出令牌（不含令牌本身）")
        listing.add_argument("--phone", help="只列出该用户的令牌")

    def handle(self, *args, **options) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options) -> None:
        phone = normalize_phone(options["phone"])
        user = User.objects.filter(phone=phone).first()
        if user is None:
            raise CommandError(_("没有手机号为 %(phone)s 的用户") % {"phone": phone})
        token, raw = api_token_create(user=user, name=options["name"])
        self.stdout.write(raw)
        self.stderr.write(
            _("已为 %(user)s 生成令牌 %(prefix)s…，请立即保存：令牌不会再次显示。")
            % {"user": mask_phone(user.phone), "prefix": token.prefix}
        )

    def _revoke(self, options) -> None:
        token = api_token_find(key=options["key"])
        api_token_revoke(token=token)
        self.stdout.write(_("已吊销令牌 %(token)s") % {"token": token})

    def _list(self, options) -> None:
        qs = ApiToken.objects.select_related("user").order_by("created_at", "pk")
        if options.get("phone"):
            qs = qs.filter(user__phone=normalize_phone(options["phone"]))
        for token in qs:
            state = _("已吊销") if token.revoked else _("有效")
            created = f"{timezone.localtime(token.created_at):%Y-%m-%d %H:%M}"
            last = (
                f"{timezone.localtime(token.last_used_at):%Y-%m-%d %H:%M}"
                if token.last_used_at
                else "-"
            )
            self.stdout.write(
                f"{token.prefix}\t{state}\t{mask_phone(token.user.phone)}\t{token.name}"
                f"\t{created}\t{last}"
            )
