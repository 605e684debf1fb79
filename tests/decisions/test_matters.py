"""The nine Art. 278 matters in the reader's language on pages; the rules engine keeps its
Chinese names (a result's explanation lines, `xiaoqu vote evaluate`)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from tests.factories import make_estate, make_open_vote, make_owner, make_user
from xiaoqu.decisions.forms import VoteForm
from xiaoqu.decisions.matters import NAMES, matter_name
from xiaoqu.decisions.models import Vote
from xiaoqu.decisions.rules_engine import MATTERS

pytestmark = pytest.mark.django_db

ALTERATION = MATTERS[7]
ENGLISH = "Alter or rebuild buildings and their ancillary facilities"


@pytest.fixture
def english_alteration(monkeypatch):
    """The English catalogue as it will be filled, for matter 7 only (undone afterwards)."""
    catalogue = trans_real.translation("en")._catalog
    monkeypatch.setitem(catalogue._catalogs[0], ALTERATION, ENGLISH)


def test_the_catalogue_list_is_the_engines():
    """The translation catalogue finds the names listed for it; they are the engine's."""
    assert tuple(MATTERS.values()) == NAMES


def test_a_matter_shows_in_the_readers_language(english_alteration):
    vote = Vote(matter=7)
    assert vote.get_matter_display() == f"7. {ALTERATION}"
    with translation.override("en"):
        assert vote.get_matter_display() == f"7. {ENGLISH}"
        assert matter_name(7) == ENGLISH
        assert (7, f"7. {ENGLISH}") in [(k, str(v)) for k, v in VoteForm().fields["matter"].choices]
    assert MATTERS[7] == ALTERATION  # the engine's name does not change


def test_the_vote_page_in_english_names_the_matter_in_english(client, english_alteration):
    estate = make_estate(name="表决小区", floors=2, per_floor=2)
    for i, dwelling in enumerate(estate.dwellings.order_by("pk")):
        make_owner(dwelling, f"业主{i}")
    staff = make_user("community_staff", region=estate.community)
    vote = make_open_vote(estate, staff)
    client.force_login(staff)
    url = reverse("decisions:vote_detail", kwargs={"vote_id": vote.pk})
    assert ALTERATION in client.get(url).content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert ENGLISH in page and ALTERATION not in page
