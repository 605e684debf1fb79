"""Facility types of the 15-minute life circle (GB 50180-2018, Appendix B; pure data).

Codes are stable identifiers used in facility files and by ``xiaoqu lifecircle nearest``;
names are what people read. ``DEFAULT_DISTANCES`` gives, per type, the walking distance of the
life-circle level the standard places it in (15-minute 1,000 m, 10-minute 500 m, 5-minute
300 m); the platform keeps an editable copy.
"""

from __future__ import annotations

FACILITY_TYPES: dict[str, str] = {
    "kindergarten": "幼儿园",
    "nursery": "托儿所",
    "primary_school": "小学",
    "middle_school": "初中",
    "school": "学校",
    "clinic": "社区卫生服务站/中心",
    "hospital": "医院",
    "pharmacy": "药店",
    "marketplace": "菜市场",
    "supermarket": "超市",
    "convenience": "便利店",
    "nursing_home": "养老院",
    "elderly_daycare": "老年人日间照料中心",
    "community_centre": "社区服务站/中心",
    "cultural_centre": "文化活动站/中心",
    "sports_ground": "运动场",
    "fitness": "室外健身场地",
    "bus_stop": "公交站",
    "bank": "银行",
    "post_office": "邮政营业场所",
    "parcel_point": "快递服务点",
    "toilets": "公共厕所",
    "waste_station": "垃圾收集站",
}

LEVEL_DISTANCES_M = {"15min": 1000, "10min": 500, "5min": 300}
DEFAULT_LEVELS: dict[str, str] = {
    "kindergarten": "5min",
    "nursery": "5min",
    "primary_school": "10min",
    "middle_school": "15min",
    "school": "10min",
    "clinic": "5min",
    "hospital": "15min",
    "pharmacy": "10min",
    "marketplace": "10min",
    "supermarket": "10min",
    "convenience": "5min",
    "nursing_home": "15min",
    "elderly_daycare": "5min",
    "community_centre": "5min",
    "cultural_centre": "15min",
    "sports_ground": "10min",
    "fitness": "5min",
    "bus_stop": "5min",
    "bank": "15min",
    "post_office": "15min",
    "parcel_point": "5min",
    "toilets": "5min",
    "waste_station": "5min",
}
DEFAULT_DISTANCES = {t: LEVEL_DISTANCES_M[level] for t, level in DEFAULT_LEVELS.items()}

# The needs category (all of class "enhance") a gap of each type becomes in a demand list.
GAP_CATEGORY: dict[str, str] = {
    "kindergarten": "childcare",
    "nursery": "childcare",
    "primary_school": "childcare",
    "middle_school": "childcare",
    "school": "childcare",
    "clinic": "health",
    "hospital": "health",
    "pharmacy": "health",
    "marketplace": "convenience",
    "supermarket": "convenience",
    "convenience": "convenience",
    "bank": "convenience",
    "post_office": "convenience",
    "parcel_point": "convenience",
    "bus_stop": "convenience",
    "waste_station": "convenience",
    "nursing_home": "elderly_care",
    "elderly_daycare": "elderly_care",
    "community_centre": "community_space",
    "cultural_centre": "community_space",
    "sports_ground": "community_space",
    "fitness": "community_space",
    "toilets": "community_space",
}

# OpenStreetMap tags → facility type: (key, value) pairs checked in this order; the first match
# wins. Nodes, ways (at their centroid) and multipolygon relations are read.
OSM_TAGS: tuple[tuple[str, str, str], ...] = (
    ("amenity", "kindergarten", "kindergarten"),
    ("amenity", "childcare", "nursery"),
    ("amenity", "school", "school"),
    ("amenity", "clinic", "clinic"),
    ("amenity", "doctors", "clinic"),
    ("healthcare", "centre", "clinic"),
    ("amenity", "hospital", "hospital"),
    ("amenity", "pharmacy", "pharmacy"),
    ("healthcare", "pharmacy", "pharmacy"),
    ("amenity", "marketplace", "marketplace"),
    ("shop", "supermarket", "supermarket"),
    ("shop", "convenience", "convenience"),
    ("amenity", "nursing_home", "nursing_home"),
    ("social_facility", "nursing_home", "nursing_home"),
    ("social_facility", "assisted_living", "nursing_home"),
    ("social_facility", "day_care", "elderly_daycare"),
    ("amenity", "community_centre", "community_centre"),
    ("amenity", "social_centre", "community_centre"),
    ("amenity", "arts_centre", "cultural_centre"),
    ("amenity", "library", "cultural_centre"),
    ("leisure", "sports_centre", "sports_ground"),
    ("leisure", "pitch", "sports_ground"),
    ("leisure", "stadium", "sports_ground"),
    ("leisure", "fitness_station", "fitness"),
    ("leisure", "fitness_centre", "fitness"),
    ("highway", "bus_stop", "bus_stop"),
    ("public_transport", "platform", "bus_stop"),
    ("amenity", "bank", "bank"),
    ("amenity", "post_office", "post_office"),
    ("amenity", "parcel_locker", "parcel_point"),
    ("amenity", "toilets", "toilets"),
    ("amenity", "waste_transfer_station", "waste_station"),
)


def osm_facility_type(tags: object) -> str | None:
    """The facility type of an OSM object's tags (a mapping or pyosmium TagList), or None."""
    get = tags.get  # type: ignore[attr-defined]
    for key, value, kind in OSM_TAGS:
        if get(key) == value:
            return kind
    return None
