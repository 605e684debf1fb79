"""Merging the opinions of one estate that ask for the same thing (pure: no Django).

Two opinions share a group when they are in the same category (from the classifier) and ask
for the same issue within it:

1. **Sub-topic signatures.** Many categories hold several distinct asks ("stairwell": lights,
   handrails, clutter, adverts, doors, …). ``SUBTOPICS`` lists, per category and in priority
   order, the words that mark each one; an opinion's sub-topic is the first whose words occur
   in its normalised text. Opinions with the same (category, sub-topic) form one group:
   "楼道灯坏了" and "晚上楼梯黑乎乎的" are both stairwell/light, "楼道里堆满杂物" is
   stairwell/clutter. Categories listed with ``None`` are one ask as a whole (adding an
   elevator).
2. **Text similarity for the rest.** An opinion with no sub-topic is compared with the others
   of its category by cosine similarity of character 1–2-gram TF-IDF vectors (hashed; the IDF
   is learnt once from the shipped training sentences, so the vector of a text never depends
   on the other texts of the call). It joins the group of the most similar signed opinion when
   the similarity reaches ``THRESHOLD``; the unsigned ones left over are joined pairwise at the
   same threshold and grouped by connected components (union-find).
3. Opinions with nothing left after normalisation (emoji only) each form a group of their own.

Group numbers are 0..k-1 in order of first appearance, so the same input always gives the same
output. ``merge_estates`` merges many estates with one batched classification and one
vectorisation for speed; each estate's groups are exactly what ``merge`` gives for it alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from . import classifier as clf

THRESHOLD = 0.45
DENSE_LIMIT = 2_000  # opinions in one estate up to which one n × n matrix is used
CHUNK = 1_000

# category → ((sub-topic, words), ...) in priority order; None: the category is one ask.
SUBTOPICS: dict[str, tuple[tuple[str, tuple[str, ...]], ...] | None] = {
    "water_supply": (
        ("outage", ("停水", "断水", "停了")),
        ("quality", ("黄", "浑", "味", "水质", "沙子", "水垢", "漂白", "白垢")),
        ("tank", ("水箱", "水塔", "泵房")),
        ("pressure", ("水压", "没水", "没得水", "莫得水", "加压", "接不到", "细", "滴答", "缺水")),
        ("pipes", ("水管", "管道", "管子", "爆", "漏", "阀门", "冻裂", "主管")),
    ),
    "drainage": (
        ("septic", ("化粪池", "掏", "隔油池")),
        ("rain", ("雨", "积水", "淹", "篦子", "排水沟", "明沟", "阴沟")),
        ("sewer", ("下水", "污水", "井盖", "窨井", "马桶", "反水", "返", "地漏", "堵", "冒")),
    ),
    "power": (
        ("meter", ("电表", "一户一表", "电费", "表")),
        ("outage", ("停电", "莫得电", "没电", "拉闸", "断电")),
        ("capacity", ("跳闸", "负荷", "增容", "容量", "带不动", "保险", "空开")),
        ("wiring", ("电线", "线路", "铝线", "短路", "漏电", "插座", "开关", "焦", "线", "电缆")),
        ("voltage", ("电压", "闪")),
    ),
    "gas": (
        ("safety", ("漏", "味", "锈", "报警", "阀门", "软管", "安全", "害怕", "撞")),
        ("connection", ("通", "接", "入户", "换罐", "扛", "气罐", "液化气", "煤", "柴")),
    ),
    "telecom": (
        (
            "cables",
            ("蜘蛛网", "飞线", "乱", "入地", "下地", "架空", "缠", "垂", "挂", "拉满", "废线"),
        ),
        ("signal", ("信号", "4G", "5G", "格")),
        ("broadband", ("宽带", "光纤", "网速", "掉线", "网络", "电视", "断网")),
    ),
    "roads": (
        ("potholes", ("坑", "洼", "烂", "破", "裂", "碎", "不平", "颠", "沉降", "翘", "起包")),
        ("mud", ("泥", "土路", "硬化", "石子", "灰")),
        ("water", ("积水", "水坑", "水")),
        ("slippery", ("滑", "陡")),
        ("narrow", ("窄", "会车")),
    ),
    "roof_facade": (
        (
            "roof",
            ("屋顶", "楼顶", "顶楼", "顶层", "房顶", "天花板", "漏雨", "滴水", "漏水", "屋面"),
        ),
        ("facade", ("外墙", "瓷砖", "磁砖", "墙皮", "抹灰", "剥落", "外立面", "墙灰", "掉")),
        ("cracks", ("裂",)),
        ("leaks", ("渗", "漏", "湿", "水")),
    ),
    "stairwell": (
        ("light", ("灯", "黑", "暗", "摸黑", "看不见", "看不到", "电筒")),
        ("handrail", ("扶手", "扶守", "栏杆")),
        ("adverts", ("广告", "涂", "画")),
        ("clutter", ("杂物", "堆", "放", "摆", "纸壳", "自行车", "鞋柜", "花盆", "晾", "坛子")),
        ("door", ("单元门", "门锁", "铁门", "门")),
        ("windows", ("窗",)),
        ("walls", ("墙", "霉", "脏", "刷")),
        ("steps", ("台阶", "踏步", "楼梯", "瓷砖", "滑", "陡")),
    ),
    "fire_safety": (
        ("ebike", ("电瓶", "电动车", "充电")),
        (
            "equipment",
            (
                "灭火器",
                "消火栓",
                "消防栓",
                "水带",
                "喷淋",
                "烟感",
                "应急灯",
                "指示",
                "消防箱",
                "水池",
                "水管",
            ),
        ),
        ("exits", ("出口", "疏散", "锁", "防盗窗", "跑")),
        ("lanes", ("通道", "车道", "消防车", "堵", "占")),
    ),
    "security": (
        ("cameras", ("监控", "监空", "摄像", "探头", "录像", "智慧安防")),
        ("walls", ("围墙", "铁丝网", "翻")),
        (
            "access",
            (
                "门禁",
                "大门",
                "门岗",
                "门卫",
                "保安",
                "道闸",
                "外人",
                "陌生",
                "随便进",
                "出入口",
                "对讲",
                "门",
            ),
        ),
        ("theft", ("偷", "撬", "抢", "丢", "顺走")),
    ),
    "waste": (
        ("sorting", ("分类",)),
        ("station", ("垃圾站", "垃圾房", "垃圾池", "转运站", "收集点", "窗子底下")),
        ("bulky", ("装修垃圾", "建筑垃圾", "大件", "沙发")),
        ("bins", ("垃圾桶", "桶", "垃圾箱")),
        ("cleaning", ("保洁", "扫", "卫生", "环卫")),
        ("collection", ("清运", "收", "拉", "几天", "堆", "清")),
    ),
    "greening_lighting": (
        ("lamps", ("灯", "黑", "暗")),
        ("trees", ("树",)),
        ("green", ("草", "绿", "花")),
    ),
    "elevator": None,
    "parking": (
        ("bikes", ("自行车", "电瓶车", "电动车", "车棚", "摩托", "非机动车")),
        ("fees", ("收费", "钱", "费")),
        (
            "disorder",
            ("乱停", "乱放", "堵", "挡", "占", "横七竖八", "歪", "僵尸车", "外来", "外面的车"),
        ),
        ("spaces", ("车位", "停车场", "立体", "停车位", "地方停")),
    ),
    "charging": (
        ("cars", ("汽车", "新能源", "慢充", "燃油车")),
        ("ebikes", ("电瓶", "电动车", "充电", "拉线")),
    ),
    "elderly_friendly": (
        ("handrails", ("扶手",)),
        ("seats", ("凳", "椅", "座", "坐", "歇")),
        ("access", ("台阶", "坡", "轮椅", "门槛", "坎", "高差", "无障碍")),
    ),
    "leisure_fitness": (
        ("kids", ("娃娃", "儿童", "滑梯", "秋千", "游乐", "沙坑", "小孩")),
        ("fitness", ("健身", "器材", "器才", "单杠", "锻炼")),
        ("ball", ("篮球", "乒乓", "羽毛球", "毛毛球", "球")),
        ("dance", ("广场舞", "跳舞", "广场", "合唱", "太极")),
        ("seating", ("凉亭", "下棋", "乘凉", "桌", "喝茶")),
    ),
    "parcel": (
        ("mailbox", ("信", "邮箱", "报纸")),
        ("lockers", ("快递柜", "快第柜", "丰巢", "柜")),
        ("delivery", ("驿站", "快递", "代收", "取件")),
    ),
    "illegal_structures": (("roof", ("楼顶", "屋顶")),),
    "energy_saving": (
        ("windows", ("窗", "玻璃", "漏风", "漏峰", "门")),
        ("roof", ("顶楼", "屋顶", "隔热")),
        ("walls", ("墙", "保温")),
    ),
    "elderly_care": (
        ("meals", ("食堂", "食糖", "饭", "餐", "吃")),
        ("care", ("照料", "护理", "照顾", "托老", "上门", "陪", "看")),
    ),
    "childcare": (
        ("afterschool", ("放学", "托管", "课后", "作业", "四点半", "暑假", "寒暑假")),
        ("nursery", ("托儿", "托育", "托班", "幼儿园", "早教", "0到3")),
    ),
    "convenience": (
        ("market", ("菜",)),
        ("food", ("早餐", "餐馆", "包子", "吃饭")),
        ("services", ("修", "家政", "理发", "洗衣", "裁缝", "开锁", "缝补")),
        ("shops", ("超市", "便利店", "小卖部", "商业", "店")),
    ),
    "public_order": (
        ("throwing", ("抛", "扔", "泼", "花盆")),
        ("pets", ("狗", "猫", "宠物", "鸽子", "鸡", "犬")),
        ("noise", ("吵", "噪", "音响", "音乐", "喇叭", "吼", "电钻", "跺脚", "响")),
        ("smoke", ("烧烤", "油烟", "烟")),
    ),
}


@cache
def _subtopic_patterns() -> dict[str, list[tuple[str, re.Pattern[str]]] | None]:
    out: dict[str, list[tuple[str, re.Pattern[str]]] | None] = {}
    for code, topics in SUBTOPICS.items():
        if topics is None:
            out[code] = None
            continue
        out[code] = [
            (name, re.compile("|".join(re.escape(w) for w in sorted(ws, key=len, reverse=True))))
            for name, ws in topics
        ]
    return out


def subtopic(code: str, clean_text: str) -> str | None:
    """The sub-topic of a normalised text within its category: a name, "*" or None."""
    patterns = _subtopic_patterns().get(code, [])
    if patterns is None:
        return "*"
    for name, pattern in patterns:
        if pattern.search(clean_text):
            return name
    return None


@cache
def vectoriser() -> tuple[Any, Any]:
    """Hashed char 1–2-grams with an IDF learnt from the shipped sentences (fixed per process)."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    hashing = HashingVectorizer(
        analyzer="char",
        ngram_range=(1, 2),
        n_features=2**18,
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    )
    texts = [clf.normalise(e.text) for e in clf.shipped_examples()]
    tfidf = TfidfTransformer(sublinear_tf=True).fit(hashing.transform(texts))
    return hashing, tfidf


