"""``--preset national``: the national programme's register, one folder per province.

The programme renovated about 220,000 estates and 38 million households in 2019–2023. The
preset (``data/national.json``) lists the 31 provincial-level divisions with their GB/T 2260
codes, their urban population and their capital; a province's estates and dwellings are its
share of the totals by urban population (largest remainder, so they sum exactly). Each
province is written as a register of its own (``<out>/<code>/``, the same files as any drawn
register) by ``province.generate_province``, so that a province imports on its own: the
national register is loaded province by province, each import all or nothing
(docs/cli.md#xiaoqu-generate). ``<out>/provinces.csv`` lists the folders in order with their counts.

Below the province the tree is drawn: the capital keeps its real code and name, the other
cities and the districts get codes of the standard's shape under the province's prefix and
names drawn from word pools; a province with a preset of its own (Guizhou) uses its real tree.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from xiaoqu.registry.generator.output import GenerateError, GenerateSummary, check_folder
from xiaoqu.registry.generator.province import generate_province
from xiaoqu.registry.generator.tree import _words, apportion, load_preset, unique_name

# The list of the province folders, written beside them.
PROVINCES_FILE = "provinces.csv"
PROVINCES_HEADER = ("代码", "名称", "文件夹", "小区", "房屋")

_CITY_WORDS = _words(
    "安平 宝丰 长宁 崇安 大通 德阳 定远 东川 丰宁 凤城 阜康 福安 广安 广宁 桂平 海安 和顺 "
    "鹤山 衡阳 洪江 华安 怀远 汇川 吉安 济阳 建宁 江华 金城 景德 静安 开远 乐安 乐平 丽水 "
    "临川 灵山 龙川 隆昌 鲁山 罗定 满城 梅山 明光 南安 宁远 平安 平阳 普安 青阳 清河 庆阳 "
    "全州 仁寿 荣昌 瑞安 三江 沙河 上饶 韶山 石城 寿光 顺昌 泰和 桃源 天长 通化 万安 威远 "
    "文成 武宁 西昌 仙居 襄城 新安 兴宁 阳春 宜丰 永安 永丰 玉山 元江 云和 肇源 镇远 中宁"
)
_DISTRICT_WORDS = _words(
    "城关 东城 西城 南城 北城 新城 老城 河东 河西 江南 江北 湖滨 山前 山后 高新 开发 经开 "
    "城中 城厢 龙华 凤鸣 金水 银河 玉泉 青山 白云 红山 黄埔 紫金 碧江 清江 安宁 太平 长乐 "
    "永和 丰泽 双桥 三元 五华 七星 九龙 百花 千山 万柏 文峰 武陵 华容 光明 和平 胜利 团结 "
    "东湖 西湖 南湖 北湖 临河 沿江 滨海 港口 海港 金州 石门 松江 梅江 桃江 柳江 桂山 杨林"
)


def generate_national(
    out: Path,
    data: dict[str, Any],
    *,
    estates: int | None,
    dwellings: int | None,
    seed: int,
    force: bool,
    workers: int | None,
) -> GenerateSummary:
    """Write the national register into ``out``: a folder per province and ``provinces.csv``.

    ``estates`` and ``dwellings`` are the national totals (default the programme's); each
    province gets its share by urban population, at least one estate and one dwelling.
    """
    estates = data["estates"] if estates is None else estates
    dwellings = data["dwellings"] if dwellings is None else dwellings
    provinces = data["provinces"]
    if estates < len(provinces):
        raise GenerateError(
            _("全国预设至少要 %(n)d 个小区（每个省份至少一个）。") % {"n": len(provinces)}
        )
    if dwellings < estates:
        raise GenerateError(_("房屋总数不能少于小区数量。"))
    check_folder(out, force)
    out.mkdir(parents=True, exist_ok=True)
    weights = [p["urban_population"] for p in provinces]
    shares = zip(provinces, apportion(estates, weights, 1), strict=True)
    # Dwellings follow the estates (not the population again), so that every province's
    # dwellings per estate is the national average and its counts pass the generator's checks.
    counts = [(p, n) for p, n in shares]
    homes = apportion(dwellings, [n for _p, n in counts], 1)
    totals = dict.fromkeys(("regions", "estates", "buildings", "entrances", "dwellings"), 0)
    totals |= {"people": 0, "ownerships": 0}
    listing = []
    for (province, n_estates), n_dwellings in zip(counts, homes, strict=True):
        folder = out / province["code"]
        summary = generate_province(
            folder,
            province_data(province),
            preset=f"national-{province['code']}",
            estates=n_estates,
            dwellings=max(n_dwellings, n_estates),
            seed=seed,
            force=force,
            workers=workers,
        )
        for key, value in summary.as_dict().items():
            totals[key] += value
        listing.append(
            (province["code"], province["name"], folder.name, summary.estates, summary.dwellings)
        )
    with open(out / PROVINCES_FILE, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(PROVINCES_HEADER)
        writer.writerows(listing)
    return GenerateSummary(**totals)


def province_data(province: dict[str, Any]) -> dict[str, Any]:
    """The data ``generate_province`` draws one province from, as a province preset has it.

    A province with a preset of its own takes that preset's real tree; the others get their
    capital and drawn cities and districts. The tree depends only on the province's entry.
    """
    if province.get("preset"):
        own = load_preset(province["preset"])
        return {"province": own["province"], "cities": own["cities"]}
    rng = random.Random(f"xiaoqu-national:{province['code']}")
    prefix = province["code"][:2]
    n_cities = max(1, province["cities"])
    n_districts = max(n_cities, province["districts"])
    per_city = (
        apportion(n_districts, [3.0] + [1.0] * (n_cities - 1), 1) if n_cities > 1 else [n_districts]
    )
    city_names: set[str] = {province["capital"]["name"]}
    district_names: set[str] = set()
    cities = []
    for i in range(n_cities):
        if i == 0:
            code, name = province["capital"]["code"], province["capital"]["name"]
            lat, lon = province["lat"], province["lon"]
        else:
            code = f"{prefix}{i + 1:02d}00"
            name = unique_name(rng, _CITY_WORDS, "市", city_names)
            lat = province["lat"] + rng.gauss(0, 1.2)
            lon = province["lon"] + rng.gauss(0, 1.5)
        municipality = province["capital"]["name"] == "市辖区"
        districts = []
        urban = max(1, round(per_city[i] * (0.8 if municipality else 0.4 if i == 0 else 0.2)))
        for k in range(per_city[i]):
            is_district = k < urban
            # Districts are numbered from 02, counties from 21 (or after the districts).
            number = 2 + k if is_district else max(21, urban + 3) + k - urban
            suffix = "区" if is_district else "县"
            districts.append(
                {
                    "code": f"{code[:4]}{number:02d}",
                    "name": unique_name(rng, _DISTRICT_WORDS, suffix, district_names),
                    "lat": round(lat + rng.gauss(0, 0.05 if is_district else 0.3), 4),
                    "lon": round(lon + rng.gauss(0, 0.05 if is_district else 0.3), 4),
                    "weight": rng.uniform(8, 25) if is_district else rng.uniform(2, 8),
                }
            )
        share = 0.35 if i == 0 and n_cities > 1 else 1.0
        cities.append({"code": code, "name": name, "share": share, "districts": districts})
    if n_cities > 1:
        rest = [rng.uniform(0.5, 1.5) for _ in cities[1:]]
        for city, weight in zip(cities[1:], rest, strict=True):
            city["share"] = 0.65 * weight / sum(rest)
    return {"province": {"code": province["code"], "name": province["name"]}, "cities": cities}
