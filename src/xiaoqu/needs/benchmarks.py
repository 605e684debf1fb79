"""Benchmark of opinion classification and merging (``xiaoqu bench needs``).

Runs in a child process pinned to one thread (OpenBLAS/OpenMP limits set, one core), so that
the peak RSS and the load time are the classifier's own. Synthetic opinions are the shipped
sentences with varied openings and endings residents use ("说实话，", "，搞快点嘛", …), so most
texts are distinct; nothing is cached between texts.

Rows:

* load — reading the shipped model and initialising jieba (once per process);
* baseline, jieba cut — segmenting the same texts with jieba alone (every segmenting
  classifier pays at least this), measured in the same run; ``vs baseline`` is the classify
  rate over this rate;
* classify — batch prediction, 20,000 opinions, after loading (goal ≥ 5,000 /s);
* merge — 100,000 opinions over 1,000 estates of 100 each with ``merge_estates``: one batched
  classification, then sub-topic and similarity grouping per estate (goal ≤ 30 s).
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import time
from typing import Any

CLASSIFY_N = 20_000
MERGE_ESTATES = 1_000
MERGE_PER_ESTATE = 100

OPENINGS = (
    "",
    "",
    "",
    "说实话，",
    "我们楼",
    "希望社区管一下，",
    "老早就反映过了，",
    "哎，",
    "讲真的",
)
ENDINGS = ("", "", "", "，搞快点嘛", "，谢谢", "，糟心得很", "！", "，好多年了", "。", "，咋个整嘛")


def synthetic(n: int, seed: int = 0) -> list[str]:
    from xiaoqu.needs import classifier as clf

    rng = random.Random(seed)
    base = [e.text for e in clf.shipped_examples()]
    places = ["", "", *(f"{k}栋" for k in range(1, 31)), *(f"{k}单元" for k in range(1, 7))]
    return [
        rng.choice(places) + rng.choice(OPENINGS) + rng.choice(base) + rng.choice(ENDINGS)
        for _ in range(n)
    ]


def _child() -> None:
    """The measurements, in this (child) process; prints one JSON line."""
    from threadpoolctl import threadpool_limits

    from xiaoqu.needs import classifier as clf
    from xiaoqu.needs import merging

    threadpool_limits(1)
    out: dict[str, Any] = {}

    started = time.perf_counter()
    model = clf.load() or clf.train_shipped()
    clf.set_default(model)
    clf._tokenizer()
    clf._t2s_table()
    out["load_s"] = time.perf_counter() - started

    texts = synthetic(CLASSIFY_N, seed=1)
    out["classify_unique"] = len(set(texts))
    tok = clf._tokenizer()
    started = time.perf_counter()
    for t in texts:
        tok.lcut(clf.normalise(t))
    out["jieba_s"] = time.perf_counter() - started

    model.predict_many(texts[:100])  # warm caches of the pipeline
    started = time.perf_counter()
    for i in range(0, len(texts), 5_000):
        model.predict_many(texts[i : i + 5_000])
    out["classify_s"] = time.perf_counter() - started

    estates = [synthetic(MERGE_PER_ESTATE, seed=1000 + e) for e in range(MERGE_ESTATES)]
    merging._vectoriser()
    started = time.perf_counter()
    groups = merging.merge_estates(estates, model)
    out["merge_s"] = time.perf_counter() - started
    out["merge_n"] = sum(len(e) for e in estates)
    out["merge_groups_per_estate"] = sum(max(g) + 1 for g in groups if g) / len(groups)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def bench_needs(options: dict[str, Any]) -> list[dict[str, Any]]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    command = [sys.executable, "-m", "xiaoqu.needs.benchmarks", "--child"]
    if hasattr(os, "sched_setaffinity"):
        command = ["taskset", "-c", "0", *command] if _has_taskset() else command
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    r = json.loads(done.stdout.strip().splitlines()[-1])
    jieba_rate = CLASSIFY_N / r["jieba_s"]
    classify_rate = CLASSIFY_N / r["classify_s"]
    peak = round(r["peak_rss_mb"])
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
        {"step": "peak RSS (whole run)", "MB": peak, "distinct texts": r["classify_unique"]},
    ]


def _has_taskset() -> bool:
    from shutil import which

    return which("taskset") is not None


def _bench_record(options: dict[str, Any]) -> list[dict[str, Any]]:
    from xiaoqu.needs.recordbench import bench_record

    return bench_record(options)


BENCHMARKS = {"needs": bench_needs, "needs-record": _bench_record}


if __name__ == "__main__" and "--child" in sys.argv:
    _child()
