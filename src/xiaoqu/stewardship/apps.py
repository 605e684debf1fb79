from django.apps import AppConfig


class StewardshipConfig(AppConfig):
    """Stage 5, management after the works: for now the working-time deadline calculator and
    its ``xiaoqu sla`` command."""

    name = "xiaoqu.stewardship"
    label = "stewardship"
