from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark suite: installed for its ``xiaoqu bench`` command; it has no models."""

    name = "xiaoqu.bench"
    label = "bench"
