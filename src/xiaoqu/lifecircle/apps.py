from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecircleConfig(AppConfig):
    name = "xiaoqu.lifecircle"
    label = "lifecircle"
    verbose_name = _("15分钟生活圈")
