from django.urls import path

from xiaoqu.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.read, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("estates/<int:estate_id>/deliveries/", views.deliveries, name="deliveries"),
]
