"""The base of every request model: strict types, unknown fields refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    """A request body: JSON types are taken as they are (``"12"`` is not a number) and a
    field the API does not know is an error rather than silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True)
