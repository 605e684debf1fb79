from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Stage 7, 成效: figures kept per estate, roll-ups by region, dashboards, maps, exports."""

    name = "xiaoqu.insights"
    label = "insights"

    def ready(self) -> None:
        from xiaoqu.insights import listeners

        listeners.connect_all()
