"""Merging the opinions of one estate into groups asking for the same thing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xiaoqu.needs import merging


def test_broken_stair_light_and_dark_stairs_share_a_group() -> None:
    """ "楼道灯坏了" and "晚上楼梯黑乎乎的" ask for the same thing."""
    groups = merging.merge(["楼道灯坏了", "晚上楼梯黑乎乎的"])
    assert groups[0] == groups[1]


def test_stair_clutter_is_not_merged_with_stair_lights() -> None:
    """ "楼道里堆满杂物" is the stairwell too, but a different ask."""
    groups = merging.merge(["楼道灯坏了", "晚上楼梯黑乎乎的", "楼道里堆满杂物"])
    assert groups == [0, 0, 1]


def test_different_categories_never_share_a_group() -> None:
    """A roof leak and a parking complaint are separate groups."""
    groups = merging.merge(["顶楼屋顶漏雨", "停车位太少，车都停到路上了"])
    assert groups[0] != groups[1]


def test_roof_leak_in_plain_words_joins_the_roof_leak_group() -> None:
    """ "一下雨家里就滴水" joins "顶楼屋顶漏雨", not the falling tiles."""
    groups = merging.merge(["顶楼屋顶漏雨", "外墙瓷砖掉下来差点砸到人", "一下雨家里就滴水"])
    assert groups == [0, 1, 0]


def test_group_numbers_follow_first_appearance() -> None:
    """Groups are numbered 0..k-1 in the order their first opinion appears."""
    texts = ["停车位太少", "楼道灯坏了", "车位不够，天天抢车位", "楼道灯不亮"]
    assert merging.merge(texts) == [0, 1, 0, 1]


def test_merging_is_deterministic() -> None:
    """The same input gives the same groups every time."""
    texts = ["物业不管事", "看病太远", "楼道灯坏了", "物业费收了不干事", "附近没得诊所"]
    assert merging.merge(texts) == merging.merge(list(texts))


def test_emoji_only_opinions_are_groups_of_their_own() -> None:
    """Opinions with no words are not merged with anything."""
    assert merging.merge(["😀", "😀", "楼道灯坏了"]) == [0, 1, 2]


def test_empty_input_gives_no_groups() -> None:
    """No opinions, no groups."""
    assert merging.merge([]) == []


def test_many_estates_at_once_equal_each_estate_alone() -> None:
    """The batched merge gives every estate exactly its own merge."""
    estates = [
        ["楼道灯坏了", "晚上楼梯黑乎乎的", "楼道里堆满杂物"],
        [],
        ["停车位太少", "希望加装电梯", "老人爬楼太难了，想装电梯"],
    ]
    assert merging.merge_estates(estates) == [merging.merge(t) for t in estates]


def test_large_estate_path_gives_the_same_groups(monkeypatch) -> None:
    """Above DENSE_LIMIT the chunked similarity path groups exactly like the dense one."""
    from xiaoqu.bench.workloads import synthetic_opinions

    texts = synthetic_opinions(400, seed=7)
    dense = merging.merge(texts)
    monkeypatch.setattr(merging, "DENSE_LIMIT", 10)
    monkeypatch.setattr(merging, "CHUNK", 64)
    assert merging.merge(texts) == dense


def test_merge_with_known_categories_matches_merge_with_the_classifier():
    """merge_coded, fed the classifier's own codes, groups exactly as merge does."""
    from xiaoqu.needs import classifier as clf

    texts = [
        "楼道灯坏了",
        "晚上楼梯黑乎乎的",
        "楼道里堆满杂物",
        "😀",
        "屋顶漏雨",
        "一下雨家里就滴水",
    ]
    codes = [p.code for p in clf.classify(texts)]
    assert merging.merge_coded(texts, codes) == merging.merge(texts)


def test_merge_with_known_categories_keeps_a_corrected_category_apart():
    """A staff-corrected category separates an opinion from its former group."""
    texts = ["楼道灯坏了", "楼道灯不亮"]
    assert merging.merge_coded(texts, ["stairwell", "stairwell"]) == [0, 0]
    assert merging.merge_coded(texts, ["stairwell", "greening_lighting"]) == [0, 1]


# ---------------------------------------------------------------- what residents mean

DATA = Path(__file__).resolve().parent / "data"


def labelled(name: str) -> tuple[list[str], list[str]]:
    """(groups, texts) of a labelled set in tests/needs/data/."""
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return [r["group"] for r in rows], [r["text"] for r in rows]


def test_merging_groups_what_residents_mean_on_the_evaluation_set() -> None:
    """On the hand-labelled set (341 opinions, 67 needs: dialect, complaints and requests,
    places named differently, hard negatives) pairwise F1 ≥ 0.85 with precision ≥ 0.90."""
    gold, texts = labelled("merge_eval.jsonl")
    scores = merging.pairwise_scores(gold, merging.merge(texts))
    assert scores["precision"] >= 0.90
    assert scores["f1"] >= 0.85


def test_merging_stays_precise_on_sets_it_was_not_tuned_on() -> None:
    """The sets written after the lexicon (merge_holdout, merge_fresh: never tuned on) keep
    precision ≥ 0.90: what merging joins belongs together."""
    for name in ("merge_holdout.jsonl", "merge_fresh.jsonl"):
        gold, texts = labelled(name)
        assert merging.pairwise_scores(gold, merging.merge(texts))["precision"] >= 0.90, name


