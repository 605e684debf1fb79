"""The satisfaction survey (效果共评) of each estate of a project after its acceptance.

Once the project's joint acceptance has passed, staff who manage the project open one survey
per estate, with its dates; the households it asks are the estate's dwellings in the register
at that moment. Every household answers once (the database's unique constraint on survey and
dwelling decides under concurrent answers): a resident online for their own dwelling, between
the opening and closing dates, or staff enter the household's paper form while the survey is
open. An answer rates the works overall and, optionally, each item the acceptance passed in
that estate: 满意, 基本满意 or 不满意.

Staff close the survey and publish its results: per item and overall, the counts of each
rating, the response rate (responses ÷ households) and the share of satisfied households
(满意 + 基本满意, over the households that answered). Residents read published results; the
share is shown on the estate's page and the resident's project page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.renovation.models import (
    AcceptanceStatus,
    Project,
    ProjectItem,
    Rating,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyStatus,
)
from xiaoqu.renovation.rules import ANSWER_SURVEYS, ENTER_SURVEYS, MANAGE_PROJECTS
from xiaoqu.renovation.services.projects import record_event

COMMENT_MAX = 1000
SURVEY_DAYS_MAX = 90
SATISFIED = (Rating.SATISFIED, Rating.BASIC)


def survey_open(
    *,
    project: Project,
    estate: Estate,
    opens_on: dt.date,
    closes_on: dt.date,
    actor: Actor,
) -> Survey:
    """Open the survey of one estate of the project, after its acceptance passed."""
    MANAGE_PROJECTS.require(actor, project)
    if not project.project_estates.filter(estate=estate).exists():
        raise DomainError(_("这个小区不在本项目中。"), code="estate")
    if closes_on < opens_on:
        raise DomainError(_("截止日期不能早于开始日期。"), code="dates")
    if (closes_on - opens_on).days > SURVEY_DAYS_MAX:
        raise DomainError(_("调查时间不能超过 %(n)d 天。") % {"n": SURVEY_DAYS_MAX}, code="dates")
    if closes_on < timezone.localdate():
        raise DomainError(_("截止日期已经过去。"), code="dates")
    if not project.acceptances.filter(status=AcceptanceStatus.PASSED).exists():
        raise DomainError(_("联合验收通过后才能开展满意度调查。"), code="not_accepted")
    if Survey.objects.filter(project=project, estate=estate).exists():
        raise DomainError(_("这个小区已经开展过本项目的满意度调查。"), code="duplicate")
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                project=project,
                estate=estate,
                opens_on=opens_on,
                closes_on=closes_on,
                households=estate.dwellings.count(),
            )
            record_event(
                project,
                "survey_open",
                actor,
                note=_("%(estate)s满意度调查（%(a)s 至 %(b)s）")
                % {"estate": estate.name, "a": opens_on, "b": closes_on},
            )
            audit_record(
                actor=actor,
                action="renovation.survey_open",
                obj=survey,
                after={"households": survey.households, "opens_on": opens_on.isoformat()},
            )
    except IntegrityError:
        raise DomainError(_("这个小区已经开展过本项目的满意度调查。"), code="duplicate") from None
    return survey


def survey_items(survey: Survey) -> list[ProjectItem]:
    """The items a survey asks about: those of its estate the passed acceptance checked."""
    return list(
        ProjectItem.objects.filter(
            project_id=survey.project_id,
            estate_id=survey.estate_id,
            checks__acceptance__status=AcceptanceStatus.PASSED,
        )
        .distinct()
        .order_by("pk")
    )


def _clean_answer(
    survey: Survey, dwelling: Dwelling, overall: str, ratings: Mapping[int, str], comment: str
) -> tuple[dict[int, str], str]:
    if dwelling.estate_id != survey.estate_id:
        raise DomainError(_("这户不在本次调查的小区。"), code="dwelling")
    if overall not in Rating.values:
        raise DomainError(_("请选择总体评价。"), code="overall")
    asked = {item.pk for item in survey_items(survey)}
    chosen: dict[int, str] = {}
    for item_id, rating in ratings.items():
        if not rating:
            continue  # an item the household left unrated
        if item_id not in asked:
            raise DomainError(_("问卷中没有这个条目。"), code="item")
        if rating not in Rating.values:
            raise DomainError(_("评价不正确。"), code="rating")
        chosen[item_id] = rating
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(_("意见不能超过 %(n)d 个字。") % {"n": COMMENT_MAX}, code="comment")
    return chosen, comment


def _save_response(
    survey: Survey,
    dwelling: Dwelling,
    overall: str,
    ratings: dict[int, str],
    comment: str,
    *,
    paper: bool,
    actor: Actor,
    now: dt.datetime,
) -> SurveyResponse:
    """The household's one response; the unique constraint refuses a second one."""
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey,
                dwelling=dwelling,
                overall=overall,
                comment=comment,
                paper=paper,
                entered_by=actor,
                at=now,
            )
            SurveyAnswer.objects.bulk_create(
                SurveyAnswer(response=response, item_id=item_id, rating=rating)
                for item_id, rating in sorted(ratings.items())
            )
            audit_record(
                actor=actor,
                action="renovation.survey_paper_entry" if paper else "renovation.survey_answer",
                obj=response,
                after={"dwelling": dwelling.pk, "overall": overall, "items": len(ratings)},
            )
    except IntegrityError:
        raise DomainError(_("这户已经参加过本次调查，每户只能答一次。"), code="already") from None
    return response


