from django.urls import path

from xiaoqu.daily.views import feed, todo

app_name = "daily"
urlpatterns = [
    path("todo/", todo.todo, name="todo"),
    path("today/", feed.feed, name="feed"),
]
