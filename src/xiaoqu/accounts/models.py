"""Users (login by phone number), scoped role assignments, API tokens, SMS codes."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.keys import key_digest, key_new
from xiaoqu.core.pii import mask_phone, normalize_phone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra) -> User:
        if not phone:
            raise ValueError("phone is required")
        user = self.model(phone=normalize_phone(phone), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    phone = models.CharField(_("手机号"), max_length=20, unique=True)
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("对应人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(_("可进入后台"), default=False)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.name or mask_phone(self.phone)


# Who performs an action: every service takes one and records it in the audit log.
Actor: TypeAlias = User


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    OWNER = "owner", _("业主")
    GRID_WORKER = "grid_worker", _("网格员")
    PARTY_MEMBER = "party_member", _("党员")
    COMMUNITY_STAFF = "community_staff", _("社区工作人员")
    STREET_STAFF = "street_staff", _("街道工作人员")
    HOUSING_BUREAU = "housing_bureau", _("住建部门")
    PROPERTY_MANAGER = "property_manager", _("物业服务人")
    OWNERS_COMMITTEE = "owners_committee", _("业委会成员")
    CONTRACTOR = "contractor", _("施工单位")
    SUPERVISOR = "supervisor", _("监理单位")
    ADMIN = "admin", _("系统管理员")


class RoleAssignment(models.Model):
    """A role held at a scope: a region subtree, one estate or one grid (网格).

    An administrator's assignment may have no scope, meaning the whole system.
    """

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("区划范围"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("小区范围"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    grid = models.ForeignKey(
        "organization.Grid",
        verbose_name=_("网格范围"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.CheckConstraint(
                condition=~(Q(region__isnull=False) & Q(estate__isnull=False))
                & ~(Q(region__isnull=False) & Q(grid__isnull=False))
                & ~(Q(estate__isnull=False) & Q(grid__isnull=False)),
                name="role_one_scope",
            ),
            models.CheckConstraint(
                condition=Q(role=Role.ADMIN)
                | Q(region__isnull=False)
                | Q(estate__isnull=False)
                | Q(grid__isnull=False),
                name="role_scope_required",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region", "estate", "grid"],
                name="role_assignment_unique",
            ),
        ]

    def __str__(self) -> str:
        scope = self.region or self.estate or self.grid or _("全部")
        return f"{self.get_role_display()} @ {scope}"


class ApiToken(models.Model):
    """A bearer token for machines; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(_("已吊销"), default=False)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        raw, digest = key_new("xq_")
        token = cls.objects.create(user=user, name=name, digest=digest, prefix=raw[:8])
        return token, raw

    @classmethod
    def lookup(cls, raw: str) -> ApiToken | None:
        return (
            cls.objects.select_related("user")
            .filter(digest=key_digest(raw), revoked=False, user__is_active=True)
            .first()
        )


class SmsCode(models.Model):
    """A one-time login code sent by SMS; stored hashed, valid for a few minutes."""

    phone = models.CharField(max_length=20, db_index=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} @ {self.created_at:%H:%M}"
