from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DailyConfig(AppConfig):
    """Daily use: the staff to-do workbench and the resident's feed (no tables of its own)."""

    name = "xiaoqu.daily"
    label = "daily"
    verbose_name = _("日常")
