from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationConfig(AppConfig):
    name = "xiaoqu.organization"
    label = "organization"
    verbose_name = _("党组织与网格")
