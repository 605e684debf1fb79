"""Pages: opinions from every channel (staff) and residents' own opinions.

Staff: the estate's opinion list with filters and category correction, hotline calls,
spreadsheet import (opinions heard at meetings are recorded on the meeting pages). Residents: "我的意见"
(what happened to what I said) and a phone form to say something new.

Residents' names and phones never appear on these pages: an opinion is shown with its
dwelling label (1栋2单元301) only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import (
    access_estate,
    home_dwellings,
    home_estates,
    visible_buildings,
    visible_estates,
)
from xiaoqu.core.uploads import image_type
from xiaoqu.needs import classifier as clf
from xiaoqu.needs import selectors, services
from xiaoqu.needs.forms import (
    CategoryForm,
    HotlineForm,
    ImportForm,
    OpinionFilterForm,
    ResidentOpinionForm,
    category_choices,
)
from xiaoqu.needs.importing import OpinionRowsRefused, Place, template_workbook
from xiaoqu.needs.models import Channel, DemandStatus, Opinion
from xiaoqu.needs.services import OpinionInput
from xiaoqu.registry.models import Building, Estate

OPINIONS_PER_PAGE = 50
RECENT_HOTLINE = 10
TEMPLATE_FILENAME = "意见导入模板.xlsx"


def _url_or_none(name: str, **kwargs: Any) -> str | None:
    """A link to a page another part of the app may not have yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _category_names() -> dict[str, str]:
    return {c["code"]: c["name"] for c in clf.taxonomy()["categories"]}


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
    error: str = ""


def _row(opinion: Opinion, names: dict[str, str]) -> Row:
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
        demand_url=_url_or_none("needs:demand_detail", demand_id=demand.pk) if demand else None,
        photo_url=reverse("needs:opinion_photo", args=[opinion.pk]) if opinion.photo else None,
    )


def _with_related(qs: QuerySet[Opinion]) -> QuerySet[Opinion]:
    return qs.select_related(
        "building",
        "dwelling__building",
        "dwelling__entrance",
        "demand__merged_into",
    )


def _row_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "can_correct": request.user.has_perm("needs.record_opinions"),
        "categories": category_choices(),
    }


# --- staff: the opinion list and corrections --------------------------------------------------


@require_GET
def opinion_list(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access_estate(request.user, estate_id)
    form = OpinionFilterForm(request.GET)
    values, notes = form.filters()
    qs = selectors.opinions_visible(user=request.user, estate=estate)
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
    names = _category_names()
    rows = [_row(o, names) for o in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
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
            "filtered": bool(values),
            "can_record": request.user.has_perm("needs.record_opinions"),
            "demand_board_url": _url_or_none("needs:demand_board", estate_id=estate.pk),
            **_row_context(request),
        },
    )


def _staff_opinion(user: Any, opinion_id: int) -> Opinion:
    """The opinion if it is inside the user's workbench scope, else 404."""
    opinion = Opinion.objects.filter(pk=opinion_id).select_related("estate").first()
    if opinion is None or not visible_estates(user).filter(pk=opinion.estate_id).exists():
        raise Http404
    if not selectors.opinions_visible(user=user, estate=opinion.estate).filter(pk=opinion.pk):
        raise Http404
    return opinion


@require_POST
def opinion_category(request: HttpRequest, opinion_id: int) -> HttpResponse:
    """Correct an opinion's category; htmx gets the row back, a plain form a redirect."""
    opinion = _staff_opinion(request.user, opinion_id)
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
        row = _row(fresh, _category_names())
        row.error = error
        return render(
            request,
            "needs/opinions/_opinion_row.html",
            {"row": row, "saved": not error, **_row_context(request)},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("类别已改正。"))
    return redirect("needs:opinion_list", estate_id=opinion.estate_id)


@require_GET
def opinion_photo(request: HttpRequest, opinion_id: int) -> FileResponse:
    """The photo of an opinion, for staff in scope or the resident it belongs to; else 404."""
    user = request.user
    opinion = None
    if user.has_perm("needs.view_needs"):
        try:
            opinion = _staff_opinion(user, opinion_id)
        except Http404:
            opinion = None
    if opinion is None:
        opinion = selectors.opinion_for_resident(user=user, opinion_id=opinion_id)
    if opinion is None or not opinion.photo:
        raise Http404
    try:
        fh = opinion.photo.open("rb")
    except OSError:
        raise Http404 from None
    # The type comes from the bytes (checked on upload), never from the uploaded file name.
    head = fh.read(12)
    fh.seek(0)
    content_type = image_type(head)
    if content_type is None:
        fh.close()
        raise Http404
    response = FileResponse(fh, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response


# --- staff: hotline ---------------------------------------------------------------------------


def _post(request: HttpRequest) -> tuple[Any, Any, str]:
    """POST data and files, or an error when the request is larger than allowed."""
    try:
        return request.POST, request.FILES, ""
    except RequestDataTooBig:
        return (
            None,
            None,
            _("提交的内容太大（超过 5 MB），没有保存。意见最长 2000 字，请删减后重新提交。"),
        )


def _buildings(user: Any, estate: Estate) -> list[Building]:
    return sorted(
        visible_buildings(user).filter(estate=estate),
        key=lambda b: (len(b.number), b.number),
    )


@require_http_methods(["GET", "POST"])
def hotline(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access_estate(request.user, estate_id)
    buildings = _buildings(request.user, estate)
    if request.method != "POST":
        return _hotline_form(request, estate, HotlineForm(buildings=buildings))
    data, _files, too_big = _post(request)
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
    request: HttpRequest,
    estate: Estate,
    form: HotlineForm,
    status: int = 200,
    page_error: str = "",
) -> HttpResponse:
    recent = _with_related(
        selectors.opinions_visible(user=request.user, estate=estate).filter(channel=Channel.HOTLINE)
    ).order_by("-created_at", "-pk")[:RECENT_HOTLINE]
    names = _category_names()
    return render(
        request,
        "needs/opinions/hotline.html",
        {
            "estate": estate,
            "form": form,
            "recent": [_row(o, names) for o in recent],
            "page_error": page_error,
        },
        status=status,
    )


# --- staff: spreadsheet import ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def opinion_import(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = access_estate(request.user, estate_id)
    if request.method != "POST":
        return _import_form(request, estate, ImportForm())
    data, files, too_big = _post(request)
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
    request: HttpRequest,
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
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=TEMPLATE_FILENAME
    )
    return response


