"""Writes of the figures: the incremental refresh, the full rebuild and its check
(docs/insights.md)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xiaoqu.core.figures import SECTIONS
from xiaoqu.insights import recount
from xiaoqu.insights.models import EstateFigures, EstateKeyed, Rebuild
from xiaoqu.registry.models import Estate

# Rows written per statement in bulk writes.
BATCH = 1000


def _values(wide: recount.Wide, estate: int, sections: Iterable[str]) -> dict[str, Any]:
    mine = wide.get(estate, {})
    return {
        name: mine.get(name, None if name in recount.NULLABLE else 0)
        for section in sections
        for name in recount.FIELDS[section]
    }


def _keyed_rows(keyed: recount.Keyed, estates: Iterable[int]) -> Iterator[EstateKeyed]:
    for estate in estates:
        for key, value in sorted(keyed.get(estate, {}).items()):
            if value:
                yield EstateKeyed(estate_id=estate, key=key, value=value)


def refresh(ids: set[int] | None, sections: Iterable[str]) -> None:
    """Recount ``sections`` of the estates ``ids`` (``None``: every estate) and store them.

    Estates without a figures row yet get one counted in full. Runs in the caller's
    transaction, so the figures commit or roll back with the change that moved them.
    """
    sections = [s for s in SECTIONS if s in set(sections)]
    # No savepoint of its own: a failure here fails the caller's change with it.
    with transaction.atomic(savepoint=False):
        if ids is not None and len(ids) <= FEW:
            _refresh_few(ids, sections)
            return
        live = set(Estate.objects.values_list("pk", flat=True))
        if ids is not None:
            live &= ids
        have = set(EstateFigures.objects.values_list("pk", flat=True))
        if live - have:
            _write_new(live - have)
        present = live & have
        if not present:
            return
        wide, keyed = recount.count(None if ids is None else present, sections)
        now = timezone.now()
        rows = [
            EstateFigures(estate_id=e, updated_at=now, **_values(wide, e, sections))
            for e in sorted(present)
        ]
        names = [n for s in sections for n in recount.FIELDS[s]]
        EstateFigures.objects.bulk_update(rows, [*names, "updated_at"], batch_size=BATCH)
        _replace_keyed(keyed, None if ids is None else present, sections)


# Up to this many estates are refreshed row by row (a service's change); more in bulk.
FEW = 20


def _refresh_few(ids: set[int], sections: list[str]) -> None:
    """The incremental path: a few indexed counts and one UPDATE per estate."""
    wide, keyed = recount.count(ids, sections)
    now = timezone.now()
    counted = set()
    for estate in sorted(ids):
        if EstateFigures.objects.filter(pk=estate).update(
            updated_at=now, **_values(wide, estate, sections)
        ):
            counted.add(estate)
    missing = ids - counted
    if missing:
        # New estates (or a row lost): counted in full, if the estate still exists.
        _write_new(set(Estate.objects.filter(pk__in=missing).values_list("pk", flat=True)))
    if counted:
        _replace_keyed(keyed, counted, sections)


def _replace_keyed(keyed: recount.Keyed, estates: set[int] | None, sections: list[str]) -> None:
    prefixes = [p for s in sections for p in recount.PREFIXES.get(s, ())]
    if not prefixes:
        return
    of_sections = Q()
    for prefix in prefixes:
        of_sections |= Q(key__startswith=prefix)
    for part in recount.chunks(estates):
        old = EstateKeyed.objects.filter(of_sections)
        (old if part is None else old.filter(estate_id__in=part)).delete()
    every = sorted(keyed) if estates is None else sorted(estates)
    EstateKeyed.objects.bulk_create(_keyed_rows(keyed, every), batch_size=BATCH)


def _write_new(estates: set[int]) -> None:
    if not estates:
        return
    wide, keyed = recount.count(estates, SECTIONS)
    now = timezone.now()
    EstateKeyed.objects.filter(estate_id__in=estates).delete()
    EstateFigures.objects.bulk_create(
        [
            EstateFigures(estate_id=e, updated_at=now, **_values(wide, e, SECTIONS))
            for e in sorted(estates)
        ],
        batch_size=BATCH,
    )
    EstateKeyed.objects.bulk_create(_keyed_rows(keyed, sorted(estates)), batch_size=BATCH)


@dataclass
class Difference:
    estate_id: int
    figure: str
    stored: Any
    counted: Any


@dataclass
class CheckReport:
    estates: int
    seconds: float
    differences: list[Difference] = field(default_factory=list)
    repaired: bool = False


def _stored() -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, int]]]:
    names = [n for s in SECTIONS for n in recount.FIELDS[s]]
    wide = {
        row["estate_id"]: row
        for row in EstateFigures.objects.values("estate_id", *names).iterator()
    }
    keyed: dict[int, dict[str, int]] = {}
    for estate, key, value in EstateKeyed.objects.values_list(
        "estate_id", "key", "value"
    ).iterator():
        keyed.setdefault(estate, {})[key] = value
    return wide, keyed


def check(*, repair: bool = False) -> CheckReport:
    """Count every estate's figures from scratch and compare them with the stored ones;
    with ``repair`` store the fresh count (a full rebuild). Records the run."""
    started = time.perf_counter()
    with transaction.atomic():
        estates = list(Estate.objects.order_by("pk").values_list("pk", flat=True))
        wide, keyed = recount.count(None, SECTIONS)
        stored_wide, stored_keyed = _stored()
        report = CheckReport(estates=len(estates), seconds=0.0)
        for estate in estates:
            counted = _values(wide, estate, SECTIONS)
            stored = stored_wide.get(estate)
            if stored is None:
                report.differences.append(Difference(estate, "*", None, "missing row"))
            else:
                for name, value in counted.items():
                    if stored[name] != value:
                        report.differences.append(Difference(estate, name, stored[name], value))
            fresh = {k: v for k, v in keyed.get(estate, {}).items() if v}
            old = stored_keyed.get(estate, {})
            for key in sorted(set(fresh) | set(old)):
                if fresh.get(key, 0) != old.get(key, 0):
                    report.differences.append(
                        Difference(estate, key, old.get(key, 0), fresh.get(key, 0))
                    )
        extra = set(stored_wide) - set(estates)
        for estate in sorted(extra):
            report.differences.append(Difference(estate, "*", "row", "no such estate"))
        if repair:
            now = timezone.now()
            EstateKeyed.objects.all().delete()
            EstateFigures.objects.all().delete()
            EstateFigures.objects.bulk_create(
                (
                    EstateFigures(estate_id=e, updated_at=now, **_values(wide, e, SECTIONS))
                    for e in estates
                ),
                batch_size=BATCH,
            )
            EstateKeyed.objects.bulk_create(_keyed_rows(keyed, estates), batch_size=BATCH)
            report.repaired = True
        report.seconds = time.perf_counter() - started
        Rebuild.objects.create(
            at=timezone.now(),
            estates=len(estates),
            differences=len(report.differences),
            seconds=report.seconds,
        )
    return report


def rebuild() -> CheckReport:
    """Every estate's figures counted afresh and stored (after a bulk load)."""
    return check(repair=True)
