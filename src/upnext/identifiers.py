"""The contract's id rules (CONTRACT 2) as path parameters and as body fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, StringConstraints

from upnext.kit.ids import CLIENT_ID_PATTERN


def _not(reserved: str) -> AfterValidator:
    # These words are path segments of other endpoints, so they cannot name an object.
    def check(value: str) -> str:
        if value == reserved:
            raise ValueError(f"{reserved!r} is reserved and cannot be used as this id")
        return value

    return AfterValidator(check)


_path = Path(pattern=CLIENT_ID_PATTERN, description="1-128 of A-Z a-z 0-9 . _ ~ : @ -")
_body = StringConstraints(pattern=CLIENT_ID_PATTERN)

SessionId = Annotated[str, _path]
ContextId = Annotated[str, _path, _not("contexts")]
ContentId = Annotated[str, _path, _not("sessions")]
ServerId = Annotated[str, Path(max_length=64)]
"""A server-minted id (``PL``/``AP``/``KY`` + 18 digits) in a path; unknown ones are 404."""

ClientIdField = Annotated[str, _body]
ContextIdField = Annotated[str, _body, _not("contexts")]
ContentIdField = Annotated[str, _body, _not("sessions")]
