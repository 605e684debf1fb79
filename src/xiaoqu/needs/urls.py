from django.urls import URLPattern, path

from xiaoqu.needs.views import campaigns, demands, lists, opinions, resident, visits

app_name = "needs"
urlpatterns: list[URLPattern] = [
    # --- campaigns (views/campaigns.py) and the phone page for visits (views/visits.py) ---
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/status/", campaigns.campaign_status, name="campaign_status"),
    path("estates/<int:estate_id>/visit/", visits.visit_page, name="visit_page"),
    path("visits/submit/", visits.visit_submit, name="visit_submit"),
    # --- opinions from every channel (views/opinions.py) ---
    path("estates/<int:estate_id>/opinions/", opinions.opinion_list, name="opinion_list"),
    path(
        "estates/<int:estate_id>/opinions/category/",
        opinions.opinions_recategorise,
        name="opinions_recategorise",
    ),
    path("estates/<int:estate_id>/hotline/", opinions.hotline, name="hotline"),
    path("estates/<int:estate_id>/import/", opinions.opinion_import, name="opinion_import"),
    path(
        "opinions/<int:opinion_id>/category/",
        opinions.opinion_category,
        name="opinion_category",
    ),
    path("opinions/<int:opinion_id>/photo/", opinions.opinion_photo, name="opinion_photo"),
    path("opinions/import-template.xlsx", opinions.import_template, name="opinion_import_template"),
    # --- residents' own opinions (views/resident.py) ---
    path("mine/", resident.my_opinions, name="my_opinions"),
    path("mine/new/", resident.opinion_new, name="opinion_new"),
    # --- demands (views/demands.py) ---
    path("estates/<int:estate_id>/demands/", demands.demand_board, name="demand_board"),
    path("estates/<int:estate_id>/demands/add/", demands.demand_create, name="demand_create"),
    path(
        "estates/<int:estate_id>/demands/suggestions/accept/",
        demands.demand_suggestion_accept,
        name="demand_suggestion_accept",
    ),
    path(
        "estates/<int:estate_id>/demands/suggestions/dismiss/",
        demands.demand_suggestion_dismiss,
        name="demand_suggestion_dismiss",
    ),
    path(
        "estates/<int:estate_id>/lists/publish/",
        demands.demand_list_publish,
        name="demand_list_publish",
    ),
    path("demands/<int:demand_id>/", demands.demand_detail, name="demand_detail"),
    path("demands/<int:demand_id>/update/", demands.demand_update, name="demand_update"),
    path("demands/<int:demand_id>/status/", demands.demand_status, name="demand_status"),
    path("demands/<int:demand_id>/split/", demands.demand_split, name="demand_split"),
    path("demands/<int:demand_id>/join/", demands.demand_join, name="demand_join"),
    # --- published demand lists and the residents' notice (views/lists.py) ---
    path("estates/<int:estate_id>/lists/", lists.demand_list_versions, name="demand_list_versions"),
    path("estates/<int:estate_id>/notice/", lists.demand_notice, name="demand_notice"),
    path("lists/<int:list_id>/", lists.demand_list_detail, name="demand_list_detail"),
    path("lists/<int:list_id>/xlsx/", lists.demand_list_export, name="demand_list_xlsx"),
    path("lists/<int:list_id>/print/", lists.demand_list_print, name="demand_list_print"),
]
