"""Merging the opinions of one estate into groups asking for the same thing."""

from __future__ import annotations

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
