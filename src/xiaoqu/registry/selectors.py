"""Reads for the register pages: scoped counts, region tree, estate lists and pages.

Every function takes the user and narrows to their scope with the register's permissions
(``registry.rules``); none of them walks dwellings to count them (``Estate.households``
holds the count), so a province-sized register stays cheap to show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from xiaoqu.core.pii import mask_name
from xiaoqu.registry.models import (
    Building,
    Consent,
    ConsentKind,
    Dwelling,
    DwellingUse,
    Entrance,
    Estate,
    Ownership,
    Person,
    Region,
    RegisterStatus,
    Relation,
    RenovationStage,
    Residency,
)
from xiaoqu.registry.rules import SEE_NAMES, SEE_PHONES, VIEW_WORKBENCH


def visible_estates(user: Any) -> QuerySet[Estate]:
    return VIEW_WORKBENCH.scoped(user, Estate.objects.all())


def visible_regions(user: Any) -> QuerySet[Region]:
    return VIEW_WORKBENCH.scoped(user, Region.objects.all())


def _eligible_q() -> Q:
    return Q(year_built__lt=settings.ELIGIBLE_BEFORE_YEAR)


# ---------------------------------------------------------------- workbench


def workbench_summary(*, user: Any) -> dict[str, Any]:
    """Estate and household counts in the user's scope, overall and by stage (two queries)."""
    estates = visible_estates(user)
    eligible = _eligible_q()
    totals = estates.aggregate(
        n_estates=Count("pk"),
        n_eligible=Count("pk", filter=eligible),
        n_households=Sum("households"),
        n_eligible_households=Sum("households", filter=eligible),
    )
    rows: dict[str, dict[str, Any]] = {
        r["stage"]: dict(r)
        for r in estates.order_by().values("stage").annotate(n=Count("pk"), hh=Sum("households"))
    }
    stages = [
        {
            "value": value,
            "label": label,
            "estates": rows.get(value, {}).get("n", 0),
            "households": rows.get(value, {}).get("hh") or 0,
        }
        for value, label in RenovationStage.choices
    ]
    return {
        "estates": totals["n_estates"] or 0,
        "eligible_estates": totals["n_eligible"] or 0,
        "households": totals["n_households"] or 0,
        "eligible_households": totals["n_eligible_households"] or 0,
        "stages": stages,
    }


# ---------------------------------------------------------------- region tree


@dataclass
class RegionNode:
    region: Region
    estates: int = 0
    households: int = 0
    has_children: bool = False


# Nodes counted per query; keeps the statement well inside database column limits.
_COUNT_BATCH = 200


def _nodes_with_counts(user: Any, regions: list[Region], within: str | None) -> list[RegionNode]:
    """Attach subtree estate and household counts to ``regions``.

    One aggregate query per batch of nodes, each node a filtered COUNT/SUM over the
    estates' ``region_path`` prefix, so the database does the counting over the
    parent's subtree (an indexed prefix) and no per-node query or Python walk is needed.
    """
    if not regions:
        return []
    nodes = [RegionNode(region=r) for r in regions]
    estates = visible_estates(user)
    if within:
        estates = estates.filter(region_path__startswith=within)
    for start in range(0, len(nodes), _COUNT_BATCH):
        batch = nodes[start : start + _COUNT_BATCH]
        aggregates: dict[str, Any] = {}
        for i, node in enumerate(batch):
            in_node = Q(region_path__startswith=node.region.path)
            aggregates[f"n{i}"] = Count("pk", filter=in_node)
            aggregates[f"h{i}"] = Sum("households", filter=in_node)
        row = estates.aggregate(**aggregates)
        for i, node in enumerate(batch):
            node.estates = row[f"n{i}"] or 0
            node.households = row[f"h{i}"] or 0
    parents_with_children = set(
        visible_regions(user)
        .filter(parent_id__in=[n.region.pk for n in nodes])
        .order_by()
        .values_list("parent_id", flat=True)
        .distinct()
    )
    for node in nodes:
        node.has_children = node.region.pk in parents_with_children
    return nodes


def region_roots(*, user: Any) -> list[RegionNode]:
    """The top nodes of the user's visible regions (those whose parent is not visible)."""
    visible = visible_regions(user)
    roots = list(visible.exclude(parent_id__in=visible.values("pk")).order_by("path"))
    return _nodes_with_counts(user, roots, within=None)


