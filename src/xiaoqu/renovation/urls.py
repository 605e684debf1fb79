from django.urls import path

from xiaoqu.renovation.views import (
    acceptance,
    batches,
    complaints,
    money,
    party,
    progress,
    projects,
    reports,
    surveys,
)

app_name = "renovation"
urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    # --- annual batches (年度计划) and reporting (月报) ---
    path("batches/", batches.batch_list, name="batch_list"),
    path("batches/optimise/", batches.batch_optimise, name="batch_optimise"),
    path("batches/confirm/", batches.batch_confirm, name="batch_confirm"),
    path("batches/<int:batch_id>/", batches.batch_detail, name="batch_detail"),
    path("report/", reports.report, name="report"),
    path("report.xlsx", reports.report_download, name="report_xlsx"),
    path("projects.xlsx", reports.project_list_download, name="project_list_xlsx"),
    path("estates/<int:estate_id>/projects/", projects.estate_projects, name="estate_projects"),
    path("estates/<int:estate_id>/projects/new/", projects.project_new, name="project_new"),
    path("projects/<int:project_id>/", projects.project_detail, name="project_detail"),
    path("projects/<int:project_id>/public/", projects.project_public, name="project_public"),
    path("projects/<int:project_id>/advance/", projects.project_advance, name="project_advance"),
    path("projects/<int:project_id>/parties/", projects.project_parties, name="project_parties"),
    path(
        "projects/<int:project_id>/members/", projects.project_member_add, name="project_member_add"
    ),
    path("projects/<int:project_id>/votes/", projects.item_vote, name="item_vote"),
    path("projects/<int:project_id>/party/", party.project_party, name="project_party"),
    path("projects/<int:project_id>/party/set/", party.project_party_set, name="project_party_set"),
    path("projects/<int:project_id>/duty/add/", party.duty_add, name="duty_add"),
    path("projects/<int:project_id>/duty/remove/", party.duty_remove, name="duty_remove"),
    path("estates/<int:estate_id>/works/", party.estate_works, name="estate_works"),
    # --- progress (进度): timeline, diary, photos, hidden works, the phone page ---
    path("projects/<int:project_id>/progress/", progress.project_progress, name="project_progress"),
    path(
        "projects/<int:project_id>/progress/schedule/",
        progress.item_schedule,
        name="item_schedule",
    ),
    path(
        "projects/<int:project_id>/progress/report/",
        progress.progress_report,
        name="progress_report",
    ),
    path("projects/<int:project_id>/diary/", progress.diary_write, name="diary_write"),
    path("projects/<int:project_id>/photos/", progress.photo_add, name="photo_add"),
    path(
        "projects/<int:project_id>/resident-supervisor/",
        progress.resident_supervisor,
        name="resident_supervisor",
    ),
    path(
        "projects/<int:project_id>/hidden-works/",
        progress.project_hidden_works,
        name="project_hidden_works",
    ),
    path(
        "projects/<int:project_id>/hidden-works/new/",
        progress.hidden_work_record,
        name="hidden_work_record",
    ),
    path("hidden-works/<int:hidden_id>/sign/", progress.hidden_work_sign, name="hidden_work_sign"),
    path(
        "hidden-works/<int:hidden_id>/resident-sign/",
        progress.hidden_work_resident_sign,
        name="hidden_work_resident_sign",
    ),
    path(
        "hidden-works/<int:hidden_id>/cover/", progress.hidden_work_cover, name="hidden_work_cover"
    ),
    path("photos/<int:photo_id>/", progress.site_photo, name="site_photo"),
    path("site/", progress.site, name="site"),
    path("site/report/", progress.site_report, name="site_report"),
    # --- money (资金): sources, payments, ledger, residents' contributions ---
    path("projects/<int:project_id>/money/", money.project_money, name="project_money"),
    path("projects/<int:project_id>/money/receipts/", money.money_receipt, name="money_receipt"),
    path("projects/<int:project_id>/money/payments/", money.money_payment, name="money_payment"),
    path("projects/<int:project_id>/money/reverse/", money.money_reverse, name="money_reverse"),
    path("projects/<int:project_id>/money/ledger.xlsx", money.money_export, name="money_export"),
    path("money/<int:money_entry_id>/document/", money.money_document, name="money_document"),
    path(
        "items/<int:item_id>/contributions/",
        money.item_contributions,
        name="item_contributions",
    ),
    path(
        "items/<int:item_id>/contributions/split/",
        money.contribution_split,
        name="contribution_split",
    ),
    path("my/contributions/", money.my_contributions, name="my_contributions"),
    # --- residents during and after the works: complaints, joint acceptance, survey ---
    path("complaints/new/", complaints.complaint_new, name="complaint_new"),
    path("complaints/mine/", complaints.my_complaints, name="my_complaints"),
    path(
        "complaints/<int:complaint_id>/confirm/",
        complaints.complaint_confirm,
        name="complaint_confirm",
    ),
    path(
        "projects/<int:project_id>/complaints/",
        complaints.project_complaints,
        name="project_complaints",
    ),
    path("complaints/<int:complaint_id>/", complaints.complaint_detail, name="complaint_detail"),
    path(
        "complaints/<int:complaint_id>/answer/",
        complaints.complaint_answer,
        name="complaint_answer",
    ),
    path(
        "complaints/<int:complaint_id>/close/", complaints.complaint_close, name="complaint_close"
    ),
    path(
        "projects/<int:project_id>/acceptance/",
        acceptance.project_acceptance,
        name="project_acceptance",
    ),
    path(
        "projects/<int:project_id>/acceptance/open/",
        acceptance.acceptance_open,
        name="acceptance_open",
    ),
    path("acceptances/<int:acceptance_id>/", acceptance.acceptance_view, name="acceptance_view"),
    path(
        "acceptances/<int:acceptance_id>/check/",
        acceptance.acceptance_check,
        name="acceptance_check",
    ),
    path(
        "acceptances/<int:acceptance_id>/reinspect/",
        acceptance.acceptance_reinspect,
        name="acceptance_reinspect",
    ),
    path(
        "acceptances/<int:acceptance_id>/sign/", acceptance.acceptance_sign, name="acceptance_sign"
    ),
    path(
        "acceptances/<int:acceptance_id>/conclude/",
        acceptance.acceptance_conclude,
        name="acceptance_conclude",
    ),
    path(
        "acceptances/<int:acceptance_id>/print/",
        acceptance.acceptance_print,
        name="acceptance_print",
    ),
    path("projects/<int:project_id>/surveys/", surveys.project_surveys, name="project_surveys"),
    path("projects/<int:project_id>/surveys/open/", surveys.survey_open, name="survey_open"),
    path("surveys/<int:survey_id>/answer/", surveys.survey_answer, name="survey_answer"),
    path("surveys/<int:survey_id>/paper/", surveys.survey_paper, name="survey_paper"),
    path("surveys/<int:survey_id>/results/", surveys.survey_results, name="survey_results"),
    path("surveys/<int:survey_id>/close/", surveys.survey_close, name="survey_close"),
    path("surveys/<int:survey_id>/publish/", surveys.survey_publish, name="survey_publish"),
]
