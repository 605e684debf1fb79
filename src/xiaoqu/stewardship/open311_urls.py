"""Open311 GeoReport v2, mounted at ``/open311/v2/`` (config/urls.py; views/open311.py).

Each resource answers ``.json`` and ``.xml``; the extension is the ``fmt`` argument.
"""

from django.urls import path

from xiaoqu.stewardship.views import open311

app_name = "open311"
urlpatterns = [
    path("services.<str:fmt>", open311.service_list, name="services"),
    path("services/<str:service_code>.<str:fmt>", open311.service_definition, name="service"),
    path("requests.<str:fmt>", open311.request_list, name="requests"),
    path("requests/<str:service_request_id>.<str:fmt>", open311.request_detail, name="request"),
    path("tokens/<str:token>.<str:fmt>", open311.token_detail, name="token"),
]
