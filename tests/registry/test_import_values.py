"""The import's fast value checks agree with the reference rules they stand in for."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoqu.core.pii import id_check_digit, id_number_is_valid
from xiaoqu.registry.importing import values as v

digits17 = st.text(alphabet="0123456789", min_size=17, max_size=17)
last = st.sampled_from("0123456789X")


@given(digits17, last)
def test_id_number_check_agrees_with_the_gb11643_rule(first17, check):
    """Any 18-character candidate is accepted by the import exactly when pii accepts it."""
    number = first17 + check
    if id_number_is_valid(number):
        assert v.id_number(number) == number
    else:
        with pytest.raises(v.Bad):
            v.id_number(number)


@given(digits17)
def test_id_number_with_its_right_check_digit_is_accepted_in_lower_case_too(first17):
    """A valid number passes whatever the case of a final x."""
    number = first17 + id_check_digit(first17)
    assert v.id_number(number.lower()) == number


def test_a_decimal_longer_than_a_decimal_holds_is_too_large_not_a_crash():
    """1e30 with two places has more digits than Python's decimals hold: 数值过大."""
    with pytest.raises(v.Bad, match="数值过大"):
        v.decimal("1e30", 2, 10)
    with pytest.raises(v.Bad, match="数值过大"):
        v.decimal("1" * 40, 4, 5)
