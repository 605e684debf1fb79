from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DecisionsConfig(AppConfig):
    name = "xiaoqu.decisions"
    label = "decisions"
    verbose_name = _("共商共决")
