"""Writes for the life circle: facility imports, analysis runs, gaps turned into demands."""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.lifecircle import selectors
from xiaoqu.lifecircle.coverage import (
    FACILITY_REACH_DEG,
    KIND_LABELS,
    NETWORK_MARGIN_DEG,
    LeftOut,
    sort_estates,
)
from xiaoqu.lifecircle.models import (
    AnalysisRun,
    EstateAccess,
    Facility,
    FacilitySource,
    FacilityType,
    RunStatus,
)
from xiaoqu.lifecircle.rules import RUN_ANALYSIS, VIEW_LIFE_CIRCLE
from xiaoqu.lifecircle.standard import GAP_CATEGORY, osm_facility_type
from xiaoqu.needs.models import Demand, DemandSource
from xiaoqu.needs.rules import MANAGE_DEMANDS
from xiaoqu.needs.services import demand_create
from xiaoqu.registry.models import Estate, Region

if TYPE_CHECKING:
    from xiaoqu.lifecircle.engine import Facility as EngineFacility
    from xiaoqu.lifecircle.engine import Nearest
    from xiaoqu.lifecircle.network import Network

logger = logging.getLogger(__name__)

OSM_MAX_BYTES = 200 * 1024 * 1024
# The street network files a run takes: OpenStreetMap exports, or GeoJSON road layers.
NETWORK_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".geojson", ".json")
COLUMNS = ("id", "type", "lat", "lon")
# A facility file's cells are held to the model's fields (a longer id failed on PostgreSQL).
REF_MAX_CHARS = Facility._meta.get_field("source_ref").max_length or 64
NAME_MAX_CHARS = Facility._meta.get_field("name").max_length or 200


@dataclass
class ImportResult:
    created: int
    updated: int


def _upsert(rows: list[tuple[str, str, str, float, float]], source: str) -> ImportResult:
    """Create or update facilities by (source, source_ref): rows of (ref, type, name, lat, lon)."""
    types = {t.code: t for t in FacilityType.objects.all()}
    existing = {
        f.source_ref: f
        for f in Facility.objects.filter(source=source, source_ref__in=[r[0] for r in rows])
    }
    created, updated = [], []
    for ref, kind, name, lat, lon in rows:
        values = {
            "type": types[kind],
            "name": name[:NAME_MAX_CHARS],  # OSM names; a file's are checked per row
            "latitude": Decimal(f"{lat:.6f}"),
            "longitude": Decimal(f"{lon:.6f}"),
        }
        if ref in existing:
            f = existing[ref]
            for k, v in values.items():
                setattr(f, k, v)
            updated.append(f)
        else:
            created.append(Facility(source=source, source_ref=ref, **values))
    Facility.objects.bulk_create(created, batch_size=2000)
    Facility.objects.bulk_update(
        updated, ["type", "name", "latitude", "longitude"], batch_size=2000
    )
    return ImportResult(len(created), len(updated))


