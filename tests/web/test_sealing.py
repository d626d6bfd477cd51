"""Sealed cookie values: unreadable, tamper-evident, bound to the server secret."""

from __future__ import annotations

import base64

from upnext.web.sealing import Sealer


def test_a_sealed_value_opens_only_with_the_same_secret() -> None:
    value = {"k": "KY1", "s": "the-secret-value", "t": 1}
    token = Sealer("one").seal(value)
    assert Sealer("one").open(token) == value
    assert Sealer("two").open(token) is None
    assert b"the-secret-value" not in _raw(token)


def test_sealing_twice_gives_different_tokens() -> None:
    sealer = Sealer("one")
    assert sealer.seal({"a": 1}) != sealer.seal({"a": 1})


def _raw(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_any_change_to_a_token_is_refused() -> None:
    sealer = Sealer("one")
    raw = _raw(sealer.seal({"k": "KY1"}))
    for i in range(len(raw)):
        flipped = raw[:i] + bytes([raw[i] ^ 1]) + raw[i + 1 :]
        assert sealer.open(_token(flipped)) is None, i
    for junk in ("", "x", "!!!", _token(raw[:40])):
        assert sealer.open(junk) is None
