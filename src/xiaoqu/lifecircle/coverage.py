"""Which estates a street network can answer for, and why the others are left out of an
analysis (docs/life-circle.md#estates-left-out). Reads nothing from the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from xiaoqu.lifecircle.network import Network

# Estates and facilities this far (degrees, about 1 km) outside the street network still take part.
NETWORK_MARGIN_DEG = 0.01
# An estate farther than this from the nearest point of the network is left out: reaching the
# streets alone would take longer than the 15-minute circle's walk, so nothing it measured
# would mean anything (the network file probably does not draw the estate's streets).
MAX_SNAP_M = 1000.0

# Facilities imported on a region's page must lie this close (degrees, about 3 km) to one of the
# region's estates: the analysis looks no farther than three times the longest required
# distance (3 km), so a facility farther from every estate cannot count for any of them.
FACILITY_REACH_DEG = 0.03

Located = tuple[int, float, float]  # estate id, latitude, longitude

NO_COORDINATES, OUTSIDE, TOO_FAR = "no_coordinates", "outside", "too_far"
# Short names of the reasons, for the run's message (called when the message is written).
KIND_LABELS: dict[str, Callable[[], str]] = {
    NO_COORDINATES: lambda: _("没有坐标"),
    OUTSIDE: lambda: _("不在路网范围内"),
    TOO_FAR: lambda: _("离道路超过 %(m)d 米") % {"m": int(MAX_SNAP_M)},
}


@dataclass(frozen=True)
class LeftOut:
    """An estate an analysis does not cover, and why (``kind``, and in words for people)."""

    estate_id: int
    name: str
    kind: str
    reason: str


def sort_estates(
    network: Network, estates: Iterable[tuple[int, str, float | None, float | None]]
) -> tuple[list[Located], list[LeftOut]]:
    """Split (id, name, lat, lon) of estates into those the network covers and those left out."""
    located: list[tuple[int, str, float, float]] = []
    left: list[LeftOut] = []
    for pk, name, lat, lon in estates:
        if lat is None or lon is None:
            reason = _("没有坐标：请在小区档案中填写经纬度后重新分析")
            left.append(LeftOut(pk, name, NO_COORDINATES, reason))
        else:
            located.append((pk, name, float(lat), float(lon)))
    if not located:
        return [], left
    inside, near, snap = network.placement(
        [e[2] for e in located],
        [e[3] for e in located],
        margin_deg=NETWORK_MARGIN_DEG,
        max_snap_m=MAX_SNAP_M,
    )
    south, north, west, east = network.bounds()
    kept: list[Located] = []
    for i, (pk, name, lat, lon) in enumerate(located):
        if near[i]:
            kept.append((pk, lat, lon))
        elif not inside[i]:
            reason = _(
                "不在路网范围内（路网覆盖纬度 %(s).4f–%(n).4f、经度 %(w).4f–%(e).4f）："
                "请换一个覆盖这个小区的路网文件"
            ) % {"s": south, "n": north, "w": west, "e": east}
            left.append(LeftOut(pk, name, OUTSIDE, reason))
        else:
            metres = int(snap[i])
            reason = _(
                "离最近的可步行道路约 %(m)d 米（超过 %(max)d 米）：路网文件可能没有画到这里的道路，"
                "或小区坐标有误"
            ) % {"m": metres, "max": int(MAX_SNAP_M)}
            left.append(LeftOut(pk, name, TOO_FAR, reason))
    return kept, left