def facilities_import_file(
    *, upload: UploadedFile, actor: Actor | None, region: Region | None = None
) -> ImportResult:
    """Facilities from an .xlsx or .csv with columns id, type, lat, lon (name optional).

    All or nothing: every bad row is listed and nothing is stored. With ``region`` (the
    region's life-circle page) the actor must be one who runs the region's analysis, and every
    facility of the file, and every stored facility its ids would update, must lie near the
    region's estates (``coverage.FACILITY_REACH_DEG``): people keep the facilities around their
    own estates, not anyone else's.
    """
    from xiaoqu.core.spreadsheets import upload_rows

    area = None
    if region is not None:
        RUN_ANALYSIS.require(actor, region)
        area = _region_area(region)
    types = set(FacilityType.objects.values_list("code", flat=True))
    header: list[str] | None = None
    rows: list[tuple[str, str, str, float, float]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for n, cells in enumerate(upload_rows(upload), start=1):
        if not any(cells):
            continue
        if header is None:
            header = _facility_header(cells)
            continue
        row = _facility_row(n, dict(zip(header, cells, strict=False)), types, seen, errors)
        if row is not None:
            rows.append(row)
            if area is not None and not area.holds(row[3], row[4]):
                errors.append(
                    _("第%(n)d行：坐标不在本区划的小区附近（%(area)s）")
                    % {"n": n, "area": area.describe()}
                )
    if header is None or not rows and not errors:
        raise DomainError(_("设施文件没有数据。"), code="empty")
    if area is not None:
        errors += _foreign_refs(rows, area)
    if errors:
        raise DomainError(_("设施文件有错误，未导入：") + "；".join(errors[:20]), code="rows")
    with transaction.atomic():
        result = _upsert(rows, FacilitySource.FILE)
        audit_record(
            actor=actor,
            action="lifecircle.facilities_import_file",
            object_type="lifecircle.facility",
            after={"created": result.created, "updated": result.updated},
        )
    return result


@dataclass(frozen=True)
class _Area:
    """South, north, west, east: the box of a region's estates widened by FACILITY_REACH_DEG."""

    south: float
    north: float
    west: float
    east: float

    def holds(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    def describe(self) -> str:
        return _("纬度 %(s).3f–%(n).3f，经度 %(w).3f–%(e).3f") % {
            "s": self.south,
            "n": self.north,
            "w": self.west,
            "e": self.east,
        }


def _region_area(region: Region) -> _Area:
    """Where the facilities of a region's analysis can be: around its estates with coordinates."""
    from django.db.models import Max, Min

    box = Estate.objects.filter(
        region_path__startswith=region.path, latitude__isnull=False, longitude__isnull=False
    ).aggregate(
        south=Min("latitude"), north=Max("latitude"), west=Min("longitude"), east=Max("longitude")
    )
    if box["south"] is None:
        raise DomainError(
            _("这个区划还没有带坐标的小区，无法核对设施的位置；请先在小区档案中填写经纬度。"),
            code="no_estates",
        )
    m = FACILITY_REACH_DEG
    return _Area(
        float(box["south"]) - m,
        float(box["north"]) + m,
        float(box["west"]) - m,
        float(box["east"]) + m,
    )


def _foreign_refs(rows: list[tuple[str, str, str, float, float]], area: _Area) -> list[str]:
    """Faults for ids of the file that name a stored facility away from the region's estates."""
    stored = Facility.objects.filter(
        source=FacilitySource.FILE, source_ref__in=[r[0] for r in rows]
    ).values_list("source_ref", "latitude", "longitude")
    return [
        _("编号 %(id)s 已是别处的设施，不能在这里修改；请换一个编号") % {"id": ref}
        for ref, lat, lon in stored
        if not area.holds(float(lat), float(lon))
    ]


def _facility_header(cells: list[str]) -> list[str]:
    """The column names of a facility file's header row, all the required ones present."""
    header = [c.strip().lower() for c in cells]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DomainError(
            _("设施文件缺少列：%(cols)s（需要 id、type、lat、lon，name 可选）")
            % {"cols": "、".join(missing)},
            code="columns",
        )
    return header


def _facility_row(
    n: int, row: dict[str, str], types: set[str], seen: set[str], errors: list[str]
) -> tuple[str, str, str, float, float] | None:
    """Row ``n`` of a facility file as (id, type, name, lat, lon), its faults added to ``errors``.

    None when its coordinates are not numbers; ``seen`` collects the ids met so far.
    """
    ref, kind = row.get("id", ""), row.get("type", "")
    try:
        lat, lon = float(row.get("lat", "")), float(row.get("lon", ""))
    except ValueError:
        errors.append(_("第%(n)d行：lat/lon 不是数字") % {"n": n})
        return None
    name = row.get("name", "")
    if not ref:
        errors.append(_("第%(n)d行：id 为空") % {"n": n})
    elif len(ref) > REF_MAX_CHARS:
        errors.append(_("第%(n)d行：id 最长 %(max)d 个字符") % {"n": n, "max": REF_MAX_CHARS})
    elif ref in seen:
        errors.append(_("第%(n)d行：id %(id)s 重复") % {"n": n, "id": ref})
    if kind not in types:
        errors.append(_("第%(n)d行：未知的设施类型“%(t)s”") % {"n": n, "t": kind})
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        errors.append(_("第%(n)d行：坐标超出范围") % {"n": n})
    if len(name) > NAME_MAX_CHARS:
        errors.append(_("第%(n)d行：name 最长 %(max)d 个字符") % {"n": n, "max": NAME_MAX_CHARS})
    seen.add(ref)
    return ref, kind, name, lat, lon


def read_osm_facilities(path: Path | str) -> list[tuple[str, str, str, float, float]]:
    """Facilities tagged in an OSM file (``standard.OSM_TAGS``): nodes at their place, ways and
    multipolygons at the mean of their nodes.
    """
    import osmium

    from xiaoqu.lifecircle.network import NetworkError, check_osm_file

    path = Path(path)
    check_osm_file(path, geojson=False)
    found: list[tuple[str, str, str, float, float]] = []
    try:
        for obj in osmium.FileProcessor(str(path)).with_locations().with_areas():
            kind = osm_facility_type(obj.tags)
            if kind is None:
                continue
            name = obj.tags.get("name:zh") or obj.tags.get("name") or ""
            if isinstance(obj, osmium.osm.Node):
                if obj.location.valid():
                    found.append((f"n{obj.id}", kind, name, obj.location.lat, obj.location.lon))
            elif isinstance(obj, osmium.osm.Way):
                points = [(n.location.lat, n.location.lon) for n in obj.nodes if n.location.valid()]
                if points and not obj.is_closed() or len(points) >= 3:
                    lat = sum(p[0] for p in points) / len(points)
                    lon = sum(p[1] for p in points) / len(points)
                    found.append((f"w{obj.id}", kind, name, lat, lon))
            elif isinstance(obj, osmium.osm.Area) and not obj.from_way():
                points = [
                    (n.lat, n.lon) for ring in obj.outer_rings() for n in ring if n.location.valid()
                ]
                if points:
                    lat = sum(p[0] for p in points) / len(points)
                    lon = sum(p[1] for p in points) / len(points)
                    found.append((f"r{obj.orig_id()}", kind, name, lat, lon))
    except RuntimeError as exc:
        raise NetworkError(
            _("地图文件无法读取（%(f)s）：%(e)s") % {"f": path.name, "e": exc}
        ) from exc
    return found


def facilities_import_osm(*, path: Path | str, actor: Actor | None) -> ImportResult:
    from xiaoqu.lifecircle.network import NetworkError

    try:
        rows = read_osm_facilities(path)
    except NetworkError as exc:
        raise DomainError(str(exc), code="osm") from exc
    with transaction.atomic():
        result = _upsert(rows, FacilitySource.OSM)
        audit_record(
            actor=actor,
            action="lifecircle.facilities_import_osm",
            object_type="lifecircle.facility",
            after={"file": Path(path).name, "created": result.created, "updated": result.updated},
        )
    return result


# --- analysis runs -------------------------------------------------------------------------


def network_suffix(upload: UploadedFile) -> str | None:
    """The suffix the network reader needs for what the upload's first bytes are: gzip or
    bzip2 (a compressed OSM export), an OSM PBF, OSM XML or GeoJSON; None for anything else."""
    head = upload.read(64)
    upload.seek(0)
    if head.startswith(b"\x1f\x8b"):
        return ".osm.gz"
    if head.startswith(b"BZh"):
        return ".osm.bz2"
    if b"OSMHeader" in head[:32]:
        return ".osm.pbf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"<?xml", b"<osm")):
        return ".osm"
    if text.startswith(b"{"):
        return ".geojson"
    return None


def analysis_start(
    *, region: Region, osm: UploadedFile, actor: Actor, enqueue: bool = True
) -> AnalysisRun:
    """Store the street network file and queue the analysis of the region's estates.

    With ``enqueue`` false nothing is queued: the caller runs ``analysis_execute`` itself (the
    demo does, so that its analysis is there on first start).
    """
    RUN_ANALYSIS.require(actor, region)
    name = (osm.name or "").lower()
    if not name.endswith(NETWORK_SUFFIXES):
        raise DomainError(
            _(
                "路网文件应为 .osm、.osm.gz、.osm.bz2 或 .osm.pbf（OpenStreetMap 导出），"
                "或 .geojson（WGS-84 经纬度的道路线图层，如 overpass-turbo 导出）。"
            ),
            code="osm_type",
        )
    if (osm.size or 0) > OSM_MAX_BYTES:
        raise DomainError(_("路网文件太大（最大 200 MB）。"), code="osm_size")
    suffix = network_suffix(osm)
    if suffix is None:
        raise DomainError(
            _("路网文件的内容不是 OpenStreetMap 数据或 GeoJSON，请检查文件。"), code="osm_content"
        )
    with transaction.atomic():
        run = AnalysisRun(region=region, created_by=actor)
        # Stored under a name of ours with the suffix of what the bytes are (docs/security.md).
        run.osm_file.save(f"{secrets.token_hex(12)}{suffix}", osm, save=False)
        run.save()
        audit_record(actor=actor, action="lifecircle.analysis_start", obj=run)
        if enqueue:
            transaction.on_commit(lambda: _enqueue(run))
    return run


def _enqueue(run: AnalysisRun) -> None:
    """Queue the run's task; when the queue cannot take it, the run ends as failed."""
    from xiaoqu.lifecircle.tasks import run_analysis

    try:
        run_analysis.enqueue(run.pk)
    except Exception:
        logger.exception("life-circle analysis %s could not be queued", run.pk)
        _fail(run.pk, _("无法安排后台分析，请稍后重试。"))


def _progress(run: AnalysisRun, percent: int, message: str = "") -> None:
    AnalysisRun.objects.filter(pk=run.pk).update(progress=percent, message=message[:500])


def _fail(run_id: int, message: str) -> None:
    AnalysisRun.objects.filter(pk=run_id).update(
        status=RunStatus.FAILED, message=message[:500], finished_at=timezone.now()
    )


def _interrupted() -> str:
    return _("分析被中断（后台任务进程已停止），请重新开始分析。")


def analysis_execute(run_id: int) -> AnalysisRun:
    """The analysis itself (the task's body): network, snapping, one pass per type, results.

    However it ends, the run ends done or failed with a message the page shows: a problem with
    the input says what it is, anything unexpected is logged and shown as an internal error, and
    an interruption (the background worker being stopped) marks the run failed, then goes on.
    """
    from xiaoqu.lifecircle.network import NetworkError

    run = AnalysisRun.objects.select_related("region").get(pk=run_id)
    AnalysisRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=1)
    try:
        _analyse(run)
    except (DomainError, NetworkError, OSError) as exc:
        _fail(run.pk, str(exc))
    except Exception:
        logger.exception("life-circle analysis %s failed", run.pk)
        _fail(run.pk, _("分析出错，未能完成（内部错误，已记入日志）。请稍后重试或联系管理员。"))
    except BaseException:
        _fail(run.pk, _interrupted())
        raise
    run.refresh_from_db()
    return run


def analysis_fail_interrupted(*, run_id: int) -> None:
    """End a run that was queued or running when its worker died (killed, out of memory)."""
    unfinished = AnalysisRun.objects.filter(
        pk=run_id, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
    )
    unfinished.update(status=RunStatus.FAILED, message=_interrupted(), finished_at=timezone.now())


def _analyse(run: AnalysisRun) -> None:

    from xiaoqu.lifecircle.network import load_network

    _progress(run, 5, _("正在读取路网"))
    network = load_network(run.osm_file.path, Path(settings.VAR_DIR) / "cache" / "osm")
    estates, left_out = _estates_on(network, region=run.region)
    types = list(FacilityType.objects.filter(active=True))
    facilities = _facilities_on(network, types)
    _progress(run, 30, _("正在计算步行距离"))
    nearest = _nearest(network, estates, facilities, types)
    _progress(run, 80, _("正在保存结果"))
    rows = _access_rows(run, estates, types, nearest)
    with transaction.atomic():
        EstateAccess.objects.filter(run=run).delete()
        EstateAccess.objects.bulk_create(rows, batch_size=5000)
        AnalysisRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            progress=100,
            estates=len(estates),
            message=_done_message(len(estates), len(facilities), left_out),
            finished_at=timezone.now(),
        )


