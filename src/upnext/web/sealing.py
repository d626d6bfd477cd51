"""Sealed tokens: small JSON values encrypted and authenticated with a server secret.

The portal's session cookie carries the signed-in key's secret, so it must be unreadable
as well as tamper-proof. Encryption is an HMAC-SHA256 keystream (HMAC as a PRF in counter
mode) under a fresh 128-bit nonce, then HMAC-SHA256 over nonce and ciphertext
(encrypt-then-MAC): standard-library primitives only.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from typing import Any

import orjson

_NONCE = 16
_TAG = 32


class Sealer:
    """Seals and opens values with keys derived from one server secret."""

    def __init__(self, secret: str) -> None:
        root = secret.encode()
        self._encryption = hmac.digest(root, b"upnext-portal/encrypt", "sha256")
        self._authentication = hmac.digest(root, b"upnext-portal/authenticate", "sha256")

    def seal(self, value: dict[str, Any]) -> str:
        plain = orjson.dumps(value)
        nonce = secrets.token_bytes(_NONCE)
        cipher = bytes(
            a ^ b for a, b in zip(plain, self._keystream(nonce, len(plain)), strict=True)
        )
        tag = hmac.digest(self._authentication, nonce + cipher, "sha256")
        return base64.urlsafe_b64encode(nonce + cipher + tag).decode().rstrip("=")

    def open(self, token: str) -> dict[str, Any] | None:
        """The sealed value, or ``None`` if the token is malformed, forged or from another key."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) < _NONCE + _TAG:
            return None
        nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
        expected = hmac.digest(self._authentication, nonce + cipher, "sha256")
        if not hmac.compare_digest(tag, expected):
            return None
        plain = bytes(
            a ^ b for a, b in zip(cipher, self._keystream(nonce, len(cipher)), strict=True)
        )
        try:
            value = orjson.loads(plain)
        except orjson.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def sign(self, message: str) -> str:
        """A MAC of ``message`` under the server secret, as hex (for CSRF tokens)."""
        return hmac.digest(self._authentication, b"sign:" + message.encode(), "sha256").hex()

    def _keystream(self, nonce: bytes, length: int) -> bytes:
        blocks = (length + 31) // 32
        return b"".join(
            hmac.digest(self._encryption, nonce + i.to_bytes(4, "big"), "sha256")
            for i in range(blocks)
        )[:length]
