"""The demo's life circle: a real road layer of central Guiyang, a demo facility set around the
demo's Guiyang estates, and the analysis of 云岩区 and 南明区 on that layer, done while the demo
loads so that the region maps, the estates' report cards and "加入需求清单" work on first start.

* ``data/guiyang-central-roads.geojson``: OpenStreetMap roads of central Guiyang exported by
  overpass-turbo (© OpenStreetMap contributors, ODbL 1.0; ``data/README.md``). The twelve
  Guiyang estates of the demo register stand beside its streets (``registry/data/demo.json``,
  ``location``).
* ``data/guiyang-facilities.csv``: 88 made-up facilities of the standard's types, every name
  ending in “（演示数据）”, imported through the same service as the spreadsheet upload on a
  region's life-circle page, by the demo housing-bureau login of 贵阳市. They are placed so
  that 吉祥巷粮食局宿舍, 吉祥小区 and 四通街8号院落 have every facility type within its distance,
  while 金仓苑 lacks the clinic, the food market, the nursery and the fitness ground its
  residents asked for in the door-knocking campaign (demo/needs.py), and 金仓路市政宿舍 and
  盐务街12号院 lack the elderly day care their residents asked for.
* One analysis per district, started through ``lifecircle.services.analysis_start`` with the
  layer as the run's file and executed here, synchronously (nothing is queued).

No gap is turned into a demand here: that step is left for the person trying the demo (the
community and street logins may; their demands then join the estate's demand list as new,
outside any published version).

Idempotent: facilities are imported only when the file's rows differ from the stored ones, and
a district is analysed again only when its newest run is not a finished run of this very file
taken after the facilities and the district's estates last changed.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoqu.accounts.models import User
from xiaoqu.lifecircle import selectors, services
from xiaoqu.lifecircle.models import AnalysisRun, Facility, FacilitySource, RunStatus
from xiaoqu.lifecircle.network import file_digest
from xiaoqu.registry.models import Estate, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
ROADS = DATA_DIR / "guiyang-central-roads.geojson"
FACILITIES = DATA_DIR / "guiyang-facilities.csv"
CITY_CODE = "520100"  # 贵阳市: the housing bureau's scope, where the facilities are imported
DISTRICT_CODES = ("520103", "520102")  # 云岩区, 南明区
ANALYST_PHONE = "13800000007"  # the demo housing-bureau login (DEMO_LOGINS)
# Every demo facility's name ends so: they are not real places.
DEMO_MARK = "（演示数据）"


def load_demo_lifecircle() -> list[AnalysisRun]:
    """Import the demo facilities and analyse the demo districts; returns the districts' runs."""
    analyst = User.objects.get(phone=ANALYST_PHONE)
    imported = _import_facilities(analyst)
    digest = file_digest(ROADS)
    runs = []
    for code in DISTRICT_CODES:
        region = Region.objects.get(code=code)
        run = selectors.latest_run(region=region)
        if imported or run is None or not _current(run, region, digest):
            started = services.analysis_start(
                region=region,
                osm=SimpleUploadedFile(ROADS.name, ROADS.read_bytes()),
                actor=analyst,
                enqueue=False,
            )
            run = services.analysis_execute(started.pk)
        runs.append(run)
    return runs


def _import_facilities(analyst: User) -> bool:
    """Import the demo facility file unless every row is already stored as it is."""
    with FACILITIES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    stored = {
        f.source_ref: (f.type.code, f.name, f.latitude, f.longitude)
        for f in Facility.objects.filter(
            source=FacilitySource.FILE, source_ref__in=[r["id"] for r in rows]
        ).select_related("type")
    }
    wanted = {r["id"]: (r["type"], r["name"], Decimal(r["lat"]), Decimal(r["lon"])) for r in rows}
    if stored == wanted:
        return False
    services.facilities_import_file(
        upload=SimpleUploadedFile(FACILITIES.name, FACILITIES.read_bytes()),
        actor=analyst,
        region=Region.objects.get(code=CITY_CODE),
    )
    return True


def _current(run: AnalysisRun, region: Region, digest: str) -> bool:
    """Whether the run is a finished analysis of this road layer, newer than the estates."""
    if run.status != RunStatus.DONE or run.finished_at is None:
        return False
    try:
        same_file = file_digest(run.osm_file.path) == digest
    except (OSError, ValueError):
        return False
    moved = Estate.objects.filter(
        region_path__startswith=region.path, updated_at__gt=run.finished_at
    ).exists()
    return same_file and not moved
