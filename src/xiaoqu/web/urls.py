from django.urls import path

from xiaoqu.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("favicon.ico", views.favicon, name="favicon"),
]
