from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """Notifications: in-app always, SMS and WeChat behind backends, each one recorded."""

    name = "xiaoqu.notify"
    label = "notify"
    verbose_name = _("消息通知")
