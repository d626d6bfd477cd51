"""String types for request bodies that every database can store as given."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _absolute_http_uri(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError("must be an absolute http or https URI") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http or https URI")
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain whitespace")
    return value


Storable = AfterValidator(_storable)
"""Refuses text that a database could not store exactly as given."""

# The rules of _absolute_http_uri as a pattern, so that the OpenAPI schema states them too.
HTTP_URI_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://([^\s\x1c-\x1f/?#@]*@)?"
    r"[^\s\x1c-\x1f/?#@:\[\]]+(:[0-9]*)?([/?#][^\s\x1c-\x1f]*)?$"
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
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    Storable,
]
"""A display name of an app or platform."""
