"""Classification of residents' opinions into the needs taxonomy (pure: no Django).

Residents rarely use the official words ("一下雨家里就滴水" is a roof leak, "晚上上楼黑黢黢的"
is stairwell lighting), so the model is a linear classifier over three feature sets joined by
a ``FeatureUnion``:

* word uni- and bigrams from jieba (bundled dictionary plus ``data/userdict.txt``, no network),
* character 1–3-grams, which carry colloquial and dialect text (黑黢黢, 莫得, 恼火) and typos
  that the segmenter splits badly,
* one keyword feature per category (``KEYWORDS`` plus the category's own name), as a hint only.

The classifier is a ``LogisticRegression``, so ``score`` is a probability. Input is normalised
first: traditional → simplified characters (OpenCC's character table, applied with
``str.translate``), NFKC (full-width → half-width), emoji and control characters removed,
whitespace collapsed, and cut to ``MAX_CHARS`` so that a 10 MB line costs no more than a
long paragraph.

A text with nothing left after normalisation (empty, blanks, emoji only) cannot be classified:
it gets ``FALLBACK_CODE`` (``property_management``, the management bucket staff read anyway,
since the taxonomy has no "other") with score ``0.0``, which marks it as unclassified.

Training data: ``data/training.tsv`` (``code<TAB>text``). The held-out part is fixed by the
text alone: a row is held out when the first byte of the MD5 of its UTF-8 text is below 64
(≈ 25 %). It is never used to fit or tune the model; ``evaluate`` reports macro-F1 on it.
Staff corrections ``(text, code)`` are added to the training rows by ``train``.

The shipped model (``data/model.joblib``) is built by ``xiaoqu needs train`` from the training
part; if it is missing, unreadable, from another scikit-learn version or built from another
training file, the model is trained from the shipped set at first use (about two seconds).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

DATA = Path(__file__).resolve().parent / "data"
TRAINING_FILE = DATA / "training.tsv"
TAXONOMY_FILE = DATA / "taxonomy.json"
USERDICT_FILE = DATA / "userdict.txt"
MODEL_FILE = DATA / "model.joblib"

MAX_CHARS = 500
FALLBACK_CODE = "property_management"
HOLDOUT_BELOW = 64  # first MD5 byte < 64 → held out (a quarter)

# Hints per category; the model decides how much they weigh.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "water_supply": ("水压", "停水", "没水", "自来水", "水管", "供水", "水质", "水箱", "黄水"),
    "drainage": ("下水", "污水", "化粪池", "井盖", "地漏", "排水", "堵", "反水", "倒灌", "积水"),
    "power": ("跳闸", "电线", "电表", "停电", "电压", "线路", "配电", "漏电", "断电"),
    "gas": ("燃气", "天然气", "煤气", "液化气", "气罐", "通气"),
    "telecom": ("信号", "光纤", "宽带", "网线", "飞线", "蜘蛛网", "线缆", "网速", "有线电视"),
    "roads": ("路面", "坑", "道路", "水坑", "烂路", "泥巴路", "地砖"),
    "roof_facade": ("漏雨", "屋顶", "楼顶", "顶楼", "外墙", "瓷砖", "裂缝", "防水", "渗水", "滴水"),
    "stairwell": ("楼道", "楼梯", "扶手", "声控灯", "小广告", "单元门", "杂物", "摸黑"),
    "fire_safety": ("消防", "灭火器", "消火栓", "着火", "火灾", "安全出口", "疏散"),
    "security": ("门禁", "监控", "摄像头", "被偷", "小偷", "围墙", "陌生人", "保安", "防盗"),
    "waste": ("垃圾", "分类", "清运", "保洁", "臭", "环卫"),
    "greening_lighting": ("路灯", "绿化", "树", "草", "花坛", "庭院灯"),
    "elevator": ("电梯", "加梯", "爬楼", "六楼", "上下楼"),
    "parking": ("停车", "车位", "乱停", "车棚", "停车场"),
    "charging": ("充电", "充电桩", "拉线", "电瓶"),
    "elderly_friendly": ("台阶", "轮椅", "坡道", "无障碍", "适老", "扶手", "座椅", "凳子"),
    "leisure_fitness": ("健身", "广场舞", "下棋", "游乐", "篮球", "乒乓球", "娃娃耍"),
    "parcel": ("快递", "快递柜", "信箱", "驿站", "包裹", "信报箱", "信包箱"),
    "illegal_structures": ("违建", "违章", "私搭", "乱建", "搭", "铁皮房", "占了"),
    "energy_saving": ("保温", "漏风", "冷", "隔热", "窗户", "节能", "双层玻璃"),
    "elderly_care": ("老年食堂", "助餐", "养老", "照料", "护理", "老人吃饭", "送餐"),
    "childcare": ("托儿所", "托育", "幼儿园", "带孩子", "娃娃没人", "托管", "放学"),
    "health": ("看病", "卫生站", "诊所", "药", "医生", "医院", "血压"),
    "convenience": ("买菜", "菜市场", "超市", "便利店", "早餐", "修鞋", "家政"),
    "community_space": ("议事", "活动室", "开会", "服务中心", "居民之家", "会议室"),
    "property_management": ("物业", "报修", "没人管", "物业费", "业委会", "维修基金"),
    "public_order": ("吵", "狗", "噪音", "扰民", "抛物", "遛狗", "半夜"),
}

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- taxonomy


@cache
def taxonomy() -> dict[str, Any]:
    with TAXONOMY_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def category_names() -> dict[str, str]:
    """Category code → its name, in taxonomy order."""
    return {c["code"]: c["name"] for c in taxonomy()["categories"]}


@cache
def category_classes() -> dict[str, str]:
    """Category code → class code (basic, improve, enhance, manage), in taxonomy order."""
    return {c["code"]: c["class"] for c in taxonomy()["categories"]}


# ----------------------------------------------------------------------------- normalising

_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, symbols, flags
    "\U00002600-\U000027bf"  # misc symbols, dingbats
    "\U00002b00-\U00002bff"
    "\U0000fe00-\U0000fe0f"  # variation selectors
    "\U0000200b-\U0000200f\U00002060"  # zero-width joiners and marks
    "\U000e0000-\U000e007f"  # tag characters
    "\U00000000-\U00000008\U0000000b-\U0000001f\U0000007f"
    "]+"
)
_SPACES = re.compile(r"\s+")


@cache
def _t2s_table() -> dict[int, str]:
    """Traditional → simplified, character by character, from OpenCC's shipped table."""
    import opencc

    path = Path(opencc.__file__).resolve().parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and len(parts[0]) == 1:
                target = parts[1].split(" ")[0]
                if target and target != parts[0]:
                    table[ord(parts[0])] = target
    return table


