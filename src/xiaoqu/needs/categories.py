"""Opinion categories in the reader's language (docs/needs.md).

The taxonomy (``needs/data/taxonomy.json``, read by the pure classifier) names its categories
in Chinese; those names are data of the published lists and of the API. Pages show them
through the translation catalogue, which finds them listed here (a test keeps this list and
the taxonomy the same).
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from xiaoqu.needs import classifier as clf

NAMES = (
    gettext_noop("供水"),
    gettext_noop("排水与污水"),
    gettext_noop("供电"),
    gettext_noop("燃气"),
    gettext_noop("弱电与通信"),
    gettext_noop("道路"),
    gettext_noop("屋面与外墙"),
    gettext_noop("楼道与公共部位"),
    gettext_noop("消防"),
    gettext_noop("安防"),
    gettext_noop("垃圾分类与环卫"),
    gettext_noop("绿化与照明"),
    gettext_noop("加装电梯"),
    gettext_noop("停车"),
    gettext_noop("充电设施"),
    gettext_noop("适老化与无障碍"),
    gettext_noop("文化休闲与健身"),
    gettext_noop("快件与信包箱"),
    gettext_noop("违建拆除"),
    gettext_noop("建筑节能"),
    gettext_noop("养老与助餐"),
    gettext_noop("托育与幼儿"),
    gettext_noop("卫生服务"),
    gettext_noop("便民商业"),
    gettext_noop("社区服务设施"),
    gettext_noop("物业管理"),
    gettext_noop("环境秩序"),
)


def category_labels() -> dict[str, str]:
    """Category code → its name in the active language, in taxonomy order."""
    return {code: gettext(name) for code, name in clf.category_names().items()}


def category_choices() -> list[tuple[str, str]]:
    """(code, name in the active language) for a form's select, in taxonomy order."""
    return list(category_labels().items())
