"""Placing opinions into demands, shared by every way an opinion is recorded or moved.

Opinions are placed into the estate's demands as soon as they are recorded: the new opinions
are merged together with the estate's placed ones, using the stored categories (a lexicon
anchor may settle another category for one the classifier gave, never for one staff set: see
``merging``), and join the demand their group already has, or a new one. Placements made by
staff (split, join) are never revisited. These helpers write inside the caller's transaction
and check nothing: the services that call them check the actor.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Q

from xiaoqu.needs import classifier as clf
from xiaoqu.needs import merging
from xiaoqu.needs.models import Demand, DemandSource, Opinion
from xiaoqu.registry.models import Estate

TITLE_CHARS = 60


def demand_title(text: str) -> str:
    """A new demand's title: the first opinion's words with their own punctuation (not the
    classifier's half-width form), cut to ``TITLE_CHARS``; staff may rename it."""
    clean = clf.tidy(text) or clf.normalise(text)
    return clean if len(clean) <= TITLE_CHARS else clean[: TITLE_CHARS - 1] + "…"


def place_opinions(estate: Estate, new: list[Opinion]) -> None:
    """Put each new opinion into the demand its merge group has, or a new demand."""
    new = [o for o in new if o.demand_id is None]
    if not new:
        return
    # Groups never cross categories: only placed opinions of the categories the new ones may
    # end in (their own, or one a lexicon anchor names) matter. A category staff set is kept.
    categories = {o.category for o in new} | {
        c
        for c in merging.effective_codes(
            [o.text for o in new], [o.category for o in new], [o.category_by_staff for o in new]
        )
        if c
    }
    placed = list(
        Opinion.objects.filter(
            estate=estate, demand__isnull=False, demand__merged_into__isnull=True
        )
        .filter(Q(category__in=categories) | Q(demand__category__in=categories))
        .values_list("text", "category", "category_by_staff", "demand_id")
    )
    merged = merging.merge_coded_detail(
        [t for t, _c, _f, _d in placed] + [o.text for o in new],
        [c for _t, c, _f, _d in placed] + [o.category for o in new],
        [f for _t, _c, f, _d in placed] + [o.category_by_staff for o in new],
    )
    demand_of_group: dict[int, Counter[int]] = {}
    for (_t, _c, _f, demand_id), group in zip(placed, merged.groups, strict=False):
        demand_of_group.setdefault(group, Counter())[demand_id] += 1
    created: dict[int, Demand] = {}
    settled = merged.codes[len(placed) :]
    for opinion, group, code in zip(new, merged.groups[len(placed) :], settled, strict=True):
        votes = demand_of_group.get(group)
        if votes:
            opinion.demand_id = votes.most_common(1)[0][0]
        else:
            if group not in created:
                created[group] = Demand.objects.create(
                    estate=estate,
                    category=code or opinion.category,
                    title=demand_title(opinion.text),
                )
            opinion.demand = created[group]
    Opinion.objects.bulk_update(new, ["demand"])


def drop_if_empty(demand: Demand) -> None:
    """A demand made from opinions that has none left and was never published goes away."""
    if (
        demand.source == DemandSource.OPINIONS
        and not demand.opinions.exists()
        and not demand.list_items.exists()
    ):
        demand.delete()
