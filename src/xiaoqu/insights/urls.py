from django.urls import path

from xiaoqu.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.home, name="home"),
    path("regions/<int:region_id>/", views.region, name="region"),
    path("regions/<int:region_id>/export.xlsx", views.region_export, name="region_export"),
    path("estates/<int:estate_id>/", views.estate, name="estate"),
    path("estates/<int:estate_id>/export.xlsx", views.estate_export, name="estate_export"),
]
