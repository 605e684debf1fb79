"""The opinion classifier: held-out quality, colloquial speech and bad input."""

from __future__ import annotations

from collections import Counter

import pytest

from xiaoqu.needs import classifier as clf

MACRO_F1_FLOOR = 0.76  # measured 0.800 on the held-out part


@pytest.fixture(scope="module")
def model() -> clf.Classifier:
    return clf.default()


@pytest.fixture(scope="module")
def held_out() -> list[clf.Example]:
    return clf.split(clf.shipped_examples())[1]


def test_shipped_model_matches_the_shipped_training_file() -> None:
    """The committed model loads as is, so a clean clone classifies without training."""
    assert clf.load() is not None


def test_macro_f1_on_held_out_part_reaches_the_floor(model, held_out) -> None:
    """Macro-F1 over all categories on the held-out sentences stays above the floor."""
    report = clf.evaluate(model, held_out)
    assert report["macro_f1"] >= MACRO_F1_FLOOR


def test_every_category_has_at_least_forty_sentences() -> None:
    """The shipped set covers every taxonomy category with 40 or more sentences."""
    counts = Counter(e.code for e in clf.shipped_examples())
    assert set(counts) == set(clf.category_classes())
    assert min(counts.values()) >= 40


def test_held_out_split_is_fixed_by_the_text_and_about_a_quarter() -> None:
    """The split depends on each text alone, is disjoint and holds out roughly 25 %."""
    examples = clf.shipped_examples()
    train, test = clf.split(examples)
    assert not {e.text for e in train} & {e.text for e in test}
    assert 0.18 < len(test) / len(examples) < 0.32
    assert clf.split(list(reversed(examples)))[1] == list(reversed(test))


def test_training_never_sees_held_out_sentences(model, held_out) -> None:
    """The shipped model was fitted on the training part only."""
    assert model.meta["rows"] == len(clf.split(clf.shipped_examples())[0])
    assert model.meta["corrections"] == 0


def test_rain_dripping_indoors_is_a_roof_leak(model) -> None:
    """ "一下雨家里就滴水" names no roof but is classified roof_facade."""
    assert model.predict("一下雨家里就滴水").code == "roof_facade"


def test_dark_stairs_at_night_is_the_stairwell(model) -> None:
    """ "晚上上楼黑黢黢的" is stairwell (lighting), not street lighting."""
    prediction = model.predict("晚上上楼黑黢黢的")
    assert prediction.code == "stairwell"
    assert prediction.klass == "basic"


def test_guizhou_speech_unseen_sentence(model) -> None:
    """A dialect sentence not in the set is still understood."""
    assert model.predict("屋头水龙头放半天都莫得水，恼火得很").code == "water_supply"


def test_traditional_characters_classify_like_simplified(model) -> None:
    """Traditional characters are converted before classification."""
    simplified = model.predict("楼道灯坏了好久，晚上上楼摸黑")
    traditional = model.predict("樓道燈壞了好久，晚上上樓摸黑")
    assert traditional == simplified


def test_full_width_characters_become_half_width() -> None:
    """Full-width letters and digits are normalised to half-width."""
    assert clf.normalise("５Ｇ信号  差") == "5G信号 差"


def test_emoji_only_text_gets_the_fallback_with_score_zero(model) -> None:
    """An opinion of emoji alone is unclassified: fallback category, score 0.0."""
    prediction = model.predict("😡😡👎🏻")
    assert prediction.code == clf.FALLBACK_CODE
    assert prediction.score == 0.0


def test_empty_and_blank_text_get_the_fallback_with_score_zero(model) -> None:
    """Empty and whitespace-only texts get the fallback, score 0.0."""
    for text in ("", "   \t "):
        prediction = model.predict(text)
        assert (prediction.code, prediction.score) == (clf.FALLBACK_CODE, 0.0)


def test_emoji_around_words_are_ignored(model) -> None:
    """Emoji inside an opinion do not change its category."""
    assert model.predict("楼道灯坏了😭😭").code == model.predict("楼道灯坏了").code


def test_ten_megabyte_text_is_truncated_not_fatal(model) -> None:
    """A 10 MB opinion is cut to MAX_CHARS before features and classified."""
    huge = "楼道里堆满杂物" + "很" * (10 * 1024 * 1024)
    assert len(clf.normalise(huge)) <= clf.MAX_CHARS
    prediction = model.predict(huge)
    assert prediction.code in clf.category_classes()
    assert 0.0 <= prediction.score <= 1.0


def test_scores_are_probabilities_and_classes_come_from_the_taxonomy(model) -> None:
    """Every prediction carries its taxonomy class and a probability."""
    classes = clf.category_classes()
    for p in model.predict_many(["停车位太少", "快递没地方放", "物业不管事"]):
        assert p.klass == classes[p.code]
        assert 0.0 < p.score <= 1.0


def test_batch_prediction_equals_single_prediction(model) -> None:
    """Predicting a batch gives each text the same result as alone."""
    texts = ["停车位太少", "", "外墙瓷砖掉下来了", "😀"]
    assert model.predict_many(texts) == [model.predict(t) for t in texts]


def test_unknown_category_in_corrections_is_refused() -> None:
    """A correction naming no taxonomy code is an error, not silent training data."""
    with pytest.raises(ValueError):
        clf.train(["停车位太少"], ["parking"], corrections=[("x", "no_such_code")])


def test_correction_changes_the_prediction_after_training(model) -> None:
    """A staff correction is used by the next training and changes that opinion's category."""
    text = "院子里那口老井想修一下"
    before = model.predict(text).code
    target = "leisure_fitness" if before != "leisure_fitness" else "community_space"
    retrained = clf.train_shipped(corrections=[(text, target)])
    assert retrained.predict(text).code == target
    assert retrained.meta["corrections"] == 1


def test_missing_model_file_is_trained_from_the_shipped_set(monkeypatch, tmp_path) -> None:
    """Without a model file, the first use trains from the shipped training part."""
    monkeypatch.setattr(clf, "MODEL_FILE", tmp_path / "absent.joblib")
    clf.set_default(None)
    try:
        assert clf.load() is None
        model = clf.default()
        assert model.meta["rows"] == len(clf.split(clf.shipped_examples())[0])
        assert model.predict("楼道灯坏了").code == "stairwell"
    finally:
        clf.set_default(None)
