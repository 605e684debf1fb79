"""Notifications: one row per message to one person, one row per channel it went out on.

In-app messages are always kept; SMS and WeChat subscription messages go out through
backends (``notify/channels.py``) unless the person opted out. Every attempt is recorded:
who, what, when, by which channel, whether it was delivered (docs/notifications.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.pii import mask_phone
from xiaoqu.core.policy import ScopePath


def mask_openid(openid: str) -> str:
    """A WeChat openid as pages show it: its first four characters."""
    return f"{openid[:4]}…" if openid else ""


class Channel(models.TextChoices):
    INAPP = "inapp", _("站内消息")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信订阅消息")


class Kind(models.TextChoices):
    VOTE_OPEN = "vote_open", _("表决开始")
    VOTE_REMINDER = "vote_reminder", _("表决截止提醒")
    VOTE_RESULT = "vote_result", _("表决结果公布")
    PLAN_CONSULTATION = "plan_consultation", _("方案征求意见")
    MINUTES_PUBLISHED = "minutes_published", _("会议纪要公布")
    OPINION_UPDATE = "opinion_update", _("意见办理进展")
    ORDER_UPDATE = "order_update", _("报修进展")
    DOOR_KNOCKING = "door_knocking", _("上门动员任务")
    OTHER = "other", _("其他")


class Notification(models.Model):
    """One message to one person (or a login without a person): what, about which estate,
    where to act. ``key`` makes sending idempotent: the same key is never sent twice to
    the same recipient (``vote:12:reminder``)."""

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("小区"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices)
    key = models.CharField(_("去重键"), max_length=120)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    # Staff read the record of an estate's notifications; one without an estate is nobody's.
    scope_path = ScopePath(estate="estate")

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(user__isnull=False),
                name="notification_has_recipient",
            ),
            models.UniqueConstraint(
                fields=["person", "key"],
                condition=Q(person__isnull=False),
                name="notification_person_key_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=Q(person__isnull=True),
                name="notification_user_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notify_user_recent"),
            models.Index(fields=["person", "-created_at"], name="notify_person_recent"),
            models.Index(fields=["key"], name="notify_key"),
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已发出")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("未发送")


class SkipReason(models.TextChoices):
    """Why a channel was not used for a notification (``Delivery.reason`` of a skipped row;
    a failed row holds the gateway's own words instead)."""

    NO_LOGIN = "no_login", _("没有登录账号，登录后可在“我的消息”里看到")
    NOT_FOR_KIND = "not_for_kind", _("这类消息不走这个渠道")
    OPTED_OUT = "opted_out", _("本人已退订短信和微信消息")
    NO_REMINDERS = "no_reminders", _("本人不接收表决截止提醒")
    SMS_OFF = "sms_off", _("本人未开启短信通知")
    NO_PHONE = "no_phone", _("没有手机号")
    BAD_PHONE = "bad_phone", _("手机号不正确")
    WECHAT_UNBOUND = "wechat_unbound", _("未绑定微信")
    WECHAT_OFF = "wechat_off", _("本人未开启微信通知")


class Delivery(models.Model):
    """One channel's attempt at one notification. The address is the one used at the
    time (a phone number or a WeChat openid); pages show it masked."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("发送地址"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    # Not before this time: a claimed delivery is held by its sender for a few minutes (a
    # sender that died lets it go again), a failed one waits before its next attempt.
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    # The gateway's id of the message, which its later delivery report names.
    reference = models.CharField(_("网关消息编号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_one_per_channel"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "queued_at"], name="delivery_due"),
            models.Index(
                fields=["channel", "reference"],
                condition=~Q(reference=""),
                name="delivery_reference",
            ),
        ]

    scope_path = ScopePath(estate="notification__estate")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_status_display()}"

    @property
    def address_masked(self) -> str:
        """The address as pages show it: a phone as 138****0001, an openid shortened."""
        if self.channel == Channel.SMS:
            return mask_phone(self.address)
        return mask_openid(self.address)

    @property
    def reason_text(self) -> str:
        """The reason as people read it: a skip reason's label, or the gateway's words."""
        if self.reason in SkipReason.values:
            return str(SkipReason(self.reason).label)
        return self.reason


class Preference(models.Model):
    """A person's (or a login's) choice of channels. In-app messages are always kept;
    ``opted_out`` stops every SMS and WeChat message; ``reminders`` covers vote reminders."""

    person = models.OneToOneField(
        "registry.Person",
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    sms = models.BooleanField(_("接收短信"), default=True)
    wechat = models.BooleanField(_("接收微信订阅消息"), default=False)
    wechat_openid = models.CharField(_("微信 openid"), max_length=64, blank=True)
    reminders = models.BooleanField(_("接收表决截止提醒"), default=True)
    opted_out = models.BooleanField(_("退订全部短信和微信消息"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(user__isnull=False),
                name="preference_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person or self.user)
