"""Secrets and signatures that any Standard Webhooks library verifies."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from upnext.webhooks import signing


def test_secret_shape() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert signing.new_secret() != secret


def test_signature_verifies_and_binds_id_timestamp_and_body() -> None:
    secret, body, now = signing.new_secret(), '{"type":"item_hidden"}', int(time.time())
    headers = signing.headers([secret], "msg_1", now, body)
    assert Webhook(secret).verify(body, headers) == {"type": "item_hidden"}
    for tampered in (
        {**headers, "webhook-id": "msg_2"},
        {**headers, "webhook-timestamp": str(now - 1)},
    ):
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(body, tampered)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("hidden", "unhidden"), headers)


def test_one_signature_per_secret_during_rotation() -> None:
    new, old, body, now = signing.new_secret(), signing.new_secret(), "{}", int(time.time())
    headers = signing.headers([new, old], "msg_1", now, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)
