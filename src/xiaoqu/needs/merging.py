"""Merging the opinions of one estate that ask for the same thing (pure: no Django).

Residents ask for one thing in many words: in Guizhou speech or standard Chinese, as a
complaint or a request, naming a place in several ways (3栋, 三栋, 三号楼). Merging reads them
in four steps (docs/needs.md#merging):

1. **Normalising.** The classifier's normalisation (simplified, half-width, no emoji), then
   the lexicon's synonyms (``data/merge_lexicon.toml``: 莫得 → 没有, 黑黢黢 → 很黑, 梯坎 → 台阶,
   停车棚 → 车棚, 小区门口 → 大门 …), and building and unit numbers in any form (3栋, 三号楼,
   二单元) reduced to "楼栋" and "单元": an estate's demand is what residents ask for across the
   estate, so the building does not separate two opinions (the households asking are counted
   from the opinions' dwellings).
2. **Needs.** The lexicon lists needs ("stairwell/light", "drainage/septic" …) in priority
   order, each with *anchors* — words, or pairs of words that must both occur, that name the
   need whatever the classifier said (a 化粪池 is drainage, "楼道" with "很黑" a stairwell
   light) — and *cues*, words that name it only within its category. The classifier's category
   is a feature: an anchor overrides it, unless the category was set by staff (then only the
   needs of that category are read). Opinions with the same need form one group; a category
   listed as ``whole`` (adding an elevator) is one need as a whole.
3. **Similarity for the rest.** An opinion naming no need is compared with the others of its
   category by cosine similarity of character 1–2-gram TF-IDF vectors of its normalised text
   (hashed; the IDF is learnt once from the shipped training sentences, so a text's vector
   never depends on the other texts of the call). It joins the group of the most similar
   opinion with a need when the similarity reaches ``THRESHOLD``; those left over are joined
   pairwise at the same threshold and grouped by connected components.
4. Opinions with nothing left after normalisation (emoji only) each form a group of their own.

Group numbers are 0..k-1 in order of first appearance, so the same input always gives the same
output. ``merge_estates`` merges many estates with one batched classification and one
vectorisation for speed; each estate's groups are exactly what ``merge`` gives for it alone.

``suggest_joins`` finds, among an estate's demands, pairs that may ask for the same thing but
were kept apart (the same need in two demands, signs too weak for merging to act on: a cue of
another category, a second need named, wording in the band below the threshold): the demand
board offers them to staff. ``pairwise_scores`` scores groups against hand-labelled ones.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from . import classifier as clf

LEXICON_FILE = clf.DATA / "merge_lexicon.toml"
THRESHOLD = 0.45
# Demands whose wording is this similar (below THRESHOLD) may still ask for the same thing.
SUGGEST_FROM = 0.25
SUGGEST_LIMIT = 12
DENSE_LIMIT = 2_000  # opinions in one estate up to which one n × n matrix is used
CHUNK = 1_000

_NUMBER = "[0-9]+|[一二三四五六七八九十两]+"
_BUILDING = re.compile(rf"(?:{_NUMBER})\s*(?:号楼|号栋|栋|幢|号院)")
_UNIT = re.compile(rf"(?:{_NUMBER})\s*单元")


# ----------------------------------------------------------------------------- the lexicon


@dataclass(frozen=True)
class Need:
    """One thing residents ask for, as the lexicon names it."""

    id: str
    category: str


class Lexicon:
    """The synonyms and needs of ``data/merge_lexicon.toml``, indexed for fast matching.

    Words are found by trying, at each position of a text, the words starting with its
    character, so overlapping words ("楼道灯", "楼道", "灯") are all seen.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        known = clf.category_classes()
        self.whole = frozenset(data.get("whole", ()))
        pairs = [
            (variant, standard)
            for standard, variants in data.get("synonyms", {}).items()
            for variant in variants
        ]
        self.synonyms = dict(pairs)
        # A standard form matches itself, so that a variant inside it (粪池 in 化粪池) is not
        # replaced.
        for standard in data.get("synonyms", {}):
            self.synonyms.setdefault(standard, standard)
        self.synonym_pattern = re.compile(
            "|".join(re.escape(v) for v in sorted(self.synonyms, key=len, reverse=True))
        )
        self.needs: list[Need] = []
        self.anchors: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        self.cues: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for index, entry in enumerate(data.get("need", [])):
            category = entry["id"].split("/")[0]
            if category not in known:
                raise ValueError(f"merge lexicon: unknown category in {entry['id']!r}")
            self.needs.append(Need(entry["id"], category))
            for kind, table in (("anchors", self.anchors), ("cues", self.cues)):
                for term in entry.get(kind, ()):
                    atoms = tuple(a for a in term.split("+") if a)
                    # Indexed by the longest atom: the rarest, so the fewest checks.
                    key = max(atoms, key=len)
                    table.setdefault(key, []).append((index, atoms))
        words = {
            a for table in (self.anchors, self.cues) for _i, atoms in _flat(table) for a in atoms
        }
        # A cue of one character (灯, 堵) is too weak a sign outside its category.
        self.long_cues = {
            key: [(i, atoms) for i, atoms in items if len("".join(atoms)) > 1]
            for key, items in self.cues.items()
        }
        # Words by their first character: each position of a text tries only those.
        self.starting: dict[str, tuple[str, ...]] = {}
        for word in sorted(words):
            self.starting[word[0]] = (*self.starting.get(word[0], ()), word)

    def normalise(self, clean: str) -> str:
        """A classifier-normalised text in the lexicon's words, places made generic."""
        text = self.synonym_pattern.sub(lambda m: self.synonyms[m.group(0)], clean)
        text = _BUILDING.sub("楼栋", text)
        return _UNIT.sub("单元", text)

    def found(self, text: str) -> set[str]:
        """The lexicon's words that occur in a text (overlapping ones too)."""
        out = set()
        starting = self.starting
        for position, char in enumerate(text):
            for word in starting.get(char, ()):
                if text.startswith(word, position):
                    out.add(word)
        return out

    def matches(
        self, found: set[str], table: dict[str, list[tuple[int, tuple[str, ...]]]]
    ) -> set[int]:
        """Indexes of the needs with a term (all its atoms) among the words found."""
        out = set()
        for word in found:
            for index, atoms in table.get(word, ()):
                if index not in out and all(a in found for a in atoms):
                    out.add(index)
        return out


