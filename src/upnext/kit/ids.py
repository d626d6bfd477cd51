"""Identifiers: time-ordered server ids, unguessable tokens and the client id alphabet."""

from __future__ import annotations

import re
import secrets
import threading
import time

# Server ids are PREFIX + 18 digits: milliseconds since EPOCH_MS shifted left by 20 bits,
# plus 20 random-then-counting bits, zero padded. That stays below 10**18 until ~2054.
EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_SHIFT = 20
_lock = threading.Lock()
_last = 0

CLIENT_ID_PATTERN = r"^[A-Za-z0-9._~:@-]{1,128}$"
_client_id = re.compile(CLIENT_ID_PATTERN)


def _next_number() -> int:
    global _last
    with _lock:
        now = int(time.time() * 1000) - EPOCH_MS
        candidate = (now << _SHIFT) | secrets.randbits(_SHIFT)
        _last = max(candidate, _last + 1)
        return _last


def mint(prefix: str) -> str:
    """A new time-ordered id such as ``AP463772054442217472``."""
    return f"{prefix}{_next_number():018d}"


def token(nbytes: int = 24) -> str:
    """A URL-safe random secret with ``8 * nbytes`` bits of entropy."""
    return secrets.token_urlsafe(nbytes)


def is_client_id(value: str) -> bool:
    """Whether ``value`` is 1-128 characters of ``A-Z a-z 0-9 . _ ~ : @ -``."""
    return _client_id.fullmatch(value) is not None