def normalise(text: str) -> str:
    """The text the model sees: simplified, half-width, no emoji, single spaces, bounded."""
    # Cut first so that a huge line never reaches the regexes whole.
    text = text[: MAX_CHARS * 4]
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_t2s_table())
    text = _EMOJI.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return text[:MAX_CHARS]


def tidy(text: str) -> str:
    """The resident's words as written — their own punctuation, full-width and traditional
    characters kept — without emoji and runs of spaces: what people read (a demand's title)."""
    text = text[: MAX_CHARS * 4]
    text = _EMOJI.sub(" ", text)
    return _SPACES.sub(" ", text).strip()[:MAX_CHARS]


# ----------------------------------------------------------------------------- features

_tokenizer_lock = threading.Lock()


@cache
def tokenizer() -> Any:
    """The jieba tokenizer with the project's user dictionary (one per process)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _tokenizer_lock:
        tok = jieba.Tokenizer()
        tok.initialize()
        tok.load_userdict(str(USERDICT_FILE))
    return tok


def warm_up() -> None:
    """Load what the first classification would: the simplification table and the tokenizer."""
    _t2s_table()
    tokenizer()


def words(text: str) -> list[str]:
    """jieba tokens of a normalised text, without blanks and punctuation; plus word bigrams."""
    tokens = [t for t in tokenizer().lcut(text, HMM=False) if t.strip() and _is_wordlike(t)]
    return tokens + [a + " " + b for a, b in zip(tokens, tokens[1:], strict=False)]


def _is_wordlike(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


class KeywordFeatures(TransformerMixin, BaseEstimator):
    """One column per category: 1.0 when any of its keywords (or its name) is in the text."""

    def __init__(self) -> None:
        self.codes = list(category_classes())
        names = category_names()
        self.patterns = []
        for code in self.codes:
            terms = set(KEYWORDS.get(code, ()))
            terms.update(p for p in re.split("[与和、]", names[code]) if len(p) >= 2)
            alternation = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
            self.patterns.append(re.compile(alternation))

    def fit(self, texts: Sequence[str], y: Any = None) -> KeywordFeatures:
        return self

    def transform(self, texts: Sequence[str]) -> Any:
        from scipy import sparse

        rows, cols = [], []
        for i, text in enumerate(texts):
            for j, pattern in enumerate(self.patterns):
                if pattern.search(text):
                    rows.append(i)
                    cols.append(j)
        data = np.ones(len(rows), dtype=np.float64)
        return sparse.csr_matrix((data, (rows, cols)), shape=(len(texts), len(self.codes)))


def build_pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=1, dtype=np.float32),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=(1, 3),
                    sublinear_tf=True,
                    min_df=1,
                    dtype=np.float32,
                ),
            ),
            ("keywords", KeywordFeatures()),
        ],
        transformer_weights={"words": 1.0, "chars": 1.0, "keywords": 0.5},
    )
    model = LogisticRegression(C=20.0, max_iter=2000)
    return Pipeline([("features", features), ("model", model)])


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Example:
    code: str
    text: str

    @property
    def held_out(self) -> bool:
        return is_held_out(self.text)


def is_held_out(text: str) -> bool:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).digest()[0] < HOLDOUT_BELOW


def read_examples(path: Path | str) -> list[Example]:
    """Rows of a ``code<TAB>text`` file (header line ``code<TAB>text`` optional).

    Unknown codes and malformed lines raise ``ValueError`` naming the line.
    """
    known = category_classes()
    out: list[Example] = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or (number == 1 and line == "code\ttext"):
                continue
            code, sep, text = line.partition("\t")
            code = code.strip()
            if not sep or not text.strip():
                raise ValueError(f"{path}:{number}: expected CODE<TAB>TEXT")
            if code not in known:
                raise ValueError(f"{path}:{number}: unknown category {code!r}")
            out.append(Example(code, text.strip()))
    return out


def shipped_examples() -> list[Example]:
    return read_examples(TRAINING_FILE)


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(training part, held-out part) of the examples, fixed by each text's hash."""
    train: list[Example] = []
    test: list[Example] = []
    for ex in examples:
        (test if ex.held_out else train).append(ex)
    return train, test