def region_children(*, user: Any, parent: Region) -> list[RegionNode]:
    """Visible children of ``parent`` with their subtree counts."""
    children = list(visible_regions(user).filter(parent=parent).order_by("code", "name"))
    return _nodes_with_counts(user, children, within=parent.path)


# ---------------------------------------------------------------- estate list


def estate_search(
    *,
    user: Any,
    region: Region | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    eligible: bool | None = None,
    stage: str | None = None,
    text: str = "",
) -> QuerySet[Estate]:
    """Estates in the user's scope matching the filters, ordered by code."""
    qs = visible_estates(user)
    if region is not None:
        qs = qs.filter(region_path__startswith=region.path)
    if year_from is not None:
        qs = qs.filter(year_built__gte=year_from)
    if year_to is not None:
        qs = qs.filter(year_built__lte=year_to)
    if eligible is True:
        qs = qs.filter(_eligible_q())
    elif eligible is False:
        # Unknown year counts as not eligible, as in EstateQuerySet.ineligible.
        qs = qs.filter(
            Q(year_built__gte=settings.ELIGIBLE_BEFORE_YEAR) | Q(year_built__isnull=True)
        )
    if stage:
        qs = qs.filter(stage=stage)
    text = text.strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__iexact=text))
    # Communities are fetched for the shown page only (one query by id), so the page
    # query need not join every region of a province before sorting.
    return (
        qs.only("id", "code", "name", "community_id", "year_built", "households", "stage")
        .prefetch_related(Prefetch("community", queryset=Region.objects.only("id", "name")))
        .order_by("code")
    )


# ---------------------------------------------------------------- estate page


@dataclass
class OwnerView:
    """An owner as this viewer may see them: display strings only, never raw values."""

    name: str
    phone: str
    id_number: str
    share: Any = None
    # Health and mobility, only with the person's current consent (docs/personal-information.md).
    assistance: str = ""


@dataclass
class DwellingView:
    dwelling: Dwelling
    status: str = ""
    owners: list[OwnerView] = field(default_factory=list)


@dataclass
class EntranceView:
    entrance: Entrance
    dwellings: list[DwellingView] = field(default_factory=list)


@dataclass
class BuildingView:
    building: Building
    entrances: list[EntranceView] = field(default_factory=list)

    @property
    def dwelling_count(self) -> int:
        return sum(len(e.dwellings) for e in self.entrances)


@dataclass
class EstateRegister:
    estate: Estate
    buildings: list[BuildingView]
    show_names: bool
    show_phones: bool
    dwellings: int
    owned_dwellings: int
    area: Any
    ancestors: list[Region]
    # The owners shown, for the personal-information access log (core.access_log).
    person_ids: list[int] = field(default_factory=list)
    shown_id_last4: list[int] = field(default_factory=list)