def _done_message(estates: int, facilities: int, left_out: list[LeftOut]) -> str:
    """The finished run's message: what was analysed, and how many estates were left out for
    which reasons. It names no estate: everyone who sees the run reads it, a community's clerk
    included when the run is their district's, while the page lists the estates left out that
    the reader may see, each with its reason (``selectors.left_out``)."""
    message = _("已完成：%(n)d 个小区，%(f)d 处设施") % {"n": estates, "f": facilities}
    if not left_out:
        return message
    counts: dict[str, int] = {}
    for estate in left_out:
        counts[estate.kind] = counts.get(estate.kind, 0) + 1
    reasons = _("、").join(
        _("%(reason)s %(n)d 个") % {"reason": KIND_LABELS[kind](), "n": n}
        for kind, n in counts.items()
    )
    return message + _("；%(k)d 个小区未纳入分析（%(reasons)s），名单见本页") % {
        "k": len(left_out),
        "reasons": reasons,
    }


def _estates_on(
    network: Network, *, region: Region
) -> tuple[list[tuple[int, float, float]], list[LeftOut]]:
    """(id, lat, lon) of the region's estates that the network covers, and those left out."""
    estates = list(
        Estate.objects.filter(region_path__startswith=region.path)
        .order_by("code", "pk")
        .values_list("pk", "name", "latitude", "longitude")
    )
    if not any(lat is not None and lon is not None for _pk, _n, lat, lon in estates):
        raise DomainError(_("这个区划里没有带坐标的小区。"))
    kept, left_out = sort_estates(
        network,
        [
            (pk, name, None if lat is None else float(lat), None if lon is None else float(lon))
            for pk, name, lat, lon in estates
        ],
    )
    if not kept:
        raise DomainError(_("路网文件没有覆盖这个区划的小区，请换一个覆盖该区域的文件。"))
    return kept, left_out


