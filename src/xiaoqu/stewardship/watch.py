"""Watching over the estate, as plain rules (no Django): the duty roster's coverage, the
anomalies of access events, and what an access device may not send (biometric data).

* :func:`uncovered`: the parts of a period nobody's shift covers (the roster page's gaps in
  the 24-hour duty).
* :func:`is_open` / :func:`outside_hours`: whether a gate with opening hours is open at a
  time of day; hours may run past midnight (20:00–02:00).
* :func:`two_points`: a credential (or a matched face) used at two points of the same kind
  (two gates, two entrances, two garages) within a short window — one card in two places, a
  copied card. Passing the estate's gate and then one's entrance door within the minute is
  the normal way home, so points of different kinds are never compared.
* :func:`biometric_fields`: the places in a device's JSON that look like biometric data —
  a face image, a template or feature vector, a long base64 blob. Xiaoqu stores none
  (PIPL Art. 26 and 28): a face event says only "matched person N" or "unknown".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# --- the duty roster's coverage ----------------------------------------------------------------


def uncovered(
    start: dt.datetime, end: dt.datetime, shifts: Iterable[tuple[dt.datetime, dt.datetime]]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The intervals of ``[start, end)`` that no shift ``[starts, ends)`` covers, in order.

    Shifts may overlap, touch, or reach outside the period; an empty or inverted shift
    covers nothing.
    """
    if end <= start:
        return []
    clipped = sorted(
        (max(s, start), min(e, end)) for s, e in shifts if e > s and e > start and s < end
    )
    gaps: list[tuple[dt.datetime, dt.datetime]] = []
    cursor = start
    for s, e in clipped:
        if s > cursor:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


# --- opening hours -----------------------------------------------------------------------------


def is_open(at: dt.time, opens: dt.time | None, closes: dt.time | None) -> bool:
    """Whether a point with hours ``opens``–``closes`` is open at ``at`` (a local time).

    No hours: open around the clock. ``opens`` is inside, ``closes`` outside; hours that end
    before they start run past midnight (20:00–02:00 is open at 23:00 and 01:00).
    """
    if opens is None or closes is None or opens == closes:
        return True
    if opens < closes:
        return opens <= at < closes
    return at >= opens or at < closes


def outside_hours(at: dt.time, opens: dt.time | None, closes: dt.time | None) -> bool:
    return not is_open(at, opens, closes)


# --- one credential at two points --------------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    """An access event as the rules see it.

    ``key`` identifies the event; ``who`` is whose it is — ``("credential", id)`` or
    ``("person", id)`` for a matched face, None when unknown; ``kind`` is the point's kind.
    """

    key: Hashable
    who: Hashable | None
    point: Hashable
    kind: str
    at: dt.datetime


def two_points(
    new: Sequence[Pass], known: Iterable[Pass], *, window: dt.timedelta
) -> dict[Hashable, Hashable]:
    """For each new pass used within ``window`` of another pass of the same holder at another
    point of the same kind, that other pass (the nearest in time): ``{new key: other key}``.

    ``known`` are passes already stored (and already judged). New passes are judged in the
    order of their time, each against the known ones and the new ones judged before it, so a
    pair is flagged once — on the later of the two to arrive.
    """
    pool: dict[Hashable, list[Pass]] = {}
    for p in known:
        if p.who is not None:
            pool.setdefault(p.who, []).append(p)
    found: dict[Hashable, Hashable] = {}
    for p in sorted(new, key=lambda p: p.at):
        if p.who is None:
            continue
        others = pool.setdefault(p.who, [])
        best: Pass | None = None
        for q in others:
            if q.point == p.point or q.kind != p.kind:
                continue
            gap = abs(q.at - p.at)
            if gap <= window and (best is None or gap < abs(best.at - p.at)):
                best = q
        if best is not None:
            found[p.key] = best.key
        others.append(p)
    return found


# --- no biometric data -------------------------------------------------------------------------

# Words in a field's name that mean an image, a template or a feature vector of a face (or a
# finger, an iris): such a field is refused whatever it holds.
BIOMETRIC_WORDS = (
    "image",
    "img",
    "photo",
    "picture",
    "snapshot",
    "jpeg",
    "jpg",
    "png",
    "template",
    "feature",
    "embedding",
    "vector",
    "biometric",
    "landmark",
    "facedata",
    "faceid",
    "fingerprint",
    "iris",
    "base64",
    "blob",
)
# A string this long made only of base64 characters is a blob (an image or a template), not
# a card number, a code or a QR payload.
BLOB_CHARS = 256
# A list of this many numbers is a feature vector.
VECTOR_LENGTH = 16
_BASE64 = re.compile(r"^[A-Za-z0-9+/=_\-\s]+$")
_DATA_URI = re.compile(r"^\s*data:", re.IGNORECASE)


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _looks_biometric_value(value: Any) -> bool:
    if isinstance(value, str):
        if _DATA_URI.match(value):
            return True
        return len(value) >= BLOB_CHARS and bool(_BASE64.match(value))
    if isinstance(value, list):
        numbers = [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
        return len(numbers) >= VECTOR_LENGTH
    return False


def biometric_fields(payload: Any, path: str = "") -> list[str]:
    """Where ``payload`` (parsed JSON) holds what looks like biometric data, as paths
    (``[0].face_image``): a field named for an image, template or feature (see
    ``BIOMETRIC_WORDS``), a data URI, a long base64 string, or a long list of numbers."""
    found: list[str] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            here = f"{path}.{key}" if path else str(key)
            name = _normalised(str(key))
            if any(word in name for word in BIOMETRIC_WORDS) or _looks_biometric_value(value):
                found.append(here)
            else:
                found += biometric_fields(value, here)
    elif isinstance(payload, list):
        if _looks_biometric_value(payload):
            return [path or "[]"]
        for i, value in enumerate(payload):
            here = f"{path}[{i}]"
            if _looks_biometric_value(value):
                found.append(here)
            else:
                found += biometric_fields(value, here)
    elif _looks_biometric_value(payload):
        found.append(path or "$")
    return found
