"""The Art. 278 rules engine: thresholds, boundaries, counting owners, and its laws."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoqu.decisions.rules_engine import (
    Ballot,
    InputError,
    Unit,
    evaluate,
    evaluate_document,
    parse_units,
)


def units(*areas: str, status: str = "owned") -> list[Unit]:
    """One unit per area, each with its own owner o1, o2, …"""
    return [Unit(f"u{i}", Decimal(a), f"o{i}", status) for i, a in enumerate(areas, start=1)]


def ballots(*choices: str) -> list[Ballot]:
    return [Ballot(f"o{i}", c) for i, c in enumerate(choices, start=1)]


def test_quorum_of_exactly_two_thirds_is_met():
    """2 of 3 owners holding exactly 2/3 of the area: "以上" includes the number itself."""
    result = evaluate(1, units("100", "100", "100"), ballots("agree", "agree"))
    assert result.quorum_met and result.passed


def test_quorum_just_under_two_thirds_of_area_fails():
    result = evaluate(1, units("100", "100", "100.01"), ballots("agree", "agree"))
    assert not result.quorum_met and not result.passed


def test_quorum_needs_owners_as_well_as_area():
    """Half the owners holding 90 % of the area are not a quorum."""
    result = evaluate(1, units("900", "50", "50"), ballots("agree"))
    assert not result.quorum_met


def test_special_matter_passes_with_exactly_three_quarters():
    """3 of 4 participating owners with exactly 3/4 of the participating area agree."""
    result = evaluate(
        7, units("10", "10", "10", "10"), ballots("agree", "agree", "agree", "disagree")
    )
    assert result.consent_class == "special" and result.passed


def test_special_matter_fails_just_under_three_quarters_of_area():
    result = evaluate(
        7, units("10", "10", "10", "10.01"), ballots("agree", "agree", "agree", "disagree")
    )
    assert not result.passed


def test_ordinary_matter_needs_strictly_more_than_half():
    """Exactly half agreeing is not "过半数"."""
    result = evaluate(
        4, units("10", "10", "10", "10"), ballots("agree", "agree", "disagree", "abstain")
    )
    assert result.consent_class == "ordinary" and result.quorum_met and not result.passed
    result = evaluate(4, units("10", "10", "10"), ballots("agree", "agree", "disagree"))
    assert result.passed


def test_abstentions_take_part_but_do_not_agree():
    """Abstaining counts for the quorum and in the denominator of consent."""
    result = evaluate(6, units("10", "10", "10"), ballots("agree", "agree", "abstain"))
    assert result.participating.owners == 3 and result.agreeing.owners == 2
    assert result.quorum_met and not result.passed  # 2/3 < 3/4


@pytest.mark.parametrize("matter", [6, 7, 8])
def test_items_six_to_eight_are_special(matter):
    assert evaluate(matter, units("1"), ballots("agree")).consent_class == "special"


@pytest.mark.parametrize("matter", [1, 2, 3, 4, 5, 9])
def test_other_items_are_ordinary(matter):
    assert evaluate(matter, units("1"), ballots("agree")).consent_class == "ordinary"


def test_unsold_and_undelivered_units_are_one_developer_owner():
    """Every unsold or undelivered unit belongs to "developer", whatever its owner field."""
    rows = [
        {"id": "1", "area": "50", "owner": "a", "status": "owned"},
        {"id": "2", "area": "60", "owner": "someone", "status": "unsold"},
        {"id": "3", "area": "70", "owner": "", "status": "undelivered"},
    ]
    parsed = parse_units(rows)
    assert [u.owner for u in parsed] == ["a", "developer", "developer"]
    result = evaluate(1, parsed, [Ballot("developer", "agree"), Ballot("a", "agree")])
    assert result.total.owners == 2 and result.total.area == Decimal("180")
    assert result.agreeing.area == Decimal("180")


def test_an_owner_of_several_units_votes_once_with_all_their_area():
    parsed = [
        Unit("101", Decimal("80"), "wang", "owned"),
        Unit("102", Decimal("70"), "wang", "owned"),
        Unit("201", Decimal("90"), "li", "owned"),
    ]
    result = evaluate(1, parsed, [Ballot("wang", "agree")])
    assert result.total.owners == 2
    assert result.participating.area == Decimal("150")


def test_elevator_vote_counts_only_the_entrance_in_scope():
    """An elevator vote is per entrance: owners elsewhere are not in the electorate."""
    entrance = units("60", "60", "60", "60", "60", "60")
    result = evaluate(7, entrance, ballots("agree", "agree", "agree", "agree", "agree", "disagree"))
    assert result.total.owners == 6 and result.passed
    with pytest.raises(InputError, match="没有专有部分"):
        evaluate(7, entrance, [Ballot("o9", "agree")])


def test_second_ballot_of_the_same_owner_is_an_input_error():
    with pytest.raises(InputError, match="第二张票"):
        evaluate(1, units("1", "1"), [Ballot("o1", "agree"), Ballot("o1", "disagree")])


def test_nobody_voting_never_passes():
    result = evaluate(7, units("1", "1"), [])
    assert not result.passed and not result.quorum_met


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"matter": 10, "units": []}, "matter"),
        ({"matter": True, "units": []}, "matter"),
        (
            {"matter": 1, "units": [{"id": "1", "area": "-1", "owner": "a", "status": "owned"}]},
            "负数",
        ),
        (
            {"matter": 1, "units": [{"id": "1", "area": "abc", "owner": "a", "status": "owned"}]},
            "不是数字",
        ),
        (
            {"matter": 1, "units": [{"id": "1", "area": "1", "owner": "a", "status": "rented"}]},
            "status",
        ),
        ({"matter": 1, "units": [{"id": "1", "area": "1", "status": "owned"}]}, "owner"),
        ({"matter": 1, "units": []}, "没有任何专有部分"),
        ({"matter": 1, "units": {"id": "1"}}, "units"),
        ([], "JSON 对象"),
    ],
)
def test_bad_input_gets_a_clear_message(document, message):
    with pytest.raises(InputError, match=message):
        evaluate_document(document)


def test_reasons_say_which_threshold_was_missed_and_by_how_much():
    result = evaluate(
        7, units("10", "10", "10", "10"), ballots("agree", "agree", "disagree", "disagree")
    )
    text = "\n".join(result.reasons)
    assert "同意的业主 2 人" in text and "还差 1 人" in text
    assert "还差 10.00 m²" in text  # 3/4 of 40 m² is 30 m², 20 agreed


# --- laws (hypothesis) -----------------------------------------------------------------------

areas = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
choice = st.sampled_from(["agree", "disagree", "abstain", None])  # None: did not vote


@st.composite
def votes(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    unit_areas = draw(st.lists(areas, min_size=n, max_size=n))
    choices = draw(st.lists(choice, min_size=n, max_size=n))
    matter = draw(st.integers(min_value=1, max_value=9))
    parsed = [Unit(f"u{i}", a, f"o{i}", "owned") for i, a in enumerate(unit_areas)]
    cast = [Ballot(f"o{i}", c) for i, c in enumerate(choices) if c is not None]
    return matter, parsed, cast


@settings(max_examples=300, deadline=None)
@given(votes(), st.data())
def test_adding_an_agreeing_ballot_never_turns_a_pass_into_a_fail(vote, data):
    matter, parsed, cast = vote
    voted = {b.owner for b in cast}
    silent = [u.owner for u in parsed if u.owner not in voted]
    if not silent:
        return
    before = evaluate(matter, parsed, cast)
    owner = data.draw(st.sampled_from(silent))
    after = evaluate(matter, parsed, [*cast, Ballot(owner, "agree")])
    assert not (before.passed and not after.passed)


@settings(max_examples=300, deadline=None)
@given(votes(), st.data())
def test_quorum_does_not_depend_on_the_choices(vote, data):
    matter, parsed, cast = vote
    other = [
        Ballot(b.owner, data.draw(st.sampled_from(["agree", "disagree", "abstain"]))) for b in cast
    ]
    assert evaluate(matter, parsed, cast).quorum_met == evaluate(matter, parsed, other).quorum_met


@settings(max_examples=300, deadline=None)
@given(votes(), st.data())
def test_splitting_an_owners_area_across_units_changes_nothing(vote, data):
    matter, parsed, cast = vote
    i = data.draw(st.integers(min_value=0, max_value=len(parsed) - 1))
    unit = parsed[i]
    cut = data.draw(st.decimals(min_value=Decimal(0), max_value=unit.area, places=2))
    split = [
        *parsed[:i],
        Unit(unit.id + "a", cut, unit.owner, "owned"),
        Unit(unit.id + "b", unit.area - cut, unit.owner, "owned"),
        *parsed[i + 1 :],
    ]
    assert evaluate(matter, parsed, cast).as_dict() == evaluate(matter, split, cast).as_dict()
