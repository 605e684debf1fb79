from django.urls import path

from xiaoqu.renovation.views import projects

app_name = "renovation"
urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("estates/<int:estate_id>/projects/new/", projects.project_new, name="project_new"),
    path("projects/<int:project_id>/", projects.project_detail, name="project_detail"),
    path("projects/<int:project_id>/public/", projects.project_public, name="project_public"),
    path("projects/<int:project_id>/advance/", projects.project_advance, name="project_advance"),
    path("projects/<int:project_id>/parties/", projects.project_parties, name="project_parties"),
    path(
        "projects/<int:project_id>/members/", projects.project_member_add, name="project_member_add"
    ),
    path("projects/<int:project_id>/votes/", projects.item_vote, name="item_vote"),
]