def _vectors(clean_texts: Sequence[str]) -> Any:
    hashing, tfidf = vectoriser()
    return tfidf.transform(hashing.transform(clean_texts)).tocsr()


class _Similarity:
    """Cosine similarities between rows of one estate's vectors.

    Up to ``DENSE_LIMIT`` opinions the whole estate's matrix is computed once (fast for the
    usual estate of a few hundred); above it, only the blocks asked for are computed, in row
    chunks, so one huge estate never needs an n × n matrix.
    """

    def __init__(self, vectors: Any) -> None:
        self.vectors = vectors
        self.full: Any = None
        if vectors.shape[0] <= DENSE_LIMIT:
            self.full = (vectors @ vectors.T).toarray()

    def best(self, rows: list[int], cols: list[int]) -> tuple[Any, Any]:
        """For each row: the index (into cols) of its most similar column, and that value."""
        if self.full is not None:
            block = self.full[np.ix_(rows, cols)]
            best = block.argmax(axis=1)
            return best, block[np.arange(len(rows)), best]
        right = self.vectors[cols].T.tocsc()
        bests, values = [], []
        for start in range(0, len(rows), CHUNK):
            block = (self.vectors[rows[start : start + CHUNK]] @ right).toarray()
            best = block.argmax(axis=1)
            bests.append(best)
            values.append(block[np.arange(len(best)), best])
        return np.concatenate(bests), np.concatenate(values)

    def components(self, rows: list[int]) -> Any:
        """Connected-component labels of rows, joined where similarity ≥ THRESHOLD."""
        from scipy import sparse
        from scipy.sparse.csgraph import connected_components

        if self.full is not None:
            graph: Any = self.full[np.ix_(rows, rows)] >= THRESHOLD
        else:
            sub = self.vectors[rows]
            right = sub.T.tocsc()
            pieces = []
            for start in range(0, len(rows), CHUNK):
                block = (sub[start : start + CHUNK] @ right).tocsr()
                block.data = (block.data >= THRESHOLD).astype(np.int8)
                block.eliminate_zeros()
                pieces.append(block)
            graph = sparse.vstack(pieces).tocsr()
        return connected_components(graph, directed=False)[1]


