"""Personal information: ID numbers checked and hashed, phones and IDs masked."""

import hashlib
import hmac
import random

import pytest

from xiaoqu.core.pii import (
    IdNumberHasher,
    hash_id_number,
    id_check_digit,
    id_number_is_valid,
    mask_id_last4,
    mask_name,
    mask_phone,
    normalize_phone,
    phone_is_valid,
)


def test_valid_id_number_passes_the_gb11643_check_digit():
    """An 18-character ID number is valid only with the right check digit."""
    first17 = "52010319800101123"
    good = first17 + id_check_digit(first17)
    bad = first17 + ("0" if good[-1] != "0" else "1")
    assert id_number_is_valid(good)
    assert not id_number_is_valid(bad)
    assert not id_number_is_valid("5201031980")


def test_the_check_digit_is_the_weighted_sum_of_gb11643():
    """The fast check character equals the standard's definition: the digits weighted by
    7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum mod 11 indexing 1 0 X 9 8 7 6 5 4 3 2."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    rng = random.Random(11643)
    for _ in range(2000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
        assert id_check_digit(first17) == "10X98765432"[total % 11]
    assert id_check_digit("11010519491231002") == "X"  # the standard's own example


@pytest.mark.parametrize("key", ["", "k", "x" * 64, "密钥" * 40])
def test_the_import_s_hasher_gives_hash_id_number_s_hash(key):
    """The register import's hasher (key blocks hashed once) is HMAC-SHA256 all the same,
    for keys shorter than, as long as and longer than SHA-256's block."""
    hasher = IdNumberHasher(key)
    rng = random.Random(2104)
    for _ in range(200):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        number = first17 + id_check_digit(first17)
        assert hasher(number) == hash_id_number(number, key=key)


def test_id_hash_is_keyed_and_ignores_case_and_spaces():
    """The same number hashes the same whatever its spacing; another key gives another hash."""
    number = "52010319800101123X"
    assert hash_id_number(number, key="k") == hash_id_number(" 52010319800101123x ", key="k")
    assert hash_id_number(number, key="k") != hash_id_number(number, key="other")
    assert number.encode() not in hash_id_number(number, key="k")


def test_id_hash_is_the_first_16_bytes_of_hmac_sha256():
    """What is stored is HMAC-SHA256 (RFC 2104) cut to 128 bits: the first 32 hexadecimal
    characters of the digest stored before the change, which the migration keeps."""
    digest = hmac.new(b"k", b"52010319800101123X", hashlib.sha256).digest()
    assert hash_id_number("52010319800101123X", key="k") == digest[:16]


@pytest.mark.parametrize(
    ("raw", "masked"), [("13812341234", "138****1234"), ("", ""), ("123", "***")]
)
def test_phone_masking_keeps_the_first_three_and_last_four_digits(raw, masked):
    """Phones are shown as 138****1234."""
    assert mask_phone(raw) == masked


def test_id_mask_shows_only_the_last_four_characters():
    """An ID number is shown as asterisks and its last four characters."""
    assert mask_id_last4("123X").endswith("123X")
    assert set(mask_id_last4("123X")[:-4]) == {"*"}


def test_name_masking_keeps_the_surname():
    """张三丰 becomes 张**."""
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"


def test_phone_normalisation_drops_the_country_code_and_separators():
    """+86 138-1234-1234 is the same number as 13812341234."""
    assert normalize_phone("+86 138-1234-1234") == "13812341234"
    assert phone_is_valid("+8613812341234")
    assert not phone_is_valid("12812341234")
