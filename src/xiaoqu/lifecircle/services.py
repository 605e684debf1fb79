"""Writes for the life circle: facility imports, analysis runs, gaps turned into demands."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
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
# Estates and facilities this far (degrees) outside the street network still take part.
NETWORK_MARGIN_DEG = 0.01
COLUMNS = ("id", "type", "lat", "lon")


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
            "name": name[:200],
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


def facilities_import_file(*, upload: UploadedFile, actor: Actor | None) -> ImportResult:
    """Facilities from an .xlsx or .csv with columns id, type, lat, lon (name optional).

    All or nothing: every bad row is listed and nothing is stored.
    """
    from xiaoqu.core.spreadsheets import upload_rows

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
    if header is None or not rows and not errors:
        raise DomainError(_("设施文件没有数据。"), code="empty")
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
    if not ref:
        errors.append(_("第%(n)d行：id 为空") % {"n": n})
    elif ref in seen:
        errors.append(_("第%(n)d行：id %(id)s 重复") % {"n": n, "id": ref})
    if kind not in types:
        errors.append(_("第%(n)d行：未知的设施类型“%(t)s”") % {"n": n, "t": kind})
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        errors.append(_("第%(n)d行：坐标超出范围") % {"n": n})
    seen.add(ref)
    return ref, kind, row.get("name", ""), lat, lon


def read_osm_facilities(path: Path | str) -> list[tuple[str, str, str, float, float]]:
    """Facilities tagged in an OSM file (``standard.OSM_TAGS``): nodes at their place, ways and
    multipolygons at the mean of their nodes.
    """
    import osmium

    from xiaoqu.lifecircle.network import NetworkError, check_osm_file

    path = Path(path)
    check_osm_file(path)
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


def analysis_start(*, region: Region, osm: UploadedFile, actor: Actor) -> AnalysisRun:
    """Store the street network file and queue the analysis of the region's estates."""
    RUN_ANALYSIS.require(actor, region)
    name = (osm.name or "").lower()
    if not name.endswith((".osm", ".osm.gz", ".osm.bz2", ".osm.pbf")):
        raise DomainError(
            _("路网文件应为 .osm、.osm.gz、.osm.bz2 或 .osm.pbf（OpenStreetMap 导出）。"),
            code="osm_type",
        )
    if (osm.size or 0) > OSM_MAX_BYTES:
        raise DomainError(_("路网文件太大（最大 200 MB）。"), code="osm_size")
    with transaction.atomic():
        run = AnalysisRun(region=region, created_by=actor)
        run.osm_file.save(Path(osm.name or "network.osm.pbf").name, osm, save=False)
        run.save()
        audit_record(actor=actor, action="lifecircle.analysis_start", obj=run)
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
    from django.conf import settings

    from xiaoqu.lifecircle.network import load_network

    _progress(run, 5, _("正在读取路网"))
    network = load_network(run.osm_file.path, Path(settings.VAR_DIR) / "cache" / "osm")
    estates = _estates_on(network, region=run.region)
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
            message=_("已完成：%(n)d 个小区，%(f)d 处设施")
            % {"n": len(estates), "f": len(facilities)},
            finished_at=timezone.now(),
        )


def _bounds(network: Network) -> tuple[float, float, float, float]:
    """South, north, west, east of the network, widened by NETWORK_MARGIN_DEG."""
    m = NETWORK_MARGIN_DEG
    return (
        float(network.lat.min()) - m,
        float(network.lat.max()) + m,
        float(network.lon.min()) - m,
        float(network.lon.max()) + m,
    )


def _estates_on(network: Network, *, region: Region) -> list[tuple[int, float, float]]:
    """(id, lat, lon) of the region's estates with coordinates that the network covers."""
    located = Estate.objects.filter(
        region_path__startswith=region.path, latitude__isnull=False, longitude__isnull=False
    ).values_list("pk", "latitude", "longitude")
    estates = [(pk, float(lat or 0), float(lon or 0)) for pk, lat, lon in located]
    if not estates:
        raise DomainError(_("这个区划里没有带坐标的小区。"))
    south, north, west, east = _bounds(network)
    kept = [e for e in estates if south <= e[1] <= north and west <= e[2] <= east]
    if not kept:
        raise DomainError(_("路网文件没有覆盖这个区划的小区，请换一个覆盖该区域的文件。"))
    return kept


def _facilities_on(network: Network, types: list[FacilityType]) -> list[Facility]:
    south, north, west, east = _bounds(network)
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


def _gap_titles(result: EstateAccess) -> tuple[str, str]:
    """The title of a gap's demand, and its start that names the gap (the type and the walking
    distance required) whatever distance a run found: the key the gap's demand is found by.

    Both are in the default language, whatever language the page is in: the title is data
    residents read in the demand list, and one gap must not become two demands by language.
    """
    with translation.override(settings.LANGUAGE_CODE):
        gap = _("步行%(d)d米内没有%(t)s") % {"d": result.required_m, "t": result.type.name}
        if result.distance_m is None:
            found = _("附近都没有")
        else:
            found = _("最近的约%(m)d米") % {"m": int(result.distance_m)}
    return f"{gap}（{found}）", f"{gap}（"


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
    title, key = _gap_titles(result)
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
