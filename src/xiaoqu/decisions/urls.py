from django.urls import path

from xiaoqu.decisions.views import ballots, plans, public, results, turnout, votes

app_name = "decisions"
urlpatterns = [
    path("estates/<int:estate_id>/votes/", votes.vote_list, name="vote_list"),
    path("estates/<int:estate_id>/votes/new/", votes.vote_new, name="vote_new"),
    path("votes/<int:vote_id>/", votes.vote_detail, name="vote_detail"),
    path("votes/<int:vote_id>/open/", votes.vote_open, name="vote_open"),
    path("votes/<int:vote_id>/close/", votes.vote_close, name="vote_close"),
    path("votes/<int:vote_id>/turnout/", turnout.vote_turnout, name="vote_turnout"),
    path(
        "votes/<int:vote_id>/turnout/assign/",
        turnout.vote_turnout_assign,
        name="vote_turnout_assign",
    ),
    path("votes/<int:vote_id>/paper/", ballots.ballot_paper, name="ballot_paper"),
    path("votes/<int:vote_id>/ballot/", ballots.ballot, name="ballot"),
    path("votes/<int:vote_id>/receipt/", ballots.receipt_check, name="receipt_check"),
    path("mine/", ballots.my_votes, name="my_votes"),
    path("votes/<int:vote_id>/result/", results.vote_result, name="vote_result"),
    path("votes/<int:vote_id>/result/publish/", results.vote_publish, name="vote_publish"),
    path("votes/<int:vote_id>/result/objection/", results.vote_objection, name="vote_objection"),
    path("votes/<int:vote_id>/result/print/", results.vote_result_print, name="vote_result_print"),
    path("estates/<int:estate_id>/plans/", plans.plan_list, name="plan_list"),
    path("estates/<int:estate_id>/plans/new/", plans.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/items/add/", plans.plan_item_add, name="plan_item_add"),
    path("plans/<int:plan_id>/items/batch/", plans.plan_items_batch, name="plan_items_batch"),
    path("plans/<int:plan_id>/items/remove/", plans.plan_item_remove, name="plan_item_remove"),
    path("plans/<int:plan_id>/exclusions/", plans.plan_exclude, name="plan_exclude"),
    path("plans/<int:plan_id>/consult/", plans.plan_consult, name="plan_consult"),
    path(
        "plans/<int:plan_id>/consult/change/",
        plans.plan_consultation_change,
        name="plan_consultation_change",
    ),
    path("plans/<int:plan_id>/publish/", plans.plan_publish, name="plan_publish"),
    path("plans/<int:plan_id>/meetings/", plans.plan_meetings, name="plan_meetings"),
    path("plans/<int:plan_id>/public/", plans.plan_public, name="plan_public"),
    path("plans/<int:plan_id>/comment/", plans.plan_comment, name="plan_comment"),
    path("estates/<int:estate_id>/public/", public.estate_public, name="estate_public"),
]
