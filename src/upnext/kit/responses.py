"""JSON responses serialized once with orjson, bypassing response-model validation.

The service renders data it stored and validated itself; validating it again on the way
out would only cost time. Response models still document every body in OpenAPI.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(content: Any, status_code: int = 200) -> JSON:
    return JSON(content, status_code=status_code)


def no_content() -> Response:
    return Response(status_code=204)


SUCCESS = {"message": "Success"}