def _groups(codes: Sequence[str | None], topics: Sequence[str | None], vectors: Any) -> list[int]:
    """Group numbers for one estate (codes None: no content)."""
    n = len(codes)
    key: list[tuple[Any, ...]] = [()] * n
    by_code: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        if code is None:
            key[i] = ("empty", i)
        else:
            by_code.setdefault(code, []).append(i)
    sim: _Similarity | None = None  # computed only when some opinion has no sub-topic
    for code, members in by_code.items():
        signed = [i for i in members if topics[i] is not None]
        unsigned = [i for i in members if topics[i] is None]
        for i in signed:
            key[i] = (code, topics[i])
        if not unsigned:
            continue
        if sim is None:
            sim = _Similarity(vectors)
        left = _join_nearest(key, unsigned, signed, sim) if signed else unsigned
        _group_similar(key, code, left, sim)
    numbers: dict[tuple[Any, ...], int] = {}
    return [numbers.setdefault(k, len(numbers)) for k in key]


def _join_nearest(
    key: list[tuple[Any, ...]], unsigned: list[int], signed: list[int], sim: _Similarity
) -> list[int]:
    """Key each opinion without a sub-topic like its most similar one with a sub-topic.

    Only where the two are similar enough (``THRESHOLD``); returns the opinions left unkeyed.
    """
    best, value = sim.best(unsigned, signed)
    left = []
    for row, i in enumerate(unsigned):
        if value[row] >= THRESHOLD:
            key[i] = key[signed[best[row]]]
        else:
            left.append(i)
    return left


