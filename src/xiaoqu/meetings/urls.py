from django.urls import path

from xiaoqu.meetings import views

app_name = "meetings"
urlpatterns = [
    path("estates/<int:estate_id>/", views.meeting_list, name="meeting_list"),
    path("estates/<int:estate_id>/new/", views.meeting_new, name="meeting_new"),
    path("estates/<int:estate_id>/heard/", views.heard_new, name="heard_new"),
    path("<int:meeting_id>/", views.meeting_record, name="meeting_record"),
    path("<int:meeting_id>/record/", views.record_save, name="record_save"),
    path("<int:meeting_id>/sign-in/", views.sign_in, name="sign_in"),
    path("<int:meeting_id>/sign-in/named/", views.sign_in_named, name="sign_in_named"),
    path("<int:meeting_id>/photos/", views.photo_add, name="photo_add"),
    path("<int:meeting_id>/hear/", views.hear, name="hear"),
    path("<int:meeting_id>/publish/", views.minutes_publish, name="minutes_publish"),
    path("<int:meeting_id>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("estates/<int:estate_id>/minutes/", views.minutes_list, name="minutes_list"),
]
