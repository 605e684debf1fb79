"""Meeting pages: staff schedule a meeting or record one held with the opinions heard at it,
sign households in, keep its record and publish the minutes; residents read published minutes
(attendance as counts, never names). Every action is its own URL and form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import mask_name, mask_phone
from xiaoqu.core.policy import Lookup, object_pk, object_pks, permitted_or_error, requires
from xiaoqu.meetings import services
from xiaoqu.meetings.forms import MeetingForm, NamedAttendeeForm
from xiaoqu.meetings.models import Meeting, MeetingAttendance, MeetingKind
from xiaoqu.meetings.rules import HOLD_MEETINGS, READ_MINUTES, VIEW_MEETINGS
from xiaoqu.needs.categories import category_labels
from xiaoqu.needs.models import Demand
from xiaoqu.needs.rules import READ_OPINIONS
from xiaoqu.needs.services import OpinionInput
from xiaoqu.needs.views.common import posted
from xiaoqu.registry.models import Dwelling, Estate, Ownership, Person, Relation, Residency
from xiaoqu.registry.rules import SEE_NAMES

ESTATE = Lookup(Estate, "estate_id")
MEETING = Lookup(Meeting, "meeting_id", select_related=("estate",))


@require_GET
@requires(VIEW_MEETINGS, find=ESTATE)
def meeting_list(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    meetings = (
        Meeting.objects.filter(estate=estate)
        .annotate(signed=Count("attendees", distinct=True), heard=Count("opinions", distinct=True))
        .order_by("-held_on", "-pk")
    )
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "estate": estate,
            "meetings": meetings,
            "kinds": MeetingKind.choices,
            "can_hold": HOLD_MEETINGS.has(request.user, estate),
        },
    )


@require_POST
@requires(HOLD_MEETINGS, find=ESTATE)
def meeting_new(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Schedule a meeting (its record is kept on the meeting's page)."""
    data = request.POST
    try:
        try:
            held_on = dt.date.fromisoformat(data.get("held_on", ""))
        except ValueError:
            raise DomainError(_("请填写会议日期。")) from None
        with transaction.atomic():
            meeting = services.meeting_create(
                estate=estate,
                kind=data.get("kind", ""),
                held_on=held_on,
                place=data.get("place", ""),
                attendance=0,
                actor=request.user,
            )
            services.meeting_record_update(
                meeting=meeting,
                actor=request.user,
                convenor=data.get("convenor", ""),
                agenda=data.get("agenda", ""),
            )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("meetings:meeting_list", estate_id=estate.pk)
    return redirect("meetings:meeting_record", meeting_id=meeting.pk)