def _group_similar(
    key: list[tuple[Any, ...]], code: str, left: list[int], sim: _Similarity
) -> None:
    """Key the opinions of category ``code`` left without one by groups of similar text."""
    if len(left) == 1:
        key[left[0]] = (code, "~", 0)
    elif left:
        labels = sim.components(left)
        for row, i in enumerate(left):
            key[i] = (code, "~", int(labels[row]))


def merge_estates(
    estates: Sequence[Sequence[str]], classifier: clf.Classifier | None = None
) -> list[list[int]]:
    """Group numbers for the opinions of each estate (each list: 0..k-1, first appearance)."""
    model = classifier or clf.default()
    flat = [text for texts in estates for text in texts]
    if not flat:
        return [[] for _ in estates]
    clean = [clf.normalise(t) for t in flat]
    filled = [i for i, t in enumerate(clean) if t]
    codes: list[str | None] = [None] * len(flat)
    for i, code in zip(filled, model.codes_many([clean[i] for i in filled]), strict=True):
        codes[i] = code
    topics = [None if c is None else subtopic(c, t) for c, t in zip(codes, clean, strict=True)]
    vectors = _vectors(clean)
    out: list[list[int]] = []
    start = 0
    for texts in estates:
        end = start + len(texts)
        out.append(_groups(codes[start:end], topics[start:end], vectors[start:end]))
        start = end
    return out


def merge_coded(texts: Sequence[str], codes: Sequence[str]) -> list[int]:
    """Group numbers for one estate's opinions whose categories are already known.

    Used by the platform, where an opinion's category may have been corrected by staff: the
    stored category is kept rather than classifying the text again.
    """
    if len(texts) != len(codes):
        raise ValueError("texts and codes differ in length")
    clean = [clf.normalise(t) for t in texts]
    kept: list[str | None] = [c if t else None for c, t in zip(codes, clean, strict=True)]
    topics = [None if c is None else subtopic(c, t) for c, t in zip(kept, clean, strict=True)]
    return _groups(kept, topics, _vectors(clean)) if texts else []


def merge(texts: Sequence[str], classifier: clf.Classifier | None = None) -> list[int]:
    """Group numbers for the opinions of one estate, in input order."""
    return merge_estates([texts], classifier)[0]