def test_evaluation_sets_are_large_enough_and_apart_from_shipped_words() -> None:
    """≥ 300 opinions in ≥ 60 groups; no evaluation sentence is a training sentence or sits in
    the merging lexicon."""
    gold, texts = labelled("merge_eval.jsonl")
    assert len(texts) >= 300 and len(set(gold)) >= 60
    from xiaoqu.needs import classifier as clf

    shipped = {clf.normalise(e.text) for e in clf.shipped_examples()}
    lexicon = merging.LEXICON_FILE.read_text(encoding="utf-8")
    for name in ("merge_eval.jsonl", "merge_holdout.jsonl", "merge_fresh.jsonl"):
        for text in labelled(name)[1]:
            assert clf.normalise(text) not in shipped, text
            assert text not in lexicon, text


def test_pairwise_scores_count_pairs() -> None:
    """Precision and recall over pairs: {a,b} right, {c} wrongly apart, {d} wrongly joined."""
    scores = merging.pairwise_scores(["x", "x", "x", "y"], [0, 0, 1, 1])
    assert scores["true_positives"] == 1
    assert scores["false_positives"] == 1
    assert scores["false_negatives"] == 2
    assert scores["precision"] == 0.5
    assert scores["recall"] == pytest.approx(1 / 3)


def test_dialect_and_standard_words_for_one_need_share_a_group() -> None:
    """莫得/没有, 屋头/家里, 黑黢黢/很黑: Guizhou speech and standard Chinese ask one thing."""
    groups = merging.merge(["楼梯间的灯不亮", "楼道黑黢黢的，老人莫得办法上楼", "声控灯坏了"])
    assert len(set(groups)) == 1


def test_a_lexicon_anchor_overrides_the_classifier_category() -> None:
    """化粪池 is drainage whatever the classifier says; a category staff set is kept."""
    texts = ["化粪池满了", "化粪池冒出来了"]
    assert merging.merge_coded(texts, ["drainage", "waste"], [False, False]) == [0, 0]
    assert merging.merge_coded_detail(texts, ["drainage", "waste"], [False, False]).codes == [
        "drainage",
        "drainage",
    ]
    assert merging.merge_coded(texts, ["drainage", "waste"], [False, True]) == [0, 1]


def test_building_names_in_any_form_do_not_separate_a_need() -> None:
    """3栋, 三栋 and 三号楼 name one building; the estate's demand is the same anyway."""
    lex = merging.lexicon()
    assert {lex.normalise(t) for t in ("3栋楼道灯", "三栋楼道灯", "三号楼楼道灯")} == {"楼栋楼道灯"}


def test_same_place_different_needs_stay_apart() -> None:
    """The stairwell of one building: its lights, its clutter and its door are three asks."""
    groups = merging.merge(["3栋楼道灯不亮", "3栋楼道堆满杂物", "3栋单元门关不上"])
    assert len(set(groups)) == 3


def test_a_place_that_changes_the_need_keeps_it_apart() -> None:
    """The bike shed's roof leaking is about the shed, not the building's roof."""
    groups = merging.merge(["停车棚的顶漏雨，电瓶车都打湿了", "屋顶漏雨，天花板都泡了"])
    assert groups[0] != groups[1]


def test_suggestions_pair_demands_naming_the_same_need() -> None:
    """Two demands of one category whose opinions name the same need are suggested, once."""
    demands = [
        merging.DemandTexts(1, "stairwell", ["楼道灯坏了"], ["stairwell"], [False]),
        merging.DemandTexts(2, "stairwell", ["声控灯不亮"], ["stairwell"], [True]),
        merging.DemandTexts(3, "parking", ["车位不够"], ["parking"], [False]),
    ]
    found = merging.suggest_joins(demands)
    assert [(s.first, s.second, s.same_need) for s in found] == [(1, 2, True)]
    assert merging.suggest_joins(demands, skip=frozenset({(1, 2)})) == []


def test_suggestions_offer_a_demand_naming_no_need_its_likeliest_home() -> None:
    """A demand whose words name a need only as a cue of another category (马桶, filed under
    public order) is offered the demand holding that need, never a join by itself."""
    texts = ["下水道堵了，厨房水下不去"], ["马桶一冲就往上涌，楼上的东西都冲下来"]
    demands = [
        merging.DemandTexts(1, "drainage", texts[0], ["drainage"], [False]),
        merging.DemandTexts(2, "public_order", texts[1], ["public_order"], [True]),
    ]
    found = merging.suggest_joins(demands)
    assert [(s.first, s.second, s.same_need) for s in found] == [(1, 2, False)]
    assert merging.SUGGEST_FROM <= found[0].score < 1
    assert merging.merge_coded(
        texts[0] + texts[1], ["drainage", "public_order"], [False, True]
    ) == [0, 1]


def test_suggestions_offer_a_lone_opinion_naming_two_needs_the_other_one() -> None:
    """ "路灯和楼道灯一起换" joins the street lamps; the stairwell-light demand is suggested."""
    demands = [
        merging.DemandTexts(
            1, "stairwell", ["楼道灯坏了", "声控灯不亮"], ["stairwell"] * 2, [False] * 2
        ),
        merging.DemandTexts(2, "greening_lighting", ["路灯和楼道灯一起换"], ["stairwell"], [False]),
    ]
    assert [(s.first, s.second) for s in merging.suggest_joins(demands)] == [(1, 2)]