def _flat(table: dict[str, list[tuple[int, tuple[str, ...]]]]) -> list[tuple[int, tuple[str, ...]]]:
    return [item for items in table.values() for item in items]


@cache
def lexicon() -> Lexicon:
    """The shipped lexicon (read once per process)."""
    with LEXICON_FILE.open("rb") as fh:
        return Lexicon(tomllib.load(fh))


@dataclass(frozen=True)
class Reading:
    """What the lexicon reads in one opinion: its text for similarity and the needs named."""

    text: str
    anchored: tuple[int, ...]  # needs whose anchors occur, in priority order
    cued: tuple[int, ...]  # needs whose anchors or cues occur, in priority order
    hinted: tuple[int, ...]  # needs whose anchors or cues of two characters or more occur


def read(clean: str) -> Reading:
    """The lexicon's reading of a classifier-normalised text."""
    lex = lexicon()
    text = lex.normalise(clean)
    found = lex.found(text)
    anchored = lex.matches(found, lex.anchors)
    cued = lex.matches(found, lex.cues)
    hinted = anchored | lex.matches(found, lex.long_cues)
    return Reading(
        text, tuple(sorted(anchored)), tuple(sorted(anchored | cued)), tuple(sorted(hinted))
    )


def need_key(reading: Reading, code: str, fixed: bool = False) -> tuple[str, str | None]:
    """(category, need) of an opinion: the need is None when the lexicon names none.

    The first anchored need decides, unless ``fixed`` (staff set the category) and that need
    is of another category; otherwise the first need of the category named by a cue.
    """
    lex = lexicon()
    if reading.anchored:
        need = lex.needs[reading.anchored[0]]
        if not fixed or need.category == code:
            code = need.category
            return code, "*" if code in lex.whole else need.id
    if code in lex.whole:
        return code, "*"
    for index in reading.cued:
        if lex.needs[index].category == code:
            return code, lex.needs[index].id
    return code, None


def subtopic(code: str, clean_text: str) -> str | None:
    """The need a text names within category ``code`` (its id, "*" or None)."""
    return need_key(read(clean_text), code, fixed=True)[1]


# ----------------------------------------------------------------------------- similarity


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
    texts = [read(clf.normalise(e.text)).text for e in clf.shipped_examples()]
    tfidf = TfidfTransformer(sublinear_tf=True).fit(hashing.transform(texts))
    return hashing, tfidf


def _vectors(texts: Sequence[str]) -> Any:
    hashing, tfidf = vectoriser()
    return tfidf.transform(hashing.transform(texts)).tocsr()


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


# ----------------------------------------------------------------------------- grouping


