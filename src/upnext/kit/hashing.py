"""Hashing and constant-time checking of server-generated secrets.

The secrets carry at least 128 bits of randomness, so a single SHA-256 is as strong as a
slow password hash here and keeps authentication cheap on every request.
"""

from __future__ import annotations

import hashlib
import hmac


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