def _facilities_on(network: Network, types: list[FacilityType]) -> list[Facility]:
    south, north, west, east = network.bounds(NETWORK_MARGIN_DEG)
    return list(
        Facility.objects.filter(
            type__in=types,
            latitude__gte=south,
            latitude__lte=north,
            longitude__gte=west,
            longitude__lte=east,
        ).select_related("type")
    )


def _nearest(
    network: Network,
    estates: list[tuple[int, float, float]],
    facilities: list[Facility],
    types: list[FacilityType],
) -> dict[str, tuple[list[EngineFacility], Nearest]]:
    import numpy as np

    from xiaoqu.lifecircle.engine import Facility as EngineFacility
    from xiaoqu.lifecircle.engine import nearest_by_type

    engine_facilities = [
        EngineFacility(str(f.pk), f.type.code, float(f.latitude), float(f.longitude))
        for f in facilities
    ]
    # Three times the longest required distance: a gap still shows how far the nearest is.
    longest = max((t.distance_m for t in types), default=1000) * 3
    lat = np.array([e[1] for e in estates])
    lon = np.array([e[2] for e in estates])
    return nearest_by_type(network, lat, lon, engine_facilities, max_distance=longest)


def _access_rows(
    run: AnalysisRun,
    estates: list[tuple[int, float, float]],
    types: list[FacilityType],
    nearest: dict[str, tuple[list[EngineFacility], Nearest]],
) -> list[EstateAccess]:
    """One result per estate and active type: its nearest facility and whether it is near enough."""
    rows = []
    for t in types:
        group, near = nearest.get(t.code, ([], None))
        for i, (estate_id, _lat, _lon) in enumerate(estates):
            j = int(near.facility[i]) if near is not None else -1
            distance = float(near.distance[i]) if j >= 0 and near is not None else None
            rows.append(
                EstateAccess(
                    run=run,
                    estate_id=estate_id,
                    type=t,
                    facility_id=int(group[j].id) if j >= 0 else None,
                    distance_m=Decimal(f"{distance:.2f}") if distance is not None else None,
                    required_m=t.distance_m,
                    within=distance is not None and distance <= t.distance_m,
                )
            )
    return rows


def gap_to_demand(*, result: EstateAccess, actor: Actor) -> Demand:
    """Turn a gap of an estate (no facility of a type within its distance) into a demand of
    class "enhance" in the estate's list, marked as coming from the analysis. Once per gap:
    a later run finding the same gap at another distance gives the same demand.

    Needs ``needs.manage_demands`` for the estate (and the life circle in scope).
    """
    VIEW_LIFE_CIRCLE.require(actor, result.estate)
    MANAGE_DEMANDS.require(actor, result.estate)
    if result.within:
        raise DomainError(_("这一项已达标，不是缺口。"), code="not_a_gap")
    title, key = selectors.gap_titles(result)
    with transaction.atomic():
        # One demand per gap even when two people turn it into one at the same moment.
        Estate.objects.select_for_update().filter(pk=result.estate_id).first()
        existing = (
            Demand.objects.filter(
                estate_id=result.estate_id, source=DemandSource.ANALYSIS, title__startswith=key
            )
            .order_by("pk")
            .first()
        )
        if existing is not None:
            return existing
        return demand_create(
            estate=result.estate,
            category=GAP_CATEGORY.get(result.type.code, "community_space"),
            title=title,
            actor=actor,
            source=DemandSource.ANALYSIS,
        )
