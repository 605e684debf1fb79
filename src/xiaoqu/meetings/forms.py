"""Forms of the meeting pages: a meeting held, with the opinions heard at it."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.errors import DomainError
from xiaoqu.meetings.models import MeetingKind
from xiaoqu.needs.forms import not_future
from xiaoqu.needs.services import clean_opinion_text

# Lines a meeting form takes at once (a long meeting is entered in a few goes).
MEETING_MAX_LINES = 200


class MeetingForm(forms.Form):
    """A 坝坝会 or 居民议事会 with the opinions heard, one a line."""

    kind = forms.ChoiceField(label=_("形式"), choices=MeetingKind.choices)
    held_on = forms.DateField(
        label=_("日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    place = forms.CharField(
        label=_("地点"), max_length=100, widget=forms.TextInput(attrs={"placeholder": "院坝"})
    )
    attendance = forms.IntegerField(
        label=_("参加人数"),
        min_value=0,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    opinions = forms.CharField(
        label=_("听到的意见（一行一条）"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("请至少填写一条意见，一行一条。")},
    )

    def clean_held_on(self) -> dt.date | None:
        return not_future(self.cleaned_data.get("held_on"))

    def clean_opinions(self) -> list[str]:
        raw: str = self.cleaned_data["opinions"]
        lines = raw.splitlines()
        texts: list[str] = []
        errors: list[str] = []
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                texts.append(clean_opinion_text(line))
            except DomainError as error:
                errors.append(gettext("第 %(n)d 行：%(msg)s") % {"n": n, "msg": error.message})
        if errors:
            raise forms.ValidationError(errors)
        if not texts:
            raise forms.ValidationError(gettext("请至少填写一条意见，一行一条。"))
        if len(texts) > MEETING_MAX_LINES:
            raise forms.ValidationError(
                gettext("一次最多录入 %(n)d 条意见，请分几次录入。") % {"n": MEETING_MAX_LINES}
            )
        return texts


class NamedAttendeeForm(forms.Form):
    """Someone signed in by name: the register does not list them, or staff do not find them.

    The name and phone are checked by ``services.meeting_sign_in_named``; the room number is
    found among the estate's dwellings by the page.
    """

    name = forms.CharField(
        label=_("姓名"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    room = forms.CharField(
        label=_("房号（可不填）"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "2-301"}),
    )
    phone = forms.CharField(
        label=_("手机号（可不填）"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
