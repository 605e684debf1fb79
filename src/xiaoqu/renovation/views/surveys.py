"""The satisfaction survey: the staff tab (open per estate, results as they come in, close,
publish), the resident's phone page to answer for their home, staff entry of paper forms,
and the published results for residents."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, permitted_or_error, requires
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.registry.scope import home_dwellings
from xiaoqu.renovation.models import (
    AcceptanceStatus,
    Project,
    Rating,
    Survey,
    SurveyResponse,
    SurveyStatus,
)
from xiaoqu.renovation.rules import (
    ANSWER_SURVEYS,
    ENTER_SURVEYS,
    MANAGE_PROJECTS,
    READ_PROJECTS,
    VIEW_PROJECTS,
)
from xiaoqu.renovation.services import surveys as services
from xiaoqu.renovation.views.acceptance import parse_date

PROJECT = Lookup(Project, "project_id")
SURVEY = Lookup(Survey, "survey_id", select_related=("project", "estate"))
COMMENTS_SHOWN = 30


# --- staff ----------------------------------------------------------------------------------


@require_GET
@requires(VIEW_PROJECTS, find=PROJECT)
def project_surveys(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """Each estate of the project with its survey and results so far."""
    user = request.user
    manages = MANAGE_PROJECTS.has(user, project)
    surveys = {s.estate_id: s for s in project.surveys.all()}
    rows = []
    for estate in project.estates.order_by("name"):
        survey = surveys.get(estate.pk)
        rows.append(
            {
                "estate": estate,
                "survey": survey,
                "results": services.survey_results(survey) if survey else None,
                "can_enter": survey is not None and ENTER_SURVEYS.has(user, survey),
                "comments": list(
                    survey.responses.exclude(comment="")
                    .order_by("-at")
                    .values("comment", "at")[:COMMENTS_SHOWN]
                )
                if survey
                else [],
            }
        )
    today = timezone.localdate()
    return render(
        request,
        "renovation/surveys/project.html",
        {
            "project": project,
            "tab": "surveys",
            "rows": rows,
            "can_manage": manages,
            "accepted": project.acceptances.filter(status=AcceptanceStatus.PASSED).exists(),
            "today": today,
            "default_close": today + dt.timedelta(days=14),
        },
    )


def _to_tab(project_id: int) -> HttpResponse:
    return redirect("renovation:project_surveys", project_id=project_id)


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def survey_open(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    data = request.POST
    try:
        estate = permitted_or_error(
            request.user,
            MANAGE_PROJECTS,
            Estate.objects.filter(project_entries__project=project),
            data.get("estate"),
            _("这个小区不在本项目中。"),
        )
        survey = services.survey_open(
            project=project,
            estate=estate,
            opens_on=parse_date(data.get("opens_on"), _("开始日期")),
            closes_on=parse_date(data.get("closes_on"), _("截止日期")),
            actor=request.user,
        )
        messages.success(
            request,
            _("已开始%(e)s的满意度调查，共 %(n)d 户。")
            % {"e": estate.name, "n": survey.households},
        )
    except DomainError as error:
        messages.error(request, error.message)
    return _to_tab(project.pk)


@require_POST
@requires(MANAGE_PROJECTS, find=SURVEY)
def survey_close(request: AuthenticatedRequest, survey: Survey) -> HttpResponse:
    try:
        services.survey_close(survey=survey, actor=request.user)
        messages.success(request, _("调查已结束。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _to_tab(survey.project_id)


@require_POST
@requires(MANAGE_PROJECTS, find=SURVEY)
def survey_publish(request: AuthenticatedRequest, survey: Survey) -> HttpResponse:
    try:
        services.survey_publish(survey=survey, actor=request.user)
        messages.success(request, _("结果已向居民公布。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _to_tab(survey.project_id)


# --- answers: the resident's own and paper forms ------------------------------------------------


def _ratings(data: Mapping[str, str], items: list) -> dict[int, str]:
    return {item.pk: data.get(f"item-{item.pk}", "") for item in items}


def _answer_form(
    request: AuthenticatedRequest,
    survey: Survey,
    dwellings: QuerySet[Dwelling],
    *,
    paper: bool,
) -> SurveyResponse | None:
    """Record the posted answer for one of ``dwellings``; None after an error (a message)."""
    data = request.POST
    items = services.survey_items(survey)
    try:
        dwelling = permitted_or_error(
            request.user,
            ENTER_SURVEYS if paper else ANSWER_SURVEYS,
            dwellings,
            data.get("dwelling"),
            _("请选择房屋。"),
        )
        record = services.survey_paper_entry if paper else services.survey_answer
        return record(
            survey=survey,
            dwelling=dwelling,
            overall=data.get("overall", ""),
            ratings=_ratings(data, items),
            comment=data.get("comment", ""),
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return None


@require_http_methods(["GET", "POST"])
@requires(ANSWER_SURVEYS, find=SURVEY)
def survey_answer(request: AuthenticatedRequest, survey: Survey) -> HttpResponse:
    """The resident's phone page: rate the works overall and item by item, for their home."""
    mine = home_dwellings(request.user).filter(estate=survey.estate_id)
    if request.method == "POST" and _answer_form(request, survey, mine, paper=False):
        messages.success(request, _("感谢您参加满意度调查！"))
        return redirect("renovation:survey_answer", survey_id=survey.pk)
    answered = set(
        SurveyResponse.objects.filter(survey=survey, dwelling__in=mine).values_list(
            "dwelling_id", flat=True
        )
    )
    homes = list(mine.select_related("building", "entrance").order_by("pk"))
    today = timezone.localdate()
    return render(
        request,
        "renovation/surveys/answer.html",
        {
            "survey": survey,
            "project": survey.project,
            "survey_items": services.survey_items(survey),
            "ratings": Rating.choices,
            "homes": [d for d in homes if d.pk not in answered],
            "answered": [d for d in homes if d.pk in answered],
            "is_open": survey.status == SurveyStatus.OPEN
            and survey.opens_on <= today <= survey.closes_on,
            "data": request.POST if request.method == "POST" else {},
        },
    )


