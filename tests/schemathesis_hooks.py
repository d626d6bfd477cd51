"""Schemathesis hooks for tests/test_conformance.py (loaded by ``SCHEMATHESIS_HOOKS``).

A client mints a fresh ``Idempotency-Key`` for each distinct request; schemathesis draws
the header like any other string, so the same few values recur across operations and
bodies. The server rightly answers such a reuse ``422 idempotency_key_reused``, which is
not "valid data rejected": this hook gives every request that carries a valid key a fresh
one, as a correct client would, and leaves the invalid keys negative cases test untouched.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation

HEADER = "Idempotency-Key"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers
    if not headers or HEADER not in headers:
        return
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return
    headers[HEADER] = uuid.uuid4().hex
