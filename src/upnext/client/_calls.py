"""Every endpoint as a ``Call``: what to send and how to read the answer.

The sync and async clients only differ in how they send; both build their requests here,
so a path or a field is written once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from upnext.client._models import (
    App,
    AppDetail,
    Avail,
    Context,
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
    PlatformDataValue,
    PlatformDetail,
    Progress,
    ProgressResult,
    SessionContext,
    SessionItem,
    WebhookDelivery,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the parser of its successful response."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    json: Any = None
    params: Mapping[str, Any] | None = None
    content: bytes | None = None
    headers: Mapping[str, str] | None = None

    @property
    def idempotent(self) -> bool:
        """Safe to send twice as it is: GET, PUT and DELETE."""
        return self.method in IDEMPOTENT

    def headers_for_attempts(self) -> dict[str, str]:
        """Headers shared by every attempt of this call.

        A POST or PATCH carries a fresh ``Idempotency-Key`` (docs/extensions.md): a retry
        with the same key is answered from the first attempt instead of running twice, so
        these calls can be retried as safely as a PUT.
        """
        headers = dict(self.headers or {})
        if not self.idempotent:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return headers


def _seg(value: str) -> str:
    return quote(value, safe="")


def _model(cls: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: cls.model_validate_json(response.content)


def _nothing(response: httpx.Response) -> None:
    return None


def _page(cls: type[M]) -> Callable[[httpx.Response], Page[M]]:
    return lambda response: Page[cls].model_validate_json(response.content)  # type: ignore[valid-type]


def _shaping(per_series: bool, per_app_limit: int | None) -> dict[str, Any]:
    return {"per_series": 1 if per_series else None, "per_app_limit": per_app_limit}


def _paging(limit: int | None, next_key: int | None, **more: Any) -> dict[str, Any]:
    params = {"limit": limit, "next_key": next_key, **more}
    return {name: value for name, value in params.items() if value is not None}


def _body(value: BaseModel | Mapping[str, Any], cls: type[BaseModel]) -> dict[str, Any]:
    model = value if isinstance(value, cls) else cls.model_validate(value)
    return model.model_dump(mode="json", exclude_none=True)


# contexts (publisher)

CONTEXTS = "/v1/contexts/upnext"


def create_context() -> Call[Context]:
    return Call("POST", CONTEXTS, _model(Context))


def _applied(response: httpx.Response) -> bool:
    return response.json().get("ignored") is None


def _stale(response: httpx.Response) -> list[str]:
    return [str(content_id) for content_id in response.json().get("stale", [])]


def put_item(context_id: str, item: Item | Mapping[str, Any]) -> Call[bool]:
    return Call("PUT", f"{CONTEXTS}/{_seg(context_id)}", _applied, json=_body(item, Item))


def replace_items(context_id: str, items: Sequence[Item | Mapping[str, Any]]) -> Call[list[str]]:
    body = {"items": [_body(item, Item) for item in items]}
    return Call("PUT", f"{CONTEXTS}/{_seg(context_id)}/items", _stale, json=body)


def batch_items(
    context_id: str, upsert: Sequence[Item | Mapping[str, Any]], delete: Sequence[str]
) -> Call[list[str]]:
    body = {"upsert": [_body(item, Item) for item in upsert], "delete": list(delete)}
    return Call("POST", f"{CONTEXTS}/{_seg(context_id)}/items:batch", _stale, json=body)


def erase_context(context_id: str) -> Call[None]:
    return Call("DELETE", f"{CONTEXTS}/{_seg(context_id)}", _nothing)


def delete_item(context_id: str, content_id: str) -> Call[None]:
    return Call("DELETE", f"{CONTEXTS}/{_seg(context_id)}/{_seg(content_id)}", _nothing)


def get_context(
    context_id: str, limit: int | None = None, next_key: int | None = None
) -> Call[Page[ListItem]]:
    path = f"{CONTEXTS}/{_seg(context_id)}"
    return Call("GET", path, _page(ListItem), params=_paging(limit, next_key))


def remove_context_from_sessions(context_id: str) -> Call[None]:
    return Call("DELETE", f"{CONTEXTS}/{_seg(context_id)}/sessions", _nothing)


def report_progress(
    context_id: str, progress: Progress | Mapping[str, Any]
) -> Call[ProgressResult]:
    path = f"{CONTEXTS}/{_seg(context_id)}/progress"
    return Call("POST", path, _model(ProgressResult), json=_body(progress, Progress))


def create_handoff(context_id: str, platform_id: str | None) -> Call[Handoff]:
    path = f"{CONTEXTS}/{_seg(context_id)}/handoffs"
    body = {"platform_id": platform_id} if platform_id is not None else None
    return Call("POST", path, _model(Handoff), json=body)


# sessions (platform)

SESSIONS = "/v1/sessions/upnext"


def attach_context(session_id: str, app_id: str, context_id: str) -> Call[SessionContext]:
    body = {"app_id": app_id, "context_id": context_id}
    return Call("PUT", f"{SESSIONS}/{_seg(session_id)}", _model(SessionContext), json=body)


def attach_with_handoff(session_id: str, handoff_token: str) -> Call[SessionContext]:
    body = {"handoff_token": handoff_token}
    return Call("PUT", f"{SESSIONS}/{_seg(session_id)}", _model(SessionContext), json=body)


def detach_context(session_id: str, context_id: str) -> Call[None]:
    return Call("DELETE", f"{SESSIONS}/{_seg(session_id)}/{_seg(context_id)}", _nothing)


def get_session(
    session_id: str,
    limit: int | None = None,
    next_key: int | None = None,
    platform_id: str | None = None,
    per_series: bool = False,
    per_app_limit: int | None = None,
) -> Call[Page[SessionItem]]:
    shaping = _shaping(per_series, per_app_limit)
    params = _paging(limit, next_key, platform_id=platform_id, **shaping)
    return Call("GET", f"{SESSIONS}/{_seg(session_id)}", _page(SessionItem), params=params)


def get_session_context(
    session_id: str,
    context_id: str,
    limit: int | None = None,
    next_key: int | None = None,
    platform_id: str | None = None,
    per_series: bool = False,
    per_app_limit: int | None = None,
) -> Call[Page[SessionItem]]:
    path = f"{SESSIONS}/{_seg(session_id)}/{_seg(context_id)}"
    shaping = _shaping(per_series, per_app_limit)
    params = _paging(limit, next_key, platform_id=platform_id, **shaping)
    return Call("GET", path, _page(SessionItem), params=params)


def list_session_contexts(
    session_id: str,
    limit: int | None = None,
    next_key: int | None = None,
    platform_id: str | None = None,
) -> Call[Page[SessionContext]]:
    path = f"{SESSIONS}/{_seg(session_id)}/contexts"
    params = _paging(limit, next_key, platform_id=platform_id)
    return Call("GET", path, _page(SessionContext), params=params)


def set_hidden(
    session_id: str,
    context_id: str,
    content_id: str,
    hidden: bool,
    *,
    series: bool = False,
    until: str | None = None,
) -> Call[None]:
    path = f"{SESSIONS}/{_seg(session_id)}/{_seg(context_id)}"
    body: dict[str, Any] = {"content_id": content_id, "action": "hide" if hidden else "unhide"}
    if series:
        body["scope"] = "series"
    if until is not None:
        body["until"] = until
    return Call("PUT", path, _nothing, json=body)


def delete_session(session_id: str) -> Call[None]:
    return Call("DELETE", f"{SESSIONS}/{_seg(session_id)}", _nothing)


# admin

ADMIN = "/v1/admin"


def create_platform(name: str) -> Call[Platform]:
    return Call("POST", f"{ADMIN}/platforms", _model(Platform), json={"name": name})


def list_platforms(limit: int | None = None, next_key: int | None = None) -> Call[Page[Platform]]:
    return Call("GET", f"{ADMIN}/platforms", _page(Platform), params=_paging(limit, next_key))


def create_app(name: str) -> Call[App]:
    return Call("POST", f"{ADMIN}/apps", _model(App), json={"name": name})


def list_apps(limit: int | None = None, next_key: int | None = None) -> Call[Page[App]]:
    return Call("GET", f"{ADMIN}/apps", _page(App), params=_paging(limit, next_key))


def create_platform_key(platform_id: str) -> Call[NewKey]:
    return Call("POST", f"{ADMIN}/platforms/{_seg(platform_id)}/keys", _model(NewKey))


def create_app_key(app_id: str) -> Call[NewKey]:
    return Call("POST", f"{ADMIN}/apps/{_seg(app_id)}/keys", _model(NewKey))


def list_keys(
    limit: int | None = None,
    next_key: int | None = None,
    platform_id: str | None = None,
    app_id: str | None = None,
) -> Call[Page[Key]]:
    params = _paging(limit, next_key, platform_id=platform_id, app_id=app_id)
    return Call("GET", f"{ADMIN}/keys", _page(Key), params=params)


def revoke_key(key_id: str) -> Call[None]:
    return Call("DELETE", f"{ADMIN}/keys/{_seg(key_id)}", _nothing)


# apps (publisher)

APPS = "/v1/apps"


def get_app(app_id: str) -> Call[AppDetail]:
    return Call("GET", f"{APPS}/{_seg(app_id)}", _model(AppDetail))


def set_webhook_url(app_id: str, url: str | None) -> Call[AppDetail]:
    body = {"webhook_url": url}
    return Call("PATCH", f"{APPS}/{_seg(app_id)}", _model(AppDetail), json=body)


def set_attach_requires_handoff(app_id: str, required: bool) -> Call[AppDetail]:
    body = {"attach_requires_handoff": required}
    return Call("PATCH", f"{APPS}/{_seg(app_id)}", _model(AppDetail), json=body)


def get_guidelines(app_id: str) -> Call[Guidelines]:
    return Call("GET", f"{APPS}/{_seg(app_id)}/guidelines", _model(Guidelines))


def set_guidelines(app_id: str, thresholds: Mapping[str, float]) -> Call[Guidelines]:
    path = f"{APPS}/{_seg(app_id)}/guidelines"
    return Call("PUT", path, _model(Guidelines), json=dict(thresholds))


def set_avail(app_id: str, platform_id: str, enabled: bool) -> Call[Avail]:
    path = f"{APPS}/{_seg(app_id)}/avails/{_seg(platform_id)}"
    return Call("PUT", path, _model(Avail), json={"enabled": enabled})


def upload_media(app_id: str, file_name: str, png: bytes) -> Call[Media]:
    path = f"{APPS}/{_seg(app_id)}/media/{_seg(file_name)}"
    headers = {"Content-Type": "image/png"}
    return Call("PUT", path, _model(Media), content=png, headers=headers)


def delete_media(app_id: str, file_name: str) -> Call[None]:
    return Call("DELETE", f"{APPS}/{_seg(app_id)}/media/{_seg(file_name)}", _nothing)


def get_media(app_id: str, file_name: str) -> Call[bytes]:
    return Call("GET", f"/media/{_seg(app_id)}/{_seg(file_name)}", lambda r: r.content)


# webhooks (publisher)


def rotate_webhook_secret(app_id: str) -> Call[str]:
    path = f"{APPS}/{_seg(app_id)}/webhook-secret"
    return Call("POST", path, lambda response: str(response.json()["secret"]))


def list_webhook_deliveries(
    app_id: str,
    limit: int | None = None,
    next_key: int | None = None,
    status: str | None = None,
) -> Call[Page[WebhookDelivery]]:
    path = f"{APPS}/{_seg(app_id)}/webhook-deliveries"
    params = _paging(limit, next_key, status=status)
    return Call("GET", path, _page(WebhookDelivery), params=params)


def retry_webhook_delivery(app_id: str, delivery_id: str) -> Call[WebhookDelivery]:
    path = f"{APPS}/{_seg(app_id)}/webhook-deliveries/{_seg(delivery_id)}/retry"
    return Call("POST", path, _model(WebhookDelivery))


def send_test_webhook(app_id: str) -> Call[WebhookDelivery]:
    return Call("POST", f"{APPS}/{_seg(app_id)}/webhook-test", _model(WebhookDelivery))


# platforms

PLATFORMS = "/v1/platforms"


def get_platform(platform_id: str) -> Call[PlatformDetail]:
    return Call("GET", f"{PLATFORMS}/{_seg(platform_id)}", _model(PlatformDetail))


def set_platform_webhook_url(platform_id: str, url: str | None) -> Call[PlatformDetail]:
    body = {"webhook_url": url}
    return Call("PATCH", f"{PLATFORMS}/{_seg(platform_id)}", _model(PlatformDetail), json=body)


def list_platform_apps(
    platform_id: str, limit: int | None = None, next_key: int | None = None
) -> Call[Page[PlatformApp]]:
    path = f"{PLATFORMS}/{_seg(platform_id)}/apps"
    return Call("GET", path, _page(PlatformApp), params=_paging(limit, next_key))


def set_platform_data(
    platform_id: str, app_id: str, data: Mapping[str, PlatformDataValue]
) -> Call[PlatformData]:
    path = f"{PLATFORMS}/{_seg(platform_id)}/apps/{_seg(app_id)}/platform_data"
    return Call("PUT", path, _model(PlatformData), json=dict(data))


# webhooks (platform): the same calls under the platform's id


def rotate_platform_webhook_secret(platform_id: str) -> Call[str]:
    path = f"{PLATFORMS}/{_seg(platform_id)}/webhook-secret"
    return Call("POST", path, lambda response: str(response.json()["secret"]))


def list_platform_webhook_deliveries(
    platform_id: str,
    limit: int | None = None,
    next_key: int | None = None,
    status: str | None = None,
) -> Call[Page[WebhookDelivery]]:
    path = f"{PLATFORMS}/{_seg(platform_id)}/webhook-deliveries"
    params = _paging(limit, next_key, status=status)
    return Call("GET", path, _page(WebhookDelivery), params=params)


def retry_platform_webhook_delivery(platform_id: str, delivery_id: str) -> Call[WebhookDelivery]:
    path = f"{PLATFORMS}/{_seg(platform_id)}/webhook-deliveries/{_seg(delivery_id)}/retry"
    return Call("POST", path, _model(WebhookDelivery))


def send_platform_test_webhook(platform_id: str) -> Call[WebhookDelivery]:
    path = f"{PLATFORMS}/{_seg(platform_id)}/webhook-test"
    return Call("POST", path, _model(WebhookDelivery))


def health() -> Call[bool]:
    return Call("GET", "/healthz", lambda r: r.status_code == 200)