def _find_dwellings(survey: Survey, query: str) -> QuerySet[Dwelling]:
    """Dwellings of the survey's estate matching a room number, or 楼栋-单元-房号."""
    found = Dwelling.objects.filter(estate=survey.estate_id)
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", query) if p]
    if not parts:
        return found.none()
    found = found.filter(number=parts[-1])
    if len(parts) >= 2:
        found = found.filter(building__number=parts[0])
    if len(parts) >= 3:
        found = found.filter(entrance__number=parts[1])
    return found


@require_http_methods(["GET", "POST"])
@requires(ENTER_SURVEYS, find=SURVEY)
def survey_paper(request: AuthenticatedRequest, survey: Survey) -> HttpResponse:
    """Staff enter a household's paper form: find the dwelling by room, copy the ratings."""
    if request.method == "POST":
        estate_homes = Dwelling.objects.filter(estate=survey.estate_id)
        response = _answer_form(request, survey, estate_homes, paper=True)
        if response is not None:
            messages.success(request, _("已录入 %(d)s 的问卷。") % {"d": response.dwelling.label})
            return redirect("renovation:survey_paper", survey_id=survey.pk)
    query = request.GET.get("q", "").strip()[:40]
    rows = []
    if query:
        candidates = ENTER_SURVEYS.scoped(request.user, _find_dwellings(survey, query))
        found = list(candidates.select_related("building", "entrance").order_by("pk")[:50])
        answered = set(
            SurveyResponse.objects.filter(survey=survey, dwelling__in=found).values_list(
                "dwelling_id", flat=True
            )
        )
        rows = [(d, d.pk in answered) for d in found]
    return render(
        request,
        "renovation/surveys/paper.html",
        {
            "survey": survey,
            "project": survey.project,
            "survey_items": services.survey_items(survey),
            "ratings": Rating.choices,
            "query": query,
            "rows": rows,
            "results": services.survey_results(survey),
        },
    )


# --- published results ------------------------------------------------------------------------


@require_GET
@requires(READ_PROJECTS, find=SURVEY)
def survey_results(request: AuthenticatedRequest, survey: Survey) -> HttpResponse:
    """The results residents read once published (before that, a note saying so)."""
    published = survey.published_at is not None
    return render(
        request,
        "renovation/surveys/results.html",
        {
            "survey": survey,
            "project": survey.project,
            "published": published,
            "results": services.survey_results(survey) if published else None,
        },
    )
