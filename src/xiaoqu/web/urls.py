from django.urls import path

from xiaoqu.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("text-size/", views.set_text_size, name="set_text_size"),
    path("favicon.ico", views.favicon, name="favicon"),
]
