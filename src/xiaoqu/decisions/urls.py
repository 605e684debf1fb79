from django.urls import path

from xiaoqu.decisions import plan_views, views

app_name = "decisions"
urlpatterns = [
    path("estates/<int:estate_id>/votes/", views.vote_list, name="vote_list"),
    path("estates/<int:estate_id>/votes/new/", views.vote_new, name="vote_new"),
    path("votes/<int:vote_id>/", views.vote_detail, name="vote_detail"),
    path("votes/<int:vote_id>/action/", views.vote_action, name="vote_action"),
    path("votes/<int:vote_id>/paper/", views.ballot_paper, name="ballot_paper"),
    path("votes/<int:vote_id>/ballot/", views.ballot, name="ballot"),
    path("votes/<int:vote_id>/receipt/", views.receipt_check, name="receipt_check"),
    path("votes/<int:vote_id>/result/", views.vote_result, name="vote_result"),
    path("votes/<int:vote_id>/result/publish/", views.vote_publish, name="vote_publish"),
    path("votes/<int:vote_id>/result/objection/", views.vote_objection, name="vote_objection"),
    path("votes/<int:vote_id>/result/print/", views.vote_result_print, name="vote_result_print"),
    path("mine/", views.my_votes, name="my_votes"),
    path("estates/<int:estate_id>/plans/", plan_views.plan_list, name="plan_list"),
    path("estates/<int:estate_id>/plans/new/", plan_views.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/action/", plan_views.plan_action, name="plan_action"),
    path("plans/<int:plan_id>/public/", plan_views.plan_public, name="plan_public"),
    path("plans/<int:plan_id>/comment/", plan_views.plan_comment, name="plan_comment"),
]
