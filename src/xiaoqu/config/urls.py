from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from xiaoqu.config.api import api

admin.site.site_header = "小区 · 数据管理"
admin.site.site_title = "小区"
admin.site.index_title = "档案与账号"

# A database that cannot be reached answers 503 with its own page (docs/operations.md).
handler500 = "xiaoqu.web.views.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("xiaoqu.web.urls")),
    path("accounts/", include("xiaoqu.accounts.urls")),
    path("registry/", include("xiaoqu.registry.urls")),
    path("needs/", include("xiaoqu.needs.urls")),
    path("meetings/", include("xiaoqu.meetings.urls")),
    path("decisions/", include("xiaoqu.decisions.urls")),
    path("renovation/", include("xiaoqu.renovation.urls")),
    path("stewardship/", include("xiaoqu.stewardship.urls")),
    path("lifecircle/", include("xiaoqu.lifecircle.urls")),
    path("insights/", include("xiaoqu.insights.urls")),
    path("daily/", include("xiaoqu.daily.urls")),
    path("notify/", include("xiaoqu.notify.urls")),
    path("privacy/", include("xiaoqu.privacy.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("xiaoqu.stewardship.open311_urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
