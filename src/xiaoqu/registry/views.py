"""Register pages: workbench, region tree, estate list and page, resident home."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Min
from django.shortcuts import render
from django.urls import reverse

from xiaoqu.core.access_log import FIELD_ID_LAST4, FIELD_PHONE, access_note
from xiaoqu.core.models import AccessAction
from xiaoqu.core.policy import AUTHENTICATED, Lookup, find_permitted, requires
from xiaoqu.registry import selectors
from xiaoqu.registry.forms import EstateFilterForm
from xiaoqu.registry.models import Estate, Region, RenovationStage
from xiaoqu.registry.rules import VIEW_WORKBENCH

ESTATES_PER_PAGE = 50
# Region options offered in the estate filter: the top levels of the user's scope only,
# since a province holds thousands of communities (deeper regions come from the tree).
REGION_OPTION_LEVELS = 3
REGION_OPTION_LIMIT = 300


@requires(VIEW_WORKBENCH)
def workbench(request):
    summary = selectors.workbench_summary(user=request.user)
    assignments = list(request.user.roles.select_related("region", "estate"))
    return render(
        request,
        "registry/workbench.html",
        {
            "summary": summary,
            "assignments": assignments,
            "last_eligible_year": settings.ELIGIBLE_BEFORE_YEAR - 1,
        },
    )


@requires(VIEW_WORKBENCH)
def region_tree(request):
    """The visible regions as a tree; ``?parent=<id>`` gives one node's children.

    htmx asks for children when a node is opened (the HX-Request header gets the bare
    fragment); without JavaScript the same URL shows that node as its own page.
    """
    parent_id = request.GET.get("parent")
    if parent_id is not None:
        parent = find_permitted(request.user, VIEW_WORKBENCH, Region.objects.all(), parent_id)
        children = selectors.region_children(user=request.user, parent=parent)
        if request.headers.get("HX-Request"):
            return render(request, "registry/_region_nodes.html", {"nodes": children})
        roots = [selectors.RegionNode(region=parent, has_children=bool(children))]
        roots[0].estates = sum(c.estates for c in children)
        roots[0].households = sum(c.households for c in children)
        expanded = {parent.pk: children}
    else:
        roots = selectors.region_roots(user=request.user)
        # A user with one root (the usual case) sees its first level opened at once.
        expanded = {}
        if len(roots) == 1:
            expanded[roots[0].region.pk] = selectors.region_children(
                user=request.user, parent=roots[0].region
            )
    for node in roots:
        node.children = expanded.get(node.region.pk)  # type: ignore[attr-defined]
    return render(request, "registry/region_tree.html", {"roots": roots})


def _region_options(user, current):
    visible = VIEW_WORKBENCH.scoped(user, Region.objects.all())
    top = visible.aggregate(d=Min("depth"))["d"]
    options = []
    if top is not None:
        options = list(
            visible.filter(depth__lt=top + REGION_OPTION_LEVELS)
            .order_by("path")
            .only("pk", "name", "depth", "path")[:REGION_OPTION_LIMIT]
        )
        for r in options:
            r.indent = "\u3000" * (r.depth - top)  # type: ignore[attr-defined]
    if current is not None and all(r.pk != current.pk for r in options):
        current.indent = ""
        options.insert(0, current)
    return options


@requires(VIEW_WORKBENCH)
def estate_list(request):
    form = EstateFilterForm(request.GET)
    values, notes = form.filters()
    region = None
    if "region" in values:
        # An id outside the scope answers like a missing one (404), so ids cannot be probed.
        region = find_permitted(
            request.user, VIEW_WORKBENCH, Region.objects.all(), values["region"]
        )
    eligibility = values.get("eligibility")
    estates = selectors.estate_search(
        user=request.user,
        region=region,
        year_from=values.get("year_from"),
        year_to=values.get("year_to"),
        eligible={"yes": True, "no": False}.get(eligibility or ""),
        stage=values.get("stage"),
        text=values.get("q", ""),
    )
    page = Paginator(estates, ESTATES_PER_PAGE).get_page(request.GET.get("page"))
    # Labels and links resolved once per page rather than once per row in the template.
    stage_labels = {value: str(label) for value, label in RenovationStage.choices}
    detail_url = reverse("registry:estate_detail", args=[0]).removesuffix("0/")
    rows = list(page.object_list)
    for e in rows:
        e.stage_label = stage_labels.get(e.stage, e.stage)  # type: ignore[attr-defined]
        e.url = f"{detail_url}{e.pk}/"  # type: ignore[attr-defined]
    page.object_list = rows
    shown = EstateFilterForm(initial=values)
    return render(
        request,
        "registry/estate_list.html",
        {
            "form": shown,
            "notes": notes,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(
                page.number, on_each_side=2, on_ends=1
            ),
            "ellipsis": page.paginator.ELLIPSIS,
            "region": region,
            "region_options": _region_options(request.user, region),
            "filtered": bool(values),
        },
    )


@requires(VIEW_WORKBENCH, find=Lookup(Estate, "estate_id", select_related=("community",)))
def estate_detail(request, estate: Estate):
    register = selectors.estate_register(user=request.user, estate=estate)
    if register.show_phones:
        access_note(
            request,
            action=AccessAction.REVEAL,
            field=FIELD_PHONE,
            subjects=register.person_ids,
            description=estate.name,
        )
    access_note(
        request,
        action=AccessAction.REVEAL,
        field=FIELD_ID_LAST4,
        subjects=register.shown_id_last4,
        description=estate.name,
    )
    return render(
        request,
        "registry/estate_detail.html",
        {
            "estate": estate,
            "register": register,
            "last_eligible_year": settings.ELIGIBLE_BEFORE_YEAR - 1,
        },
    )


@requires(AUTHENTICATED)
def resident_home(request):
    user = request.user
    dwellings = selectors.resident_dwellings(user=user)
    return render(
        request,
        "registry/resident_home.html",
        {
            "has_person": bool(getattr(user, "person_id", None)),
            "dwellings": dwellings,
        },
    )
