"""The base of every request model: strict types, unknown fields refused."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator


def _wants_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_wants_int(arg) for arg in get_args(annotation))
    return False


class RequestModel(BaseModel):
    """A request body: JSON types are taken as they are (``"12"`` is not a number) and a
    field the API does not know is an error rather than silently dropped."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _integral_numbers(cls, data: Any) -> Any:
        # JSON has one number type: 3.0 is the integer 3, as JSON Schema says too. Only a
        # number with a fraction is refused where an integer is due; strings still are.
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            name: int(value)
            if isinstance(value, float)
            and value.is_integer()
            and name in fields
            and _wants_int(fields[name].annotation)
            else value
            for name, value in data.items()
        }
