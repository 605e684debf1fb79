"""Placing opinions into demands, shared by every way an opinion is recorded or moved.

Opinions are placed into the estate's demands as soon as they are recorded: the new opinions
are merged together with the estate's placed ones, using the stored categories, and join the
demand their group already has, or a new one. Placements made by staff (split, join) are
never revisited. These helpers write inside the caller's transaction and check nothing: the
services that call them check the actor.
"""

from __future__ import annotations

from collections import Counter

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
    # Groups never cross categories, so only placed opinions of the new ones' categories matter.
    placed = list(
        Opinion.objects.filter(
            estate=estate,
            category__in={o.category for o in new},
            demand__isnull=False,
            demand__merged_into__isnull=True,
        ).values_list("text", "category", "demand_id")
    )
    texts = [t for t, _c, _d in placed] + [o.text for o in new]
    codes = [c for _t, c, _d in placed] + [o.category for o in new]
    groups = merging.merge_coded(texts, codes)
    demand_of_group: dict[int, Counter[int]] = {}
    for (_t, _c, demand_id), group in zip(placed, groups, strict=False):
        demand_of_group.setdefault(group, Counter())[demand_id] += 1
    created: dict[int, Demand] = {}
    for opinion, group in zip(new, groups[len(placed) :], strict=True):
        votes = demand_of_group.get(group)
        if votes:
            opinion.demand_id = votes.most_common(1)[0][0]
        else:
            if group not in created:
                created[group] = Demand.objects.create(
                    estate=estate, category=opinion.category, title=demand_title(opinion.text)
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
