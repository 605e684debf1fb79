"""Opinion categories in the reader's language (docs/needs.md)."""

from __future__ import annotations

from django.utils import translation

from xiaoqu.needs import classifier as clf
from xiaoqu.needs.categories import NAMES, category_labels


def test_the_catalogue_list_is_the_taxonomy():
    assert list(NAMES) == list(clf.category_names().values())


def test_every_category_has_an_english_name():
    with translation.override("en"):
        labels = category_labels()
    untranslated = [
        name for name in labels.values() if any("\u4e00" <= ch <= "\u9fff" for ch in name)
    ]
    assert untranslated == []
    assert labels["water_supply"] != clf.category_names()["water_supply"]
    with translation.override("zh-hans"):
        assert category_labels() == clf.category_names()
