from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "xiaoqu.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        # Registers the system check of the rate settings (xiaoqu.core.rates).
        from xiaoqu.core import rates  # noqa: F401
