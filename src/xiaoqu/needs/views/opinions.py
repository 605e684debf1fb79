"""Pages: an estate's opinions from every channel, for staff.

The estate's opinion list with filters, paging and a category correction for the rows ticked
(one category select for the page, not one per row; it works without JavaScript), hotline
calls, spreadsheet
import (opinions heard at meetings are recorded on the meeting pages), and an opinion's photo
(for staff in scope and for the resident it belongs to). Residents' own pages are in
``views.resident``.

Residents' names and phones never appear on these pages: an opinion is shown with its
dwelling label (1栋2单元301) only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, requires
from xiaoqu.core.uploads import stored_file_response
from xiaoqu.needs import selectors, services
from xiaoqu.needs.categories import category_labels
from xiaoqu.needs.forms import (
    CategoryForm,
    HotlineForm,
    ImportForm,
    OpinionFilterForm,
    category_choices,
)
from xiaoqu.needs.importing import OpinionRowsRefused, Place, template_workbook
from xiaoqu.needs.models import Channel, Opinion
from xiaoqu.needs.rules import READ_OPINIONS, RECORD_OPINIONS, VIEW_NEEDS
from xiaoqu.needs.services import OpinionInput
from xiaoqu.needs.views.common import ESTATE, posted
from xiaoqu.registry.models import Building, Estate

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User

OPINIONS_PER_PAGE = 30
# The list's query string kept when a correction returns to it.
LIST_PARAMS = ("q", "channel", "category", "date_from", "date_to", "page")
RECENT_HOTLINE = 10
TEMPLATE_FILENAME = "意见导入模板.xlsx"


def _place_label(opinion: Opinion) -> str:
    if opinion.dwelling is not None:
        return opinion.dwelling.label
    if opinion.building is not None:
        return f"{opinion.building.number}栋"
    return _("整个小区")


@dataclass
class Row:
    """One opinion as a staff row shows it."""

    opinion: Opinion
    channel: str
    occasion: str
    place: str
    category_name: str
    score: int
    demand_title: str
    demand_url: str | None
    photo_url: str | None
    can_correct: bool = False
    error: str = ""


def _row(opinion: Opinion, names: dict[str, str], *, readable: bool, correct: bool) -> Row:
    demand = opinion.demand
    if demand is not None and demand.merged_into_id is not None and demand.merged_into:
        demand = demand.merged_into
    return Row(
        opinion=opinion,
        channel=str(opinion.get_channel_display()),
        occasion=opinion.occasion,
        place=_place_label(opinion),
        category_name=names.get(opinion.category, opinion.category),
        score=round(opinion.score * 100),
        demand_title=demand.title if demand is not None else "",
        demand_url=reverse("needs:demand_detail", args=[demand.pk]) if demand else None,
        photo_url=(
            reverse("needs:opinion_photo", args=[opinion.pk])
            if opinion.photo and readable
            else None
        ),
        can_correct=correct,
    )


def _rows(user: User, opinions: list[Opinion], *, correct: bool = True) -> list[Row]:
    """Staff rows; each offers its photo where the user may read the opinion itself and the
    correction form where the user may correct it (``correct=False``: never)."""
    ids = [o.pk for o in opinions]
    with_photo = [o.pk for o in opinions if o.photo]
    readable: set[int] = set()
    if with_photo:
        photos = Opinion.objects.filter(pk__in=with_photo)
        readable = set(READ_OPINIONS.scoped(user, photos).values_list("pk", flat=True))
    correctable: set[int] = set()
    if correct and ids:
        on_page = Opinion.objects.filter(pk__in=ids)
        correctable = set(RECORD_OPINIONS.scoped(user, on_page).values_list("pk", flat=True))
    names = category_labels()
    return [
        _row(o, names, readable=o.pk in readable, correct=o.pk in correctable) for o in opinions
    ]


def _with_related(qs: QuerySet[Opinion]) -> QuerySet[Opinion]:
    return qs.select_related(
        "building",
        "dwelling__building",
        "dwelling__entrance",
        "demand__merged_into",
    )


# --- staff: the opinion list and corrections --------------------------------------------------


@require_GET
@requires(VIEW_NEEDS, find=ESTATE)
def opinion_list(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The estate's opinions the user reads (``selectors.estate_opinions``), newest first."""
    form = OpinionFilterForm(request.GET)
    values, notes = form.filters()
    qs = selectors.estate_opinions(user=request.user, estate=estate)
    if "channel" in values:
        qs = qs.filter(channel=values["channel"])
    if "category" in values:
        qs = qs.filter(category=values["category"])
    if "date_from" in values:
        qs = qs.filter(heard_on__gte=values["date_from"])
    if "date_to" in values:
        qs = qs.filter(heard_on__lte=values["date_to"])
    if "q" in values:
        qs = qs.filter(text__icontains=values["q"])
    page = Paginator(_with_related(qs).order_by("-heard_on", "-pk"), OPINIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = _rows(request.user, list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    categories = category_choices()
    return render(
        request,
        "needs/opinions/opinion_list.html",
        {
            "estate": estate,
            "form": form,
            "notes": notes,
            "page": page,
            "rows": rows,
            "page_range": page.paginator.get_elided_page_range(
                page.number, on_each_side=2, on_ends=1
            ),
            "ellipsis": page.paginator.ELLIPSIS,
            "query": query.urlencode(),
            "back": _list_query(request.GET),
            "filtered": bool(values),
            "can_record": RECORD_OPINIONS.has(request.user, estate),
            "can_correct": any(row.can_correct for row in rows),
            "demand_board_url": reverse("needs:demand_board", args=[estate.pk]),
            "categories": categories,
        },
    )


def _list_query(params: QueryDict) -> str:
    """The opinion list's own parameters of ``params``, as a query string."""
    kept = QueryDict(mutable=True)
    for name in LIST_PARAMS:
        value = params.get(name, "")[:100]
        if value:
            kept[name] = value
    return kept.urlencode()


@require_POST
@requires(RECORD_OPINIONS, find=ESTATE)
def opinions_recategorise(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Give the ticked opinions of the list one category, then return to the same page of
    the list with its filters. All or nothing: an id that is not an opinion of the estate the
    user may correct refuses the whole request with a message."""
    back = reverse("needs:opinion_list", args=[estate.pk])
    query = _list_query(QueryDict(request.POST.get("back", "")))
    if query:
        back += "?" + query
    form = CategoryForm(request.POST)
    raw = request.POST.getlist("opinion")
    ids = {int(v) for v in raw if v.isdigit()}
    if not form.is_valid():
        messages.error(request, _("请选择要改成的类别。"))
        return redirect(back)
    if not raw:
        messages.error(request, _("请先勾选要改正类别的意见。"))
        return redirect(back)
    chosen = list(
        RECORD_OPINIONS.scoped(
            request.user, Opinion.objects.filter(estate=estate, pk__in=ids)
        ).select_related("estate")
    )
    if len(ids) != len(raw) or len(chosen) != len(ids):
        messages.error(request, _("所选的意见有的已不存在或不由您改正，这次没有改动任何意见。"))
        return redirect(back)
    category = form.cleaned_data["category"]
    changed = sum(1 for opinion in chosen if opinion.category != category)
    try:
        services.opinions_recategorise(opinions=chosen, category=category, actor=request.user)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect(back)
    name = category_labels().get(category, category)
    if changed:
        messages.success(
            request,
            ngettext(
                "已把 %(n)d 条意见的类别改为“%(c)s”。",
                "已把 %(n)d 条意见的类别改为“%(c)s”。",
                changed,
            )
            % {"n": changed, "c": name},
        )
    else:
        messages.info(request, _("所选的意见本来就是“%(c)s”，没有改动。") % {"c": name})
    return redirect(back)


OPINION = Lookup(Opinion, "opinion_id", select_related=("estate",))


@require_POST
@requires(RECORD_OPINIONS, find=OPINION)
def opinion_category(request: AuthenticatedRequest, opinion: Opinion) -> HttpResponse:
    """Correct an opinion's category; htmx gets the row back, a plain form a redirect."""
    form = CategoryForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("请选择一个类别。")
    else:
        try:
            services.opinion_recategorise(
                opinion=opinion, category=form.cleaned_data["category"], actor=request.user
            )
        except DomainError as e:
            error = e.message
    if request.headers.get("HX-Request"):
        fresh = _with_related(Opinion.objects.filter(pk=opinion.pk)).get()
        (row,) = _rows(request.user, [fresh])
        row.error = error
        return render(
            request,
            "needs/opinions/_opinion_row.html",
            {"row": row, "saved": not error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("类别已改正。"))
    return redirect("needs:opinion_list", estate_id=opinion.estate_id)


@require_GET
# requires() is typed for HttpResponse views; a FileResponse streams (StreamingHttpResponse).
@requires(READ_OPINIONS, find=Lookup(Opinion, "opinion_id"))
def opinion_photo(request: AuthenticatedRequest, opinion: Opinion) -> FileResponse:
    """The photo of an opinion, for those who may read it: staff in scope, the resident it
    belongs to; else 404."""
    return stored_file_response(opinion.photo)


# --- staff: hotline ---------------------------------------------------------------------------


def _buildings(user: User, estate: Estate) -> list[Building]:
    """The estate's buildings the user records opinions for (a grid worker: the grid's)."""
    return sorted(
        RECORD_OPINIONS.scoped(user, Building.objects.filter(estate=estate)),
        key=lambda b: (len(b.number), b.number),
    )


@require_http_methods(["GET", "POST"])
@requires(RECORD_OPINIONS, find=ESTATE)
def hotline(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Record a hotline call (for a building or dwelling the user records for, or none)."""
    buildings = _buildings(request.user, estate)
    if request.method != "POST":
        return _hotline_form(request, estate, HotlineForm(buildings=buildings))
    data, _files, too_big = posted(request)
    if too_big:
        form = HotlineForm(buildings=buildings)
        return _hotline_form(request, estate, form, status=400, page_error=too_big)
    form = HotlineForm(data, buildings=buildings)
    if not form.is_valid():
        return _hotline_form(request, estate, form, status=400)
    cd = form.cleaned_data
    building = form.buildings.get(cd.get("building") or "")
    dwelling = None
    if building is not None and cd.get("room"):
        try:
            dwelling = Place(estate, buildings).dwelling(building, cd["entrance"], cd["room"])
        except DomainError as e:
            form.add_error("room", e.message)
            return _hotline_form(request, estate, form, status=400)
    try:
        services.opinions_record(
            estate=estate,
            items=[
                OpinionInput(
                    text=cd["text"],
                    heard_on=cd["heard_on"],
                    building=building,
                    dwelling=dwelling,
                    urgent=cd["urgent"],
                )
            ],
            channel=Channel.HOTLINE,
            actor=request.user,
        )
    except DomainError as e:
        form.add_error(None, e.message)
        return _hotline_form(request, estate, form, status=400)
    messages.success(request, _("已记录这通热线的意见。"))
    return redirect("needs:hotline", estate_id=estate.pk)


def _hotline_form(
    request: AuthenticatedRequest,
    estate: Estate,
    form: HotlineForm,
    status: int = 200,
    page_error: str = "",
) -> HttpResponse:
    recent = _with_related(
        selectors.estate_opinions(user=request.user, estate=estate).filter(channel=Channel.HOTLINE)
    ).order_by("-created_at", "-pk")[:RECENT_HOTLINE]
    return render(
        request,
        "needs/opinions/hotline.html",
        {
            "estate": estate,
            "form": form,
            "recent": _rows(request.user, list(recent), correct=False),
            "page_error": page_error,
        },
        status=status,
    )


# --- staff: spreadsheet import ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@requires(RECORD_OPINIONS, find=ESTATE)
def opinion_import(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Import a spreadsheet of opinions: all rows or none (rows for the user's buildings)."""
    if request.method != "POST":
        return _import_form(request, estate, ImportForm())
    data, files, too_big = posted(request)
    if too_big:
        return _import_form(request, estate, ImportForm(), status=400, refused=too_big)
    form = ImportForm(data, files)
    if not form.is_valid():
        return _import_form(request, estate, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        stored = services.opinions_import(
            estate=estate,
            upload=upload,
            actor=request.user,
            buildings=_buildings(request.user, estate),
        )
    except OpinionRowsRefused as e:
        return _import_form(
            request, estate, form, status=400, refused=e.message, row_errors=e.lines()
        )
    except DomainError as e:
        return _import_form(request, estate, form, status=400, refused=e.message)
    messages.success(
        request,
        _("已从“%(name)s”导入 %(n)d 条意见。") % {"name": upload.name, "n": len(stored)},
    )
    return redirect(reverse("needs:opinion_list", args=[estate.pk]) + "?channel=import")


def _import_form(
    request: AuthenticatedRequest,
    estate: Estate,
    form: ImportForm,
    status: int = 200,
    refused: str = "",
    row_errors: list[str] | None = None,
) -> HttpResponse:
    return render(
        request,
        "needs/opinions/import.html",
        {
            "estate": estate,
            "form": form,
            "refused": refused,
            "row_errors": row_errors or [],
        },
        status=status,
    )


@require_GET
@requires(VIEW_NEEDS)
def import_template(request: AuthenticatedRequest) -> HttpResponse:
    """The empty import spreadsheet, with its headers and a sheet explaining them."""
    response = HttpResponse(
        template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=TEMPLATE_FILENAME
    )
    return response