def survey_answer(
    *,
    survey: Survey,
    dwelling: Dwelling,
    overall: str,
    actor: Actor,
    ratings: Mapping[int, str] | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """A resident answers for their own dwelling, between the survey's dates, once."""
    ANSWER_SURVEYS.require(actor, dwelling)
    now = now or timezone.now()
    today = timezone.localdate(now)
    if survey.status != SurveyStatus.OPEN or not survey.opens_on <= today <= survey.closes_on:
        raise DomainError(_("调查不在进行中。"), code="not_open")
    chosen, comment = _clean_answer(survey, dwelling, overall, ratings or {}, comment)
    return _save_response(
        survey, dwelling, overall, chosen, comment, paper=False, actor=actor, now=now
    )


def survey_paper_entry(
    *,
    survey: Survey,
    dwelling: Dwelling,
    overall: str,
    actor: Actor,
    ratings: Mapping[int, str] | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """Staff enter a household's paper form while the survey is open (forms collected by the
    closing date may be entered after it, until staff close the survey)."""
    ENTER_SURVEYS.require(actor, dwelling)
    now = now or timezone.now()
    if survey.status != SurveyStatus.OPEN or timezone.localdate(now) < survey.opens_on:
        raise DomainError(_("调查不在进行中。"), code="not_open")
    chosen, comment = _clean_answer(survey, dwelling, overall, ratings or {}, comment)
    return _save_response(
        survey, dwelling, overall, chosen, comment, paper=True, actor=actor, now=now
    )


def survey_close(*, survey: Survey, actor: Actor) -> Survey:
    """End the survey: no more answers, online or on paper."""
    MANAGE_PROJECTS.require(actor, survey)
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status != SurveyStatus.OPEN:
            raise DomainError(_("调查已经结束。"), code="closed")
        locked.status = SurveyStatus.CLOSED
        locked.save(update_fields=["status"])
        responses = locked.responses.count()
        record_event(
            locked.project,
            "survey_close",
            actor,
            note=_("%(estate)s满意度调查结束：%(n)d / %(h)d 户")
            % {"estate": locked.estate.name, "n": responses, "h": locked.households},
        )
        audit_record(
            actor=actor,
            action="renovation.survey_close",
            obj=locked,
            after={"responses": responses},
        )
    return locked


def survey_publish(*, survey: Survey, actor: Actor, now: dt.datetime | None = None) -> Survey:
    """Publish the results of a closed survey to the estate's residents."""
    MANAGE_PROJECTS.require(actor, survey)
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status != SurveyStatus.CLOSED:
            raise DomainError(_("调查结束后才能公布结果。"), code="not_closed")
        if locked.published_at is not None:
            raise DomainError(_("结果已经公布。"), code="published")
        locked.published_at = now or timezone.now()
        locked.save(update_fields=["published_at"])
        results = survey_results(locked)
        record_event(
            locked.project,
            "survey_publish",
            actor,
            note=_("%(estate)s满意度调查结果公布：%(n)d 户参加，满意和基本满意 %(p)s")
            % {
                "estate": locked.estate.name,
                "n": results.responses,
                "p": f"{results.share}%" if results.share is not None else "—",
            },
        )
        audit_record(
            actor=actor,
            action="renovation.survey_publish",
            obj=locked,
            after={"responses": results.responses, "counts": results.overall.counts},
        )
    return locked


# --- results --------------------------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    """``part / whole`` in per cent with one decimal, rounded half up; None when whole is 0."""
    if whole <= 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Tally:
    """Counts of each rating (keys: Rating values) for the works overall or one item."""

    label: str
    counts: dict[str, int] = field(default_factory=lambda: {r: 0 for r in Rating.values})

    @property
    def answered(self) -> int:
        return sum(self.counts.values())

    @property
    def satisfied(self) -> int:
        return sum(self.counts[r] for r in SATISFIED)

    @property
    def share(self) -> Decimal | None:
        """满意 + 基本满意 over the households that rated it, in per cent."""
        return percent(self.satisfied, self.answered)

    @property
    def rows(self) -> list[tuple[str, int, Decimal | None]]:
        return [
            (str(label), self.counts[value], percent(self.counts[value], self.answered))
            for value, label in Rating.choices
        ]


@dataclass
class SurveyResults:
    survey: Survey
    households: int
    responses: int
    paper: int
    overall: Tally
    items: list[Tally]

    @property
    def rate(self) -> Decimal | None:
        """Response rate: households that answered over the households asked, in per cent."""
        return percent(self.responses, self.households)

    @property
    def share(self) -> Decimal | None:
        """Share of satisfied households: 满意 + 基本满意 overall, over the responses."""
        return self.overall.share

    @property
    def tallies(self) -> list[Tally]:
        """The overall rating first, then each item's."""
        return [self.overall, *self.items]

    @property
    def rating_labels(self) -> list[str]:
        return [str(label) for _value, label in Rating.choices]


def survey_results(survey: Survey) -> SurveyResults:
    """Counts per rating overall and per item, response rate and satisfied share."""
    overall = Tally(str(_("总体评价")))
    responses = paper = 0
    for rating, is_paper in SurveyResponse.objects.filter(survey=survey).values_list(
        "overall", "paper"
    ):
        overall.counts[rating] += 1
        responses += 1
        paper += int(is_paper)
    tallies = {item.pk: Tally(item.title) for item in survey_items(survey)}
    for item_id, rating in SurveyAnswer.objects.filter(response__survey=survey).values_list(
        "item_id", "rating"
    ):
        if item_id in tallies:
            tallies[item_id].counts[rating] += 1
    return SurveyResults(
        survey, survey.households, responses, paper, overall, list(tallies.values())
    )


def published_survey(estate: Estate | int) -> Survey | None:
    """The estate's latest survey with published results."""
    estate_id = estate if isinstance(estate, int) else estate.pk
    return (
        Survey.objects.filter(estate_id=estate_id, published_at__isnull=False)
        .select_related("project", "estate")
        .order_by("-published_at", "-pk")
        .first()
    )


def estate_satisfaction(estate: Estate | int) -> SurveyResults | None:
    """The results of the estate's latest published survey (for the estate page), if any."""
    survey = published_survey(estate)
    return survey_results(survey) if survey is not None else None
