"""The ballot hash chain (pure: no Django).

``link`` is what each ballot's hash covers: the previous hash, the owner's pseudonym, the
choice, the channel, the time (UTC, microseconds), the sequence number and a random nonce. The
nonce keeps a receipt from revealing the choice: without it, anyone holding a receipt and the
other fields could try the three choices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac


def genesis(vote_id: int, salt: str) -> str:
    """The hash before a vote's first ballot."""
    return hashlib.sha256(f"xiaoqu-vote|{vote_id}|{salt}".encode()).hexdigest()


def pseudonym(salt: str, owner_key: str) -> str:
    """A per-vote pseudonym of an owner: the same owner differs between votes."""
    return hmac.new(salt.encode(), owner_key.encode(), hashlib.sha256).hexdigest()[:32]


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link(
    *,
    prev_hash: str,
    pseudonym: str,
    choice: str,
    channel: str,
    cast_at: dt.datetime,
    seq: int,
    nonce: str,
) -> str:
    payload = "|".join((prev_hash, pseudonym, choice, channel, timestamp(cast_at), str(seq), nonce))
    return hashlib.sha256(payload.encode()).hexdigest()


def receipt(hash_: str) -> str:
    """The code an owner keeps: 12 hex digits of the ballot's hash, in groups of four."""
    code = hash_[:12].upper()
    return f"{code[:4]}-{code[4:8]}-{code[8:12]}"


def normalise_receipt(text: str) -> str:
    """A receipt as typed by a person (spaces, lower case, no dashes) in its stored form."""
    digits = "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")
    return receipt(digits.lower()) if len(digits) == 12 else ""
