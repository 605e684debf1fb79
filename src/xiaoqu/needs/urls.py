from django.urls import URLPattern, path  # noqa: F401 - filled per part below

from xiaoqu.needs.views import demands, opinions, visits  # noqa: F401

app_name = "needs"
urlpatterns: list[URLPattern] = [
    # --- campaigns and visits (views/visits.py) ---
    # --- opinions from every channel, residents' own pages (views/opinions.py) ---
    # --- demands and demand lists (views/demands.py) ---
]