def _groups(keys: Sequence[tuple[str, str | None] | None], vectors: Any) -> list[int]:
    """Group numbers for one estate from each opinion's (category, need); None: no content."""
    n = len(keys)
    key: list[tuple[Any, ...]] = [()] * n
    by_code: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k is None:
            key[i] = ("empty", i)
        else:
            by_code.setdefault(k[0], []).append(i)
    sim: _Similarity | None = None  # computed only when some opinion names no need
    for code, members in by_code.items():
        signed = [i for i in members if keys[i][1] is not None]  # type: ignore[index]
        unsigned = [i for i in members if keys[i][1] is None]  # type: ignore[index]
        for i in signed:
            key[i] = keys[i]  # type: ignore[assignment]
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
    """Key each opinion naming no need like its most similar one naming a need.

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


def _readings(clean: Sequence[str]) -> list[Reading | None]:
    """The lexicon's reading of each normalised text (None when empty), each distinct once."""
    distinct = {t: read(t) for t in dict.fromkeys(clean) if t}
    return [distinct[t] if t else None for t in clean]


def _texts(readings: Sequence[Reading | None]) -> list[str]:
    return [r.text if r is not None else "" for r in readings]


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
    readings = _readings(clean)
    keys = [
        None if r is None or c is None else need_key(r, c)
        for r, c in zip(readings, codes, strict=True)
    ]
    vectors = _vectors(_texts(readings))
    out: list[list[int]] = []
    start = 0
    for texts in estates:
        end = start + len(texts)
        out.append(_groups(keys[start:end], vectors[start:end]))
        start = end
    return out


@dataclass(frozen=True)
class Merged:
    """One estate's groups, with the category each opinion's group settled on."""

    groups: list[int]
    codes: list[str | None]  # None: no content


def merge_coded_detail(
    texts: Sequence[str], codes: Sequence[str], fixed: Sequence[bool] | None = None
) -> Merged:
    """Groups of one estate's opinions whose categories are already known.

    ``fixed[i]`` says the category was set by staff and is kept; any other category is the
    classifier's and a lexicon anchor may override it (``None``: every category is kept).
    """
    if len(texts) != len(codes) or (fixed is not None and len(fixed) != len(texts)):
        raise ValueError("texts, codes and fixed differ in length")
    if not texts:
        return Merged([], [])
    keep = fixed if fixed is not None else [True] * len(texts)
    readings = _readings([clf.normalise(t) for t in texts])
    keys = [
        None if r is None else need_key(r, c, f)
        for r, c, f in zip(readings, codes, keep, strict=True)
    ]
    groups = _groups(keys, _vectors(_texts(readings)))
    return Merged(groups, [None if k is None else k[0] for k in keys])


def effective_codes(
    texts: Sequence[str], codes: Sequence[str], fixed: Sequence[bool]
) -> list[str | None]:
    """The category each opinion's group settles on (see ``merge_coded_detail``)."""
    return [
        None if r is None else need_key(r, c, f)[0]
        for r, c, f in zip(_readings([clf.normalise(t) for t in texts]), codes, fixed, strict=True)
    ]


def merge_coded(
    texts: Sequence[str], codes: Sequence[str], fixed: Sequence[bool] | None = None
) -> list[int]:
    """Group numbers for one estate's opinions whose categories are already known.

    Used by the platform, where an opinion's category may have been corrected by staff: the
    stored category is kept (see ``merge_coded_detail`` for ``fixed``).
    """
    return merge_coded_detail(texts, codes, fixed).groups


def merge(texts: Sequence[str], classifier: clf.Classifier | None = None) -> list[int]:
    """Group numbers for the opinions of one estate, in input order."""
    return merge_estates([texts], classifier)[0]


# ----------------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class DemandTexts:
    """A demand as merging sees it: its category and its opinions (texts, categories, and
    whether staff set each category)."""

    id: int
    category: str
    texts: Sequence[str]
    codes: Sequence[str]
    fixed: Sequence[bool]


@dataclass(frozen=True)
class Suggestion:
    """Two demands that may ask for the same thing; ``score`` 0..1 (1: the same need)."""

    first: int
    second: int
    score: float
    same_need: bool


