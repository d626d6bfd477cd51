"""String types for request bodies that every database can store as given."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


_WHITESPACE = re.compile(r"\s")  # for str patterns, exactly what str.isspace() is true of


def _absolute_http_uri(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError("must be an absolute http or https URI") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http or https URI")
    if _WHITESPACE.search(value):
        raise ValueError("must not contain whitespace")
    return value


class _Storable:
    """``_storable`` as a validator that the OpenAPI schema states too (no NUL)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(_storable, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("pattern", "^[^\\x00]*$")
        return json_schema


Storable = _Storable()
"""Refuses text that a database could not store exactly as given."""

# The rules of _absolute_http_uri as a pattern, so that the OpenAPI schema states them too.
HTTP_URI_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://([^\s\x00-\x1f\x7f/?#@]*@)?"
    r"[^\s\x00-\x1f\x7f/?#@:\[\]]+(:[0-9]*)?([/?#][^\s\x00-\x1f\x7f]*)?$"
)

HttpUri = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2048, pattern=HTTP_URI_PATTERN),
    Storable,
    AfterValidator(_absolute_http_uri),
]
"""An absolute ``http``/``https`` URI of at most 2048 characters, kept as written."""

Name = Annotated[
    str,
    # The pattern says what stripping leaves: at least one visible character.
    StringConstraints(
        min_length=1,
        max_length=200,
        strip_whitespace=True,
        pattern=r"^[^\x00]*[^\s\x00-\x1f][^\x00]*$",
    ),
    Storable,
]
"""A display name of an app or platform."""

# Schemes that run code or read local data where a player opens a link: never a playback link.
UNSAFE_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about"})
APP_URI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]+$"


def _app_uri(value: str) -> str:
    scheme = value.partition(":")[0].lower()
    if scheme in UNSAFE_SCHEMES:
        raise ValueError(f"the scheme {scheme!r} is not allowed")
    if scheme in ("http", "https"):
        return _absolute_http_uri(value)
    return value


AppUri = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2048, pattern=APP_URI_PATTERN),
    Storable,
    AfterValidator(_app_uri),
]
"""An absolute URI of at most 2048 characters whose scheme may be an app's own
(``flix://play/42``); never ``javascript``, ``data``, ``file``, ``vbscript`` or ``about``."""
