"""Wire format of the webhook endpoints and of the events themselves."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

DeliveryStatus = Literal["pending", "delivered", "failed"]


class SecretOut(BaseModel):
    """A new signing secret, shown only in this response."""

    secret: str = Field(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])


class AttemptOut(BaseModel):
    """One HTTP call to the receiver. ``status_code`` is absent when none came back
    (timeout, refused connection or address); ``error`` says why it failed."""

    attempted_at: str
    status_code: int | None = None
    latency_ms: int | None = None
    error: str | None = None


class DeliveryOut(BaseModel):
    """One event on its way to the app's endpoint, with every attempt so far."""

    delivery_id: str = Field(examples=["msg_5b0c2c1e4f6a4b7d9e2f1a3b5c7d9e0f"])
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    event_type: str = Field(examples=["item_hidden"])
    status: DeliveryStatus
    created_at: str
    updated_at: str
    next_attempt_at: str | None = Field(
        None, description="When the next attempt is due; only while pending."
    )
    payload: dict[str, Any] = Field(description="The JSON body sent to the endpoint.")
    attempts: list[AttemptOut]
