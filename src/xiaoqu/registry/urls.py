from django.urls import path

from xiaoqu.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("regions/", views.region_tree, name="region_tree"),
    path("estates/", views.estate_list, name="estate_list"),
    path("estates/<int:estate_id>/", views.estate_detail, name="estate_detail"),
    path("home/", views.resident_home, name="resident_home"),
]
