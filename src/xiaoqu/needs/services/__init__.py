"""Writes for the needs app; each validates, checks the actor's permission for the object,
writes in one transaction and audits.

One module per part: ``opinions`` (recording, residents' submissions, corrections),
``demands`` (the demand list and its versions), ``campaigns`` (door-knocking campaigns and
visits), and ``placing`` (how opinions join demands, shared by all three). Other apps call
them through this package: ``from xiaoqu.needs import services``.
"""

from xiaoqu.needs.services.campaigns import (
    VisitResult,
    campaign_create,
    campaign_set_status,
    visit_record,
)
from xiaoqu.needs.services.demands import (
    TRANSITIONS,
    demand_create,
    demand_join,
    demand_list_publish,
    demand_set_status,
    demand_split,
    demand_suggestion_accept,
    demand_suggestion_dismiss,
    demand_update,
)
from xiaoqu.needs.services.opinions import (
    OpinionInput,
    clean_opinion_text,
    corrections_for_training,
    opinion_recategorise,
    opinion_submit,
    opinions_import,
    opinions_recategorise,
    opinions_record,
)
from xiaoqu.needs.services.placing import TITLE_CHARS

__all__ = [
    "TITLE_CHARS",
    "TRANSITIONS",
    "OpinionInput",
    "VisitResult",
    "campaign_create",
    "campaign_set_status",
    "clean_opinion_text",
    "corrections_for_training",
    "demand_create",
    "demand_join",
    "demand_list_publish",
    "demand_set_status",
    "demand_split",
    "demand_suggestion_accept",
    "demand_suggestion_dismiss",
    "demand_update",
    "opinion_recategorise",
    "opinion_submit",
    "opinions_import",
    "opinions_recategorise",
    "opinions_record",
    "visit_record",
]
