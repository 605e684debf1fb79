"""Writes for accounts: SMS codes, users, role assignments."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts import throttle
from xiaoqu.accounts.models import Role, RoleAssignment, SmsCode, User
from xiaoqu.accounts.sms import get_sms_backend
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import normalize_phone, phone_is_valid

SMS_CODE_TTL = timedelta(minutes=5)
SMS_MAX_ATTEMPTS = 5
SMS_MIN_INTERVAL = timedelta(seconds=60)


def _code_digest(phone: str, code: str) -> str:
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


def sms_code_send(*, phone: str, address: str = "") -> None:
    """Send a six-digit login code to a registered, active user's phone.

    Every answer is the same whether or not the number is registered (nothing is sent to an
    unregistered one), so numbers cannot be probed: the minute between two requests for one
    number and the hourly limits per number, per client ``address`` and for the whole site
    (accounts.throttle) count every request.
    """
    phone = normalize_phone(phone)
    if not phone_is_valid(phone):
        raise DomainError("手机号格式不正确", code="phone_invalid")
    if not cache.add(
        f"{throttle.PREFIX}:sms-interval:{_code_digest(phone, '')}",
        1,
        int(SMS_MIN_INTERVAL.total_seconds()),
    ):
        raise DomainError("验证码发送过于频繁，请稍后再试", code="sms_too_often")
    refusal = throttle.sms_refusal(phone=phone, address=address)
    if refusal is not None:
        raise DomainError(
            _("获取验证码次数过多，请 %(minutes)d 分钟后再试。") % {"minutes": refusal.minutes},
            code="sms_throttled",
        )
    if not User.objects.filter(phone=phone, is_active=True).exists():
        return
    now = timezone.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    SmsCode.objects.create(
        phone=phone, digest=_code_digest(phone, code), expires_at=now + SMS_CODE_TTL
    )
    get_sms_backend().send(phone, f"【小区】您的登录验证码是 {code}，5分钟内有效。")


def sms_code_check(*, phone: str, code: str) -> bool:
    """Consume a valid code; wrong codes count against the latest code's attempts."""
    phone = normalize_phone(phone)
    now = timezone.now()
    with transaction.atomic():
        latest = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, used=False, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if latest is None or latest.attempts >= SMS_MAX_ATTEMPTS:
            return False
        if secrets.compare_digest(latest.digest, _code_digest(phone, code.strip())):
            latest.used = True
            latest.save(update_fields=["used"])
            return True
        latest.attempts += 1
        latest.save(update_fields=["attempts"])
        return False


def role_assign(
    *, user: User, role: str, region=None, estate=None, grid=None, actor=None
) -> RoleAssignment:
    """Give ``user`` a role at one scope: a region subtree, an estate or a grid."""
    if role not in Role.values:
        raise DomainError(f"未知角色：{role}", code="role_unknown")
    scopes = [s for s in (region, estate, grid) if s is not None]
    if len(scopes) > 1:
        raise DomainError("角色范围只能是一个区划、一个小区或一个网格", code="role_scope")
    if role != Role.ADMIN and not scopes:
        raise DomainError("除系统管理员外，角色必须指定范围", code="role_scope")
    with transaction.atomic():
        assignment, _ = RoleAssignment.objects.get_or_create(
            user=user, role=role, region=region, estate=estate, grid=grid
        )
        audit_record(
            actor=actor,
            action="role_assign",
            obj=assignment,
            after={
                "user": user.pk,
                "role": role,
                "region": getattr(region, "pk", None),
                "estate": getattr(estate, "pk", None),
                "grid": getattr(grid, "pk", None),
            },
        )
    return assignment
