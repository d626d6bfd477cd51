"""Checking form input with the API's own Pydantic models, so both refuse the same values."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from upnext.kit.problems import FieldError, Invalid

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _invalid(error: ValidationError, prefix: str = "") -> Invalid:
    fields = [
        FieldError(".".join(str(p) for p in e["loc"]) or prefix or "value", e["msg"])
        for e in error.errors()
    ]
    return Invalid("The form has invalid values.", errors=fields)


def parse(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _invalid(error) from None


def parse_as(adapter: TypeAdapter[T], data: Any, name: str) -> T:
    try:
        return adapter.validate_python(data, strict=True)
    except ValidationError as error:
        raise _invalid(error, name) from None
