"""Secrets handed to machines once — API tokens, Open311 keys, access devices' keys — and
the digests under which they are stored (the secret itself never is)."""

from __future__ import annotations

import hashlib
import secrets


def key_digest(raw: str) -> str:
    """The SHA-256 digest under which a key is stored and looked up."""
    return hashlib.sha256(raw.encode()).hexdigest()


def key_new(prefix: str) -> tuple[str, str]:
    """A new random key starting with ``prefix`` (which tells what it is for), and its digest."""
    raw = prefix + secrets.token_urlsafe(32)
    return raw, key_digest(raw)