def suggest_joins(
    demands: Sequence[DemandTexts], skip: frozenset[tuple[int, int]] = frozenset()
) -> list[Suggestion]:
    """Pairs of one estate's demands that may ask for the same thing, best first.

    Two kinds:

    * demands of one category whose opinions mostly name the same need (kept apart by a staff
      split, a staff correction or an earlier version of the lexicon): score 1;
    * for each demand whose opinions name no need, the one other demand it most likely
      belongs to, of any category (the classifier may have missed): a demand whose need the
      first one's words name as a cue of another category (a weak sign that merging does not
      act on alone), or else the demand with the most similar wording when the cosine of the
      two demands' mean vectors reaches ``SUGGEST_FROM`` — the band where merging does not
      join by itself. The score is that cosine (at least ``SUGGEST_FROM`` with a cue).

    ``skip`` holds the (lower id, higher id) pairs staff dismissed. At most ``SUGGEST_LIMIT``.
    """
    live = [d for d in demands if d.texts]
    if len(live) < 2:
        return []
    needs, others, cosine = _profiles(live)
    ids = [d.id for d in live]
    holders: dict[str, list[int]] = {}
    for index, need in enumerate(needs):
        if need is not None:
            holders.setdefault(need, []).append(index)
    candidates: list[tuple[int, int, float, bool]] = []
    for a, need in enumerate(needs):
        if need is not None:
            candidates += [
                (a, b, 1.0, True)
                for b in holders[need]
                if b > a and live[b].category == live[a].category
            ]
        if need is None or others[a]:
            free = {b for b in range(len(live)) if b != a and _pair(ids, a, b) not in skip}
            home = _likeliest_home(a, others[a], holders, cosine, free, similar=need is None)
            if home is not None:
                candidates.append((a, home[0], home[1], False))
    found: dict[tuple[int, int], Suggestion] = {}
    for a, b, score, same in candidates:
        pair = _pair(ids, a, b)
        if pair not in skip and (pair not in found or found[pair].score < score):
            found[pair] = Suggestion(pair[0], pair[1], score, same)
    out = sorted(found.values(), key=lambda s: (-s.score, s.first, s.second))
    return out[:SUGGEST_LIMIT]


def _pair(ids: Sequence[int], a: int, b: int) -> tuple[int, int]:
    return min(ids[a], ids[b]), max(ids[a], ids[b])


def _likeliest_home(
    a: int,
    named: list[str],
    holders: dict[str, list[int]],
    cosine: Any,
    free: set[int],
    *,
    similar: bool,
) -> tuple[int, float] | None:
    """The demand (among ``free``) demand ``a`` most likely belongs to: one holding the first
    need of ``named`` that a demand holds, else (``similar``) the most similar at
    ``SUGGEST_FROM`` or more."""
    for need in named:
        held = [b for b in holders.get(need, ()) if b in free]
        if held:
            b = max(held, key=lambda b: cosine[a, b])
            return b, max(float(cosine[a, b]), SUGGEST_FROM)
    if not similar:
        return None
    for b in np.argsort(-cosine[a], kind="stable"):
        if int(b) in free:
            return (int(b), float(cosine[a, b])) if cosine[a, b] >= SUGGEST_FROM else None
    return None


def _profiles(live: Sequence[DemandTexts]) -> tuple[list[str | None], list[list[str]], Any]:
    """Per demand: the need most of its opinions name (or None); the other needs it may be
    about, in priority order — for a demand naming no need those its words name (anchors, or
    cues of two characters or more, any category), for a demand of one opinion that names
    several needs the others; and the cosine matrix of the demands' mean vectors."""
    readings = _readings([clf.normalise(t) for d in live for t in d.texts])
    vectors = _vectors(_texts(readings))
    lex = lexicon()
    needs: list[str | None] = []
    cues: list[list[str]] = []
    rows: list[Any] = []
    start = 0
    for d in live:
        end = start + len(d.texts)
        mine = readings[start:end]
        seen = Counter(
            need_key(r, c, f)[1]
            for r, c, f in zip(mine, d.codes, d.fixed, strict=True)
            if r is not None
        )
        top = seen.most_common(1)
        needs.append(top[0][0] if top and top[0][1] * 2 > end - start else None)
        if needs[-1] is None:
            named = sorted({i for r in mine if r is not None for i in r.hinted})
        elif len(mine) == 1 and mine[0] is not None:
            named = list(mine[0].anchored)
        else:
            named = []
        cues.append([lex.needs[i].id for i in named if lex.needs[i].id != needs[-1]])
        mean = np.asarray(vectors[start:end].mean(axis=0)).ravel()
        norm = float(np.linalg.norm(mean))
        rows.append(mean / norm if norm else mean)
        start = end
    matrix = np.vstack(rows)
    return needs, cues, matrix @ matrix.T


# ----------------------------------------------------------------------------- evaluation


def pairwise_scores(gold: Sequence[Any], groups: Sequence[int]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of ``groups`` against gold labels.

    Every pair of opinions counts once: a true positive when both share a gold label and a
    group, a false positive when they share a group only, a false negative when they share a
    gold label only.
    """
    if len(gold) != len(groups):
        raise ValueError("gold and groups differ in length")
    both: Counter[tuple[Any, int]] = Counter(zip(gold, groups, strict=True))
    same_gold = sum(n * (n - 1) // 2 for n in Counter(gold).values())
    same_group = sum(n * (n - 1) // 2 for n in Counter(groups).values())
    tp = sum(n * (n - 1) // 2 for n in both.values())
    precision = tp / same_group if same_group else 1.0
    recall = tp / same_gold if same_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "pairs": float(same_gold),
        "true_positives": float(tp),
        "false_positives": float(same_group - tp),
        "false_negatives": float(same_gold - tp),
    }
