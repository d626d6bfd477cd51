"""A query string holds only the parameters its operation declares: any other is ``400``.

A misspelt ``limt=10`` silently ignored gives the client 50 items and no hint why; a
clear error names the parameter. The names are read from the route itself, so a
parameter added to an operation is accepted without touching this list.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

_NAMES = "upnext_query_names"


def _names(dependant: Dependant) -> Iterator[str]:
    for field in dependant.query_params:
        model = field.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query model
            yield from (info.alias or name for name, info in model.model_fields.items())
        else:
            yield field.alias
    for sub in dependant.dependencies:
        yield from _names(sub)


def declared(route: APIRoute) -> frozenset[str]:
    """The query parameter names the route's operation declares, worked out once per route
    and kept on it (routes compare by value, so they cannot key a weak mapping)."""
    names: frozenset[str] | None = getattr(route, _NAMES, None)
    if names is None:
        names = frozenset(_names(route.dependant))
        setattr(route, _NAMES, names)
    return names


def unknown_parameters(request: Request) -> list[str]:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return []
    known = declared(route)
    return [name for name in dict.fromkeys(request.query_params) if name not in known]


async def known_query(request: Request) -> None:
    """Dependency: refuse the request if its query names a parameter nobody declared."""
    unknown = unknown_parameters(request)
    if unknown:
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": "unknown parameter"}
                for name in unknown
            ]
        )
