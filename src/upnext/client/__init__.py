"""The UpNext Python SDK: typed sync and async clients and a playback reporter.

from upnext.client import UpNextClient

with UpNextClient("https://upnext.example.com", "KY...:secret") as client:
    for item in client.iter_session("living-room"):
        print(item.title)
"""

from upnext.client._async_client import AsyncUpNextClient
from upnext.client._client import UpNextClient
from upnext.client._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    UpNextError,
)
from upnext.client._models import (
    App,
    AppDetail,
    Avail,
    Context,
    FieldError,
    Guidelines,
    Handoff,
    Item,
    Key,
    ListItem,
    Media,
    NewKey,
    Page,
    Platform,
    PlatformApp,
    PlatformData,
    PlatformDetail,
    Progress,
    ProgressResult,
    SessionContext,
    SessionItem,
    WebhookAttempt,
    WebhookDelivery,
)
from upnext.client._reporter import AsyncPlaybackReporter, PlaybackReporter

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "App",
    "AppDetail",
    "AsyncPlaybackReporter",
    "AsyncUpNextClient",
    "AuthenticationError",
    "Avail",
    "BadRequestError",
    "ConflictError",
    "Context",
    "FieldError",
    "Guidelines",
    "Handoff",
    "InternalServerError",
    "Item",
    "Key",
    "ListItem",
    "Media",
    "NewKey",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Platform",
    "PlatformApp",
    "PlatformData",
    "PlatformDetail",
    "PlaybackReporter",
    "Progress",
    "ProgressResult",
    "RateLimitError",
    "SessionContext",
    "SessionItem",
    "UnprocessableEntityError",
    "UpNextClient",
    "UpNextError",
    "WebhookAttempt",
    "WebhookDelivery",
]
