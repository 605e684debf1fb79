"""The nine matters of Civil Code Art. 278 in the reader's language (docs/owner-votes.md).

The pure rules engine (``decisions/rules_engine.py``, no Django) names them in Chinese, and
those names stay Chinese where they are data: a result's explanation lines and the output of
``xiaoqu vote evaluate``. Pages show them through the translation catalogue, which finds them
listed here (a test keeps this list and the engine's the same).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from xiaoqu.decisions.rules_engine import MATTERS

NAMES = (
    gettext_noop("制定和修改业主大会议事规则"),
    gettext_noop("制定和修改管理规约"),
    gettext_noop("选举业主委员会或者更换业主委员会成员"),
    gettext_noop("选聘和解聘物业服务企业或者其他管理人"),
    gettext_noop("使用建筑物及其附属设施的维修资金"),
    gettext_noop("筹集建筑物及其附属设施的维修资金"),
    gettext_noop("改建、重建建筑物及其附属设施"),
    gettext_noop("改变共有部分的用途或者利用共有部分从事经营活动"),
    gettext_noop("有关共有和共同管理权利的其他重大事项"),
)


def matter_name(matter: int) -> str:
    """The matter's name in the active language."""
    return gettext(MATTERS[matter])


def matter_choices() -> list[tuple[int, Promise]]:
    """(number, "7. name") for a model field or a form, translated when shown."""
    return [(k, format_lazy("{}. {}", k, gettext_lazy(v))) for k, v in MATTERS.items()]