def estate_register(*, user: Any, estate: Estate) -> EstateRegister:
    """Buildings → entrances → dwellings → owners of one estate, in four flat queries.

    Owners' names and phones are masked here according to the viewer's roles, so the
    template receives only what it may show; ID numbers only ever as the last four.
    """
    show_phones = SEE_PHONES.has(user, estate)
    show_names = SEE_NAMES.has(user, estate)
    # A grid worker whose grid holds part of the estate sees that part only.
    building_qs = VIEW_WORKBENCH.scoped(user, Building.objects.filter(estate=estate))
    dwelling_qs = VIEW_WORKBENCH.scoped(user, Dwelling.objects.filter(estate=estate))
    buildings = [
        BuildingView(b)
        for b in building_qs.only(
            "id", "estate_id", "number", "storeys", "has_elevator", "structure"
        )
    ]
    by_building = {b.building.pk: b for b in buildings}
    entrances: dict[int, EntranceView] = {}
    for e in (
        Entrance.objects.filter(building_id__in=list(by_building))
        .only("id", "building_id", "number")
        .order_by("building_id", "number")
    ):
        view = EntranceView(e)
        entrances[e.pk] = view
        by_building[e.building_id].entrances.append(view)
    # Labels resolved once: an estate can have hundreds of dwellings.
    statuses = {v: str(label) for v, label in RegisterStatus.choices}
    uses = {v: str(label) for v, label in DwellingUse.choices}
    dwellings: dict[int, DwellingView] = {}
    for d in dwelling_qs.only(
        "id", "entrance_id", "number", "floor", "area", "use", "status"
    ).order_by("entrance_id", "floor", "number"):
        status = statuses.get(d.status, d.status)
        if d.use != DwellingUse.RESIDENTIAL:
            status = f"{status} · {uses.get(d.use, d.use)}"
        view_d = DwellingView(d, status=status)
        dwellings[d.pk] = view_d
        entrances[d.entrance_id].dwellings.append(view_d)
    ownerships = (
        # By dwelling ids (indexed), not through a join the planner may run as a scan.
        Ownership.objects.filter(dwelling_id__in=list(dwellings))
        .select_related("person")
        .only(
            "id",
            "dwelling_id",
            "share",
            "person__name",
            "person__phone",
            "person__id_last4",
            "person__needs_assistance",
            "person__assistance_note",
        )
        # Whether the health-and-mobility fields may be shown, in the same query.
        .annotate(
            consented=Exists(
                Consent.objects.filter(
                    person_id=OuterRef("person_id"),
                    kind=ConsentKind.ASSISTANCE,
                    withdrawn_at__isnull=True,
                )
            )
        )
        .order_by("dwelling_id", "pk")
    )
    owned = list(ownerships)
    person_ids = [o.person_id for o in owned]
    for o in owned:
        p = o.person
        dwellings[o.dwelling_id].owners.append(
            OwnerView(
                name=p.name if show_names else mask_name(p.name),
                phone=(p.phone if show_phones else p.phone_masked) if p.phone else "",
                # Only ever the masked form; shortened to its last eight characters.
                id_number=p.id_masked[-8:] if show_names else "",
                share=o.share,
                assistance=_assistance_line(p) if show_names and o.consented else "",
            )
        )
    total_area = sum((d.dwelling.area for d in dwellings.values()), start=0)
    community = estate.community
    return EstateRegister(
        estate=estate,
        buildings=buildings,
        show_names=show_names,
        show_phones=show_phones,
        dwellings=len(dwellings),
        owned_dwellings=sum(1 for d in dwellings.values() if d.owners),
        area=total_area,
        ancestors=list(community.ancestors()),
        person_ids=person_ids,
        shown_id_last4=[o.person_id for o in owned if o.person.id_last4] if show_names else [],
    )


def assistance_of(person_ids: Iterable[int]) -> dict[int, str]:
    """Person id → a short health-and-mobility line (需协助 and the note), in one query, for
    those of ``person_ids`` who have it *and* a current consent of kind ASSISTANCE; without
    consent nothing is returned, whatever the fields hold."""
    ids = list(set(person_ids))
    if not ids:
        return {}
    rows = (
        Person.objects.filter(pk__in=ids)
        .filter(Q(needs_assistance=True) | ~Q(assistance_note=""))
        .filter(consents__kind=ConsentKind.ASSISTANCE, consents__withdrawn_at__isnull=True)
        .values_list("pk", "needs_assistance", "assistance_note")
        .distinct()
    )
    return {pk: _assistance_text(needs, note) for pk, needs, note in rows}


def _assistance_text(needs: bool, note: str) -> str:
    return "；".join(x for x in (str(_("需上门协助")) if needs else "", note) if x)


def _assistance_line(person: Person) -> str:
    return _assistance_text(person.needs_assistance, person.assistance_note)


# ---------------------------------------------------------------- resident home


@dataclass
class HomeDwelling:
    dwelling: Dwelling
    relations: list[str]


def resident_dwellings(*, user: Any) -> list[HomeDwelling]:
    """The dwellings the user's own person owns or lives in, with how they relate to each."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return []
    relations: dict[int, list[str]] = defaultdict(list)
    owner_label = str(Relation.OWNER.label)
    for dwelling_id in Ownership.objects.filter(person_id=person_id).values_list(
        "dwelling_id", flat=True
    ):
        relations[dwelling_id].append(owner_label)
    for r in Residency.objects.filter(person_id=person_id):
        label = str(r.get_relation_display())
        if label not in relations[r.dwelling_id]:
            relations[r.dwelling_id].append(label)
    dwellings = (
        Dwelling.objects.filter(pk__in=list(relations))
        .select_related("entrance", "building", "estate")
        .order_by("estate__name", "building__number", "entrance__number", "number")
    )
    return [HomeDwelling(d, relations[d.pk]) for d in dwellings]