def training_digest() -> str:
    return hashlib.sha256(TRAINING_FILE.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Prediction:
    code: str
    klass: str
    score: float


class Classifier:
    """A trained pipeline plus the taxonomy's classes."""

    def __init__(self, pipeline: Any, meta: dict[str, Any] | None = None) -> None:
        self.pipeline = pipeline
        self.meta = meta or {}
        self.classes = category_classes()
        self.labels = [str(c) for c in pipeline.classes_]

    def predict(self, text: str) -> Prediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order; texts with no content get the fallback."""
        fallback = Prediction(FALLBACK_CODE, self.classes[FALLBACK_CODE], 0.0)
        clean = [normalise(t) for t in texts]
        # Identical opinions are common (door-knocking notes); each distinct text once.
        distinct = list(dict.fromkeys(t for t in clean if t))
        if not distinct:
            return [fallback] * len(clean)
        proba = self.pipeline.predict_proba(distinct)
        best = proba.argmax(axis=1)
        found = {
            text: Prediction(self.labels[b], self.classes[self.labels[b]], float(p))
            for text, b, p in zip(
                distinct, best, proba[np.arange(len(distinct)), best], strict=True
            )
        }
        return [found[t] if t else fallback for t in clean]

    def codes_many(self, clean_texts: Sequence[str]) -> list[str]:
        """Codes for already normalised, non-empty texts (used by merging)."""
        distinct = list(dict.fromkeys(clean_texts))
        if not distinct:
            return []
        best = self.pipeline.predict_proba(distinct).argmax(axis=1)
        found = {text: self.labels[b] for text, b in zip(distinct, best, strict=True)}
        return [found[t] for t in clean_texts]

    def save(self, path: Path | str | None = None) -> None:
        import joblib

        joblib.dump({"meta": self.meta, "pipeline": self.pipeline}, path or MODEL_FILE, compress=3)


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    corrections: Iterable[tuple[str, str]] = (),
) -> Classifier:
    """Fit a classifier on (texts, labels) plus staff corrections ``(text, code)``.

    A correction overrides a training row with the same normalised text, so a correction of
    a shipped sentence changes its label rather than adding a contradicting copy.
    """
    import sklearn

    known = category_classes()
    rows: dict[str, str] = {}
    for text, code in zip(texts, labels, strict=True):
        clean = normalise(text)
        if clean:
            rows[clean] = code
    n_corrections = 0
    for text, code in corrections:
        if code not in known:
            raise ValueError(f"unknown category {code!r}")
        clean = normalise(text)
        if clean:
            rows[clean] = code
            n_corrections += 1
    pipeline = build_pipeline()
    pipeline.fit(list(rows), list(rows.values()))
    meta = {
        "sklearn": sklearn.__version__,
        "training_sha256": training_digest(),
        "rows": len(rows),
        "corrections": n_corrections,
    }
    return Classifier(pipeline, meta)


def train_shipped(corrections: Iterable[tuple[str, str]] = ()) -> Classifier:
    """Train on the training part of the shipped set (never the held-out part)."""
    train_part, _ = split(shipped_examples())
    return train([e.text for e in train_part], [e.code for e in train_part], corrections)


def load(path: Path | str | None = None) -> Classifier | None:
    """The saved classifier, or None when missing or built for another version or data."""
    import joblib
    import sklearn

    path = Path(path or MODEL_FILE)
    if not path.exists():
        return None
    try:
        blob = joblib.load(path)
    except Exception:  # noqa: BLE001 - any unreadable file means "train again"
        log.warning("needs model %s unreadable, training again", path)
        return None
    meta = blob.get("meta", {})
    if meta.get("sklearn") != sklearn.__version__:
        return None
    if path == MODEL_FILE and meta.get("training_sha256") != training_digest():
        return None
    return Classifier(blob["pipeline"], meta)


_default_lock = threading.Lock()
_default: Classifier | None = None


def default() -> Classifier:
    """The shipped model, loaded once per process (trained on the spot if unusable)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load() or train_shipped()
        return _default


def set_default(classifier: Classifier | None) -> None:
    """Replace the process-wide model (after retraining), or forget it (None)."""
    global _default
    with _default_lock:
        _default = classifier


def classify(texts: Sequence[str]) -> list[Prediction]:
    return default().predict_many(texts)


# ----------------------------------------------------------------------------- evaluation


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> dict[str, Any]:
    """Macro-F1 and per-category F1 (taxonomy order) of the classifier on the examples."""
    from sklearn.metrics import f1_score

    codes = list(category_classes())
    truth = [e.code for e in examples]
    predicted = [p.code for p in classifier.predict_many([e.text for e in examples])]
    per = f1_score(truth, predicted, labels=codes, average=None, zero_division=0)
    return {
        "n": len(examples),
        "accuracy": float(np.mean([a == b for a, b in zip(truth, predicted, strict=True)])),
        "macro_f1": float(np.mean(per)),
        "per_category": {c: float(f) for c, f in zip(codes, per, strict=True)},
    }