# --- residents --------------------------------------------------------------------------------

# What each demand status means, in words a resident understands.
STATUS_WORDS: dict[str, Any] = {
    DemandStatus.COLLECTED: gettext_lazy("您的意见已记下，正在和邻居们的意见一起汇总。"),
    DemandStatus.ASSESSED: gettext_lazy("社区已经研究过这件事，正在考虑是否列入改造方案。"),
    DemandStatus.PLANNED: gettext_lazy("这件事已列入改造方案，会按方案施工。"),
    DemandStatus.DONE: gettext_lazy("这件事已经办好了。"),
    DemandStatus.DECLINED: gettext_lazy("暂不实施"),
}
RESIDENT_CHANNEL_WORDS: dict[str, Any] = {
    Channel.VISIT: gettext_lazy("入户走访时说的"),
    Channel.MEETING: gettext_lazy("在会上说的"),
    Channel.RESIDENT: gettext_lazy("您自己提交的"),
    Channel.HOTLINE: gettext_lazy("打电话说的"),
    Channel.IMPORT: gettext_lazy("社区登记的"),
}


@dataclass
class MyRow:
    opinion: Opinion
    channel: str
    place: str
    status: str
    status_label: str
    status_words: str
    reason: str
    demand_title: str
    list_version: int | None
    list_rank: int | None
    notice_url: str | None
    photo_url: str | None


def _notice_url(estate_id: int) -> str | None:
    return _url_or_none("needs:demand_notice", estate_id=estate_id) or _url_or_none(
        "needs:notice", estate_id=estate_id
    )


@require_GET
def my_opinions(request: HttpRequest) -> HttpResponse:
    """我的意见 — what happened to what I said."""
    rows = []
    for mine in selectors.my_opinions(user=request.user):
        o, demand, item = mine.opinion, mine.demand, mine.published
        status = demand.status if demand is not None else ""
        rows.append(
            MyRow(
                opinion=o,
                channel=str(RESIDENT_CHANNEL_WORDS.get(o.channel, o.get_channel_display())),
                place=o.estate.name + (" " + o.dwelling.label if o.dwelling is not None else ""),
                status=status or "received",
                status_label=str(demand.get_status_display()) if demand else _("已收到"),
                status_words=(
                    str(STATUS_WORDS.get(status, "")) if demand else _("已收到，正在整理归类。")
                ),
                reason=demand.declined_reason if demand is not None else "",
                demand_title=demand.title if demand is not None else "",
                list_version=item.demand_list.version if item is not None else None,
                list_rank=item.rank if item is not None else None,
                notice_url=_notice_url(o.estate_id) if item is not None else None,
                photo_url=reverse("needs:opinion_photo", args=[o.pk]) if o.photo else None,
            )
        )
    return render(
        request,
        "needs/opinions/my_opinions.html",
        {"rows": rows, "can_submit": home_estates(request.user).exists()},
    )


def _resident_choices(user: Any) -> tuple[list[Estate], list[Any]]:
    estates = list(home_estates(user).order_by("name"))
    dwellings = sorted(
        home_dwellings(user).select_related("estate", "building", "entrance"),
        key=lambda d: (d.estate.name, d.label),
    )
    return estates, dwellings


@require_http_methods(["GET", "POST"])
def opinion_new(request: HttpRequest) -> HttpResponse:
    """A resident says something new from their phone (idempotent by the form's client key)."""
    estates, dwellings = _resident_choices(request.user)
    if not estates:
        return render(request, "needs/opinions/opinion_new.html", {"form": None})
    if request.method != "POST":
        form = ResidentOpinionForm(estates=estates, dwellings=dwellings)
        return _resident_form(request, form)
    data, files, too_big = _post(request)
    if too_big:
        form = ResidentOpinionForm(estates=estates, dwellings=dwellings)
        return _resident_form(request, form, status=400, page_error=too_big)
    form = ResidentOpinionForm(data, files, estates=estates, dwellings=dwellings)
    if not form.is_valid():
        return _resident_form(request, form, status=400)
    cd = form.cleaned_data
    try:
        _opinion, created = services.opinion_submit(
            user=request.user,
            estate=cd["estate_obj"],
            item=OpinionInput(
                text=cd["text"],
                dwelling=cd["dwelling_obj"],
                latitude=cd["latitude"],
                longitude=cd["longitude"],
                photo=cd["photo"],
                client_key=cd["client_key"],
            ),
        )
    except DomainError as e:
        form.add_error(None, e.message)
        return _resident_form(request, form, status=400)
    if created:
        messages.success(request, _("谢谢！您的意见已收到。处理进展会在这里显示。"))
    return redirect("needs:my_opinions")


def _resident_form(
    request: HttpRequest, form: ResidentOpinionForm, status: int = 200, page_error: str = ""
) -> HttpResponse:
    return render(
        request,
        "needs/opinions/opinion_new.html",
        {"form": form, "page_error": page_error},
        status=status,
    )
