from django.urls import path

from xiaoqu.decisions import views

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
]
