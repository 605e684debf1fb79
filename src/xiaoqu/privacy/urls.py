from django.urls import path

from xiaoqu.privacy import views

app_name = "privacy"
urlpatterns = [
    path("me/", views.my_data, name="my_data"),
    path("me/data.zip", views.my_data_download, name="my_data_download"),
    path("corrections/", views.corrections, name="corrections"),
    path(
        "corrections/<int:correction_id>/resolve/",
        views.correction_resolve,
        name="correction_resolve",
    ),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/export/", views.access_log_export, name="access_log_export"),
]
