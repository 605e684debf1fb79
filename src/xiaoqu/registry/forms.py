"""Forms of the register pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiaoqu.registry.models import RenovationStage

ELIGIBILITY_CHOICES = [("", _("全部")), ("yes", _("符合改造条件")), ("no", _("不符合"))]


class EstateFilterForm(forms.Form):
    """Filters of the estate list, read from the query string.

    A value that does not parse is dropped (the list is shown without it) and named in
    ``notes``; the region is only parsed here, the view checks it against the scope.
    """

    q = forms.CharField(label=_("名称或编号"), required=False, max_length=100)
    region = forms.IntegerField(label=_("区划"), required=False, min_value=1)
    year_from = forms.IntegerField(
        label=_("建成年份起"), required=False, min_value=1800, max_value=2100
    )
    year_to = forms.IntegerField(
        label=_("建成年份止"), required=False, min_value=1800, max_value=2100
    )
    eligibility = forms.ChoiceField(
        label=_("改造条件"), required=False, choices=ELIGIBILITY_CHOICES
    )
    stage = forms.ChoiceField(
        label=_("改造阶段"),
        required=False,
        choices=[("", _("全部"))] + list(RenovationStage.choices),
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        for name, example in (("year_from", "1980"), ("year_to", "2000")):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "placeholder": example})
        self.fields["q"].widget.attrs.update({"placeholder": gettext("输入小区名称或编号")})

    def filters(self) -> tuple[dict[str, Any], list[str]]:
        """The valid filters and a note per ignored one."""
        self.is_valid()
        values: dict[str, Any] = {}
        notes: list[str] = []
        for name, f in self.fields.items():
            if name in self.errors:
                raw = self.data.get(name, "")
                notes.append(
                    gettext("已忽略无效的筛选条件：%(label)s“%(value)s”")
                    % {"label": f.label, "value": raw[:40]}
                )
                continue
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                values[name] = value
        return values, notes
