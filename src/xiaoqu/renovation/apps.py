from django.apps import AppConfig


class RenovationConfig(AppConfig):
    """Stage 4, the works: for now the batch optimiser and its ``xiaoqu plan`` command."""

    name = "xiaoqu.renovation"
    label = "renovation"
