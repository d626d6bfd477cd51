"""Standard Webhooks secrets and signatures (https://www.standardwebhooks.com)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)
SECRET_BYTES = 32


def new_message_id() -> str:
    """A Standard Webhooks message id (a delivery's id): ``msg_`` and 128 random bits."""
    return f"msg_{secrets.token_hex(16)}"


def new_secret() -> str:
    """``whsec_`` and the base64 of 256 random bits."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_header(keys: Iterable[str], message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,...`` per key, space-separated, so a
    receiver holding either the old or the new secret verifies during a rotation."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return " ".join(Webhook(key).sign(message_id, moment, body) for key in keys)


def headers(keys: Iterable[str], message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(keys, message_id, timestamp, body),
    }
