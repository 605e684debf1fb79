"""``xiaoqu bench needs``: opinion classification and merging.

Runs in a child process pinned to one core with its numerical libraries on one thread, so
that the load time and the peak RSS are the classifier's own. The opinions are synthetic: the
classifier's shipped sentences with the openings and endings residents use ("说实话，",
"，搞快点嘛", …), so most texts are distinct; nothing is cached between texts.

Rows:

* load — reading the shipped model and initialising jieba (once per process);
* baseline, jieba cut — segmenting the same texts with jieba alone (every segmenting
  classifier pays at least this), measured in the same run; ``vs baseline`` is the classify
  rate over this rate;
* classify — batch prediction of 20,000 opinions, after loading (goal ≥ 5,000 /s);
* merge — 100,000 opinions over 1,000 estates of 100 each with ``merge_estates``: one batched
  classification, the lexicon's reading of each text (synonyms, places, needs), then
  grouping per estate (goal ≤ 30 s);
* peak RSS of the child process over the whole run.
"""

from __future__ import annotations

import time
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import child_env, run_in_child
from xiaoqu.bench.workloads import synthetic_opinions

CLASSIFY_N = 20_000
MERGE_ESTATES = 1_000
MERGE_PER_ESTATE = 100


def _in_child() -> dict[str, Any]:
    """Runs in the child process (no Django): the timings, as plain figures."""
    from threadpoolctl import threadpool_limits

    from xiaoqu.needs import classifier as clf
    from xiaoqu.needs import merging

    threadpool_limits(1)
    out: dict[str, Any] = {}

    started = time.perf_counter()
    model = clf.load() or clf.train_shipped()
    clf.set_default(model)
    clf.warm_up()
    out["load_s"] = time.perf_counter() - started

    texts = synthetic_opinions(CLASSIFY_N, seed=1)
    out["classify_unique"] = len(set(texts))
    tok = clf.tokenizer()
    started = time.perf_counter()
    for t in texts:
        tok.lcut(clf.normalise(t))
    out["jieba_s"] = time.perf_counter() - started

    model.predict_many(texts[:100])  # warm caches of the pipeline
    started = time.perf_counter()
    for i in range(0, len(texts), 5_000):
        model.predict_many(texts[i : i + 5_000])
    out["classify_s"] = time.perf_counter() - started

    estates = [synthetic_opinions(MERGE_PER_ESTATE, seed=1000 + e) for e in range(MERGE_ESTATES)]
    merging.vectoriser()
    started = time.perf_counter()
    groups = merging.merge_estates(estates, model)
    out["merge_s"] = time.perf_counter() - started
    out["merge_n"] = sum(len(e) for e in estates)
    out["merge_groups_per_estate"] = sum(max(g) + 1 for g in groups if g) / len(groups)
    return out


def run(options: dict[str, Any]) -> list[Row]:
    r, usage = run_in_child(_in_child, env=child_env(), django=False, one_core=True)
    jieba_rate = CLASSIFY_N / r["jieba_s"]
    classify_rate = CLASSIFY_N / r["classify_s"]
    return [
        {"step": "load model + jieba", "n": None, "seconds": r["load_s"], "per second": None},
        {
            "step": "baseline: jieba cut only",
            "n": CLASSIFY_N,
            "seconds": r["jieba_s"],
            "per second": round(jieba_rate),
        },
        {
            "step": "classify (batch, 1 core)",
            "n": CLASSIFY_N,
            "seconds": r["classify_s"],
            "per second": round(classify_rate),
            "vs baseline": round(classify_rate / jieba_rate, 2),
            "target": "≥ 5,000 /s",
        },
        {
            "step": f"merge ({MERGE_ESTATES:,} estates)",
            "n": r["merge_n"],
            "seconds": r["merge_s"],
            "per second": round(r["merge_n"] / r["merge_s"]),
            "groups/estate": r["merge_groups_per_estate"],
            "target": "≤ 30 s",
        },
        {
            "step": "peak RSS (whole run)",
            "MB": round(usage.peak_rss_mb),
            "distinct texts": r["classify_unique"],
        },
    ]
