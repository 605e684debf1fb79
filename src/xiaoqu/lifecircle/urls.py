from django.urls import path

from xiaoqu.lifecircle import views

app_name = "lifecircle"
urlpatterns = [
    path("standard/", views.standard, name="standard"),
    path("regions/<int:region_id>/", views.region_analysis, name="region_analysis"),
    path("regions/<int:region_id>/run/", views.analysis_start, name="analysis_start"),
    path(
        "regions/<int:region_id>/facilities/",
        views.facilities_import,
        name="facilities_import",
    ),
    path("regions/<int:region_id>/network.geojson", views.region_network, name="region_network"),
    path("estates/<int:estate_id>/", views.estate_card, name="estate_card"),
    path("estates/<int:estate_id>/gap-demand/", views.gap_demand, name="gap_demand"),
]
