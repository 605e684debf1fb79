"""Tell the roll-ups that an estate's figures changed (docs/insights.md).

The figures themselves belong to the last stage (``insights``), which no earlier app may
import; so a service that changes figures in bulk (a register import, a bulk insert, an UPDATE
of many rows) says so here, and ``insights`` subscribes when it starts. Saves of single rows
need no call: ``insights`` listens to those itself.

``deferred()`` gathers the calls made inside it and hands them over once at the end, for
loaders that write many rows one by one (the demo, a benchmark's synthetic data).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

# The parts of an estate's figures, each recounted on its own (docs/insights.md).
SECTIONS = (
    "register",
    "needs",
    "meetings",
    "votes",
    "plan",
    "projects",
    "items",
    "money",
    "surveys",
    "orders",
    "fund",
)

# ``None`` as the estate ids means every estate.
EstateIds = Iterable[int] | None
Listener = Callable[[set[int] | None, frozenset[str]], None]

_listeners: list[Listener] = []
_local = threading.local()


def connect(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def disconnect(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def changed(estate_ids: EstateIds, *sections: str) -> None:
    """The figures in ``sections`` of these estates (``None``: all) may have changed."""
    unknown = set(sections) - set(SECTIONS)
    if unknown or not sections:
        raise ValueError(f"unknown figure sections: {sorted(unknown) or 'none given'}")
    ids = None if estate_ids is None else {int(i) for i in estate_ids}
    if ids is not None and not ids:
        return
    pending: dict[str, set[int] | None] | None = getattr(_local, "pending", None)
    if pending is not None:
        for section in sections:
            if section in pending and pending[section] is None:
                continue
            if ids is None:
                pending[section] = None
            else:
                pending.setdefault(section, set()).update(ids)  # type: ignore[union-attr]
        return
    for listener in list(_listeners):
        listener(ids, frozenset(sections))


@contextmanager
def deferred() -> Iterator[None]:
    """Collect the changes made inside and report them once, per section, on the way out."""
    outer = getattr(_local, "pending", None)
    if outer is not None:  # nested: the outermost block reports
        yield
        return
    _local.pending = {}
    try:
        yield
        pending: dict[str, set[int] | None] = _local.pending
    finally:
        _local.pending = None
    for section, ids in pending.items():
        for listener in list(_listeners):
            listener(ids, frozenset([section]))
