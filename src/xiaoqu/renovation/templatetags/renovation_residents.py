"""Template tags for residents' part of the works, used by pages of other parts: the share of
satisfied households on the estate's page (a registry template names this library, as it
names later apps' pages by URL; the registry's code imports nothing of the works) and the
residents' panel of the project page residents read."""

from __future__ import annotations

from typing import Any

from django import template

from xiaoqu.registry.models import Dwelling
from xiaoqu.registry.scope import home_dwelling_ids, home_estate_ids
from xiaoqu.renovation.models import AcceptanceStatus, Project, SurveyResponse, SurveyStatus
from xiaoqu.renovation.services import complaints, surveys

register = template.Library()


@register.simple_tag
def estate_satisfaction(estate: Any) -> surveys.SurveyResults | None:
    """The results of the estate's latest published satisfaction survey, or None."""
    return surveys.estate_satisfaction(estate.pk)


@register.inclusion_tag("renovation/_residents_panel.html", takes_context=True)
def residents_panel(context: template.Context, project: Project) -> dict[str, Any]:
    """Complaints during the works, the acceptance record (to sign, for the resident
    supervisor) and the surveys, as a resident of the project's estates reaches them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    homes = home_estate_ids(user) if signed_in else set()
    dwellings = home_dwelling_ids(user) if signed_in else set()
    acceptance = project.acceptances.order_by("-pk").first()
    rows = []
    for survey in project.surveys.select_related("estate").order_by("estate__name"):
        published = survey.published_at is not None
        mine = survey.estate_id in homes
        rows.append(
            {
                "survey": survey,
                "mine": mine,
                "answered": mine and _all_answered(survey, dwellings),
                "open": survey.status == SurveyStatus.OPEN,
                "results": surveys.survey_results(survey) if published else None,
            }
        )
    return {
        "project": project,
        "can_complain": bool(homes)
        and project.stage in complaints.COMPLAINT_STAGES
        and project.project_estates.filter(estate__in=homes).exists(),
        "acceptance": acceptance,
        "to_sign": acceptance is not None
        and project.resident_supervisor_id is not None
        and getattr(user, "person_id", None) == project.resident_supervisor_id
        and acceptance.status != AcceptanceStatus.PASSED
        and acceptance.resident_signed_at is None,
        "surveys": rows,
    }


def _all_answered(survey: Any, dwellings: set[int]) -> bool:
    """Every dwelling of the user in the survey's estate has answered."""
    own = set(
        Dwelling.objects.filter(pk__in=dwellings, estate=survey.estate_id).values_list(
            "pk", flat=True
        )
    )
    done = set(
        SurveyResponse.objects.filter(survey=survey, dwelling__in=own).values_list(
            "dwelling_id", flat=True
        )
    )
    return own == done