def _heard_form(
    request: AuthenticatedRequest,
    estate: Estate,
    form: MeetingForm,
    status: int = 200,
    page_error: str = "",
) -> HttpResponse:
    return render(
        request,
        "meetings/heard_new.html",
        {"estate": estate, "form": form, "page_error": page_error},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(HOLD_MEETINGS, find=ESTATE)
def heard_new(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """A 坝坝会 or 居民议事会 already held, entered with the opinions heard, one a line."""
    if request.method != "POST":
        return _heard_form(request, estate, MeetingForm())
    data, _files, too_big = posted(request)
    if too_big:
        return _heard_form(request, estate, MeetingForm(), status=400, page_error=too_big)
    form = MeetingForm(data)
    if not form.is_valid():
        return _heard_form(request, estate, form, status=400)
    texts: list[str] = form.cleaned_data["opinions"]
    try:
        meeting = services.meeting_create(
            estate=estate,
            kind=form.cleaned_data["kind"],
            held_on=form.cleaned_data["held_on"],
            place=form.cleaned_data["place"],
            attendance=form.cleaned_data["attendance"],
            actor=request.user,
            heard=texts,
        )
    except DomainError as e:
        form.add_error(None, e.message)
        return _heard_form(request, estate, form, status=400)
    messages.success(
        request,
        ngettext(
            "已记录%(meeting)s和 %(n)d 条意见。", "已记录%(meeting)s和 %(n)d 条意见。", len(texts)
        )
        % {"meeting": meeting.get_kind_display(), "n": len(texts)},
    )
    return redirect("meetings:meeting_record", meeting_id=meeting.pk)


@dataclass
class Candidate:
    """A dwelling found for sign-in, with its people of the register and whether (and when)
    each is signed in already."""

    dwelling: Dwelling
    household_at: str = ""
    # (person, name as shown, relation to the dwelling, time signed in or "")
    people: list[tuple[Person, str, str, str]] = field(default_factory=list)


def _room_parts(query: str) -> list[str]:
    return [p for p in query.replace("栋", "-").replace("单元", "-").split("-") if p.strip()]


def _dwellings_found(request: AuthenticatedRequest, meeting: Meeting, query: str) -> list[Dwelling]:
    """Dwellings of the meeting's estate matching "301" or "2-301" that the user may sign in (a
    grid worker finds the dwellings of their grid only)."""
    parts = [p.strip() for p in _room_parts(query)]
    if not parts:
        return []
    found = Dwelling.objects.filter(estate=meeting.estate, number=parts[-1])
    if len(parts) >= 2:
        found = found.filter(building__number=parts[0])
    found = HOLD_MEETINGS.scoped(request.user, found)
    return list(
        found.select_related("building", "entrance").order_by("building__number", "pk")[:20]
    )


def _candidates(request: AuthenticatedRequest, meeting: Meeting, query: str) -> list[Candidate]:
    """What the sign-in search finds: by room number ("301", "2-301") the dwellings with their
    owners and residents; by name the owners and residents so named, with their dwellings."""
    relations = dict(Relation.choices)
    names = SEE_NAMES.has(request.user, meeting.estate)
    by_name = not any(ch.isdigit() for ch in query)
    if by_name:
        if not names:
            return []
        dwellings = HOLD_MEETINGS.scoped(
            request.user, Dwelling.objects.filter(estate=meeting.estate)
        )
        owners = Ownership.objects.filter(dwelling__in=dwellings, person__name__contains=query)
        residents = Residency.objects.filter(dwelling__in=dwellings, person__name__contains=query)
    else:
        found = _dwellings_found(request, meeting, query)
        owners = Ownership.objects.filter(dwelling__in=found)
        residents = Residency.objects.filter(dwelling__in=found)
    links: list[tuple[Dwelling, Person, str]] = [
        (o.dwelling, o.person, _("业主"))
        for o in owners.select_related("person", "dwelling__building", "dwelling__entrance")[:40]
    ]
    links += [
        (r.dwelling, r.person, str(relations.get(r.relation, r.relation)))
        for r in residents.select_related("person", "dwelling__building", "dwelling__entrance")[:40]
    ]
    candidates: dict[int, Candidate] = {}
    if not by_name:
        candidates = {d.pk: Candidate(d) for d in found}
    for dwelling, person, relation in links:
        candidate = candidates.setdefault(dwelling.pk, Candidate(dwelling))
        if all(p.pk != person.pk for p, *_rest in candidate.people):
            shown = person.name if names else mask_name(person.name)
            candidate.people.append((person, shown, relation, ""))
    signed = MeetingAttendance.objects.filter(
        meeting=meeting, dwelling_id__in=list(candidates), name=""
    )
    at = {(row.dwelling_id, row.person_id): services.signed_at(row) for row in signed}
    for candidate in candidates.values():
        candidate.household_at = at.get((candidate.dwelling.pk, None), "")
        candidate.people = [
            (p, shown, relation, at.get((candidate.dwelling.pk, p.pk), ""))
            for p, shown, relation, _at in candidate.people
        ]
    return list(candidates.values())[:20]


@dataclass
class AttendeeLine:
    label: str
    at: str
    phone: str
    named: bool


def _render_record(
    request: AuthenticatedRequest,
    meeting: Meeting,
    *,
    named_form: NamedAttendeeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:40]
    rows = meeting.attendees.select_related(
        "dwelling__building", "dwelling__entrance", "person"
    ).order_by("signed_in_at", "pk")
    names = SEE_NAMES.has(request.user, meeting.estate)
    attendees = [
        AttendeeLine(
            label=services.attendee_label(row, names=names),
            at=services.signed_at(row),
            phone=mask_phone(row.phone) if row.phone else "",
            named=bool(row.name),
        )
        for row in rows
    ]
    labels = category_labels()
    # Opinions heard at a meeting concern the whole estate or a building: the reader sees those
    # they may read (a grid worker, their grid's), and how many more there are.
    readable = READ_OPINIONS.scoped(request.user, meeting.opinions.all())
    heard = [
        (opinion, labels.get(opinion.category, opinion.category))
        for opinion in readable.select_related("demand").order_by("pk")
    ]
    chosen = set(meeting.agenda_demands.values_list("pk", flat=True))
    demands = sorted(
        Demand.objects.filter(estate=meeting.estate, merged_into__isnull=True)
        .annotate(n=Count("opinions"))
        .filter(Q(n__gt=0) | ~Q(source="opinions"))
        .order_by("-n", "pk"),
        # The demands on the agenda first, so the chosen ones show without scrolling.
        key=lambda d: d.pk not in chosen,
    )
    can_hold = HOLD_MEETINGS.has(request.user, meeting)
    return render(
        request,
        "meetings/meeting_record.html",
        {
            "meeting": meeting,
            "can_hold": can_hold,
            "demands": demands,
            "chosen_demands": chosen,
            "attendees": attendees,
            "households": meeting.attendees.filter(dwelling__isnull=False)
            .values("dwelling")
            .distinct()
            .count(),
            "heard": heard,
            "hidden_heard": meeting.opinions.count() - len(heard),
            "query": query,
            "found": _candidates(request, meeting, query) if query and can_hold else [],
            "by_name": bool(query) and not any(ch.isdigit() for ch in query),
            "named_form": named_form or NamedAttendeeForm(),
        },
        status=status,
    )


@require_GET
@requires(VIEW_MEETINGS, find=MEETING)
def meeting_record(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    return _render_record(request, meeting)


def _back(meeting: Meeting) -> HttpResponse:
    # No anchor: the page opens at its top, where the message of what was done stands (the
    # sign-in is the first section).
    return redirect("meetings:meeting_record", meeting_id=meeting.pk)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def record_save(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    data = request.POST
    try:
        services.meeting_record_update(
            meeting=meeting,
            actor=request.user,
            convenor=data.get("convenor", ""),
            agenda=data.get("agenda", ""),
            minutes=data.get("minutes", ""),
            decisions=data.get("decisions", ""),
            agenda_demand_ids=object_pks(
                data.getlist("demands"), _("议题中的需求不属于这个小区。")
            ),
        )
        messages.success(request, _("已保存会议记录。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


def _person_of(dwelling: Dwelling, value: str) -> Person:
    """An owner or resident of the dwelling, from a form (anything else: the form's message)."""
    try:
        pk = object_pk(value)
    except Http404:
        pk = 0
    person = (
        Person.objects.filter(Q(ownerships__dwelling=dwelling) | Q(residencies__dwelling=dwelling))
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise DomainError(_("这个人不是这户的业主或住户。"), code="person_not_of_dwelling")
    return person


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def sign_in(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    """Sign a household in, or one of its owners or residents (``person``)."""
    try:
        if not request.POST.get("dwelling"):
            raise DomainError(_("请先查找并选择房屋。"))
        dwelling = permitted_or_error(
            request.user,
            HOLD_MEETINGS,
            Dwelling.objects.filter(estate=meeting.estate).select_related("building", "entrance"),
            request.POST["dwelling"],
            _("请先查找并选择房屋。"),
        )
        person = (
            _person_of(dwelling, request.POST["person"]) if request.POST.get("person") else None
        )
        row = services.meeting_sign_in(
            meeting=meeting, dwelling=dwelling, person=person, actor=request.user
        )
        names = SEE_NAMES.has(request.user, meeting.estate)
        messages.success(
            request, _("已签到：%(d)s") % {"d": services.attendee_label(row, names=names)}
        )
    except services.AlreadySignedIn as error:
        messages.warning(request, error.message)
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def sign_in_named(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    """Sign someone in by name, with their room and phone when they give them."""
    form = NamedAttendeeForm(request.POST)
    if not form.is_valid():
        return _render_record(request, meeting, named_form=form, status=400)
    room = form.cleaned_data["room"].strip()
    dwelling = None
    if room:
        found = _dwellings_found(request, meeting, room) if _room_parts(room) else []
        if not found:
            form.add_error("room", _("这个小区没有找到这个房号。"))
        elif len(found) > 1:
            form.add_error("room", _("有几栋楼都有这个房号，请写上楼栋，如 2-301。"))
        else:
            dwelling = found[0]
    if form.errors:
        return _render_record(request, meeting, named_form=form, status=400)
    try:
        row = services.meeting_sign_in_named(
            meeting=meeting,
            name=form.cleaned_data["name"],
            dwelling=dwelling,
            phone=form.cleaned_data["phone"],
            actor=request.user,
        )
    except services.AlreadySignedIn as error:
        messages.warning(request, error.message)
        return _back(meeting)
    except DomainError as error:
        form.add_error(NAMED_FIELDS.get(error.code), error.message)
        return _render_record(request, meeting, named_form=form, status=400)
    names = SEE_NAMES.has(request.user, meeting.estate)
    messages.success(request, _("已签到：%(d)s") % {"d": services.attendee_label(row, names=names)})
    return _back(meeting)


# Which field of the named sign-in form a service error belongs to.
NAMED_FIELDS = {"name": "name", "phone": "phone", "dwelling_outside": "room"}


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def photo_add(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    try:
        photo = request.FILES.get("photo")
        if photo is None:
            raise DomainError(_("请选择照片。"))
        services.meeting_photo_add(meeting=meeting, photo=photo, actor=request.user)
        messages.success(request, _("已上传照片。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def hear(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    """More opinions heard at the meeting, one a line (all or nothing)."""
    texts = [line for line in request.POST.get("opinions", "").splitlines() if line.strip()]
    try:
        if not texts:
            raise DomainError(_("请至少填写一条意见，一行一条。"))
        items = [OpinionInput(text=text, heard_on=meeting.held_on) for text in texts]
        opinions = services.meeting_hear(meeting=meeting, items=items, actor=request.user)
        messages.success(
            request,
            ngettext("已记录 %(n)d 条意见。", "已记录 %(n)d 条意见。", len(opinions))
            % {"n": len(opinions)},
        )
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def minutes_publish(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    """Publish the minutes, once staff tick that they checked them (publishing is final)."""
    try:
        if request.POST.get("confirmed") != "1":
            raise DomainError(
                _("请先核对纪要，并勾选“我已核对，发布后不可修改”。"), code="not_confirmed"
            )
        services.meeting_publish_minutes(meeting=meeting, actor=request.user)
        messages.success(request, _("会议纪要已向居民公布。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_GET
@requires(READ_MINUTES, find=MEETING)
def meeting_minutes(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    """Published minutes for the estate's residents (and staff in scope)."""
    return render(
        request,
        "meetings/meeting_minutes.html",
        {
            "meeting": meeting,
            "households": meeting.attendees.filter(dwelling__isnull=False)
            .values("dwelling")
            .distinct()
            .count(),
            "unhoused": meeting.attendees.filter(dwelling__isnull=True).count(),
            "demands": meeting.agenda_demands.all(),
        },
    )


@require_GET
@requires(READ_MINUTES, find=ESTATE)
def minutes_list(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The estate's published minutes, newest first: residents' way to older meetings (the
    resident's feed shows the recent ones)."""
    meetings = Meeting.objects.filter(estate=estate, minutes_published_at__isnull=False)
    return render(
        request,
        "meetings/minutes_list.html",
        {"estate": estate, "meetings": meetings.order_by("-held_on", "-pk")[:200]},
    )
