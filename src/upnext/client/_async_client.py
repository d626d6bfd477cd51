"""``AsyncUpNextClient``: the asyncio client, the same methods as ``UpNextClient``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from upnext.client import _calls as calls
from upnext.client._base import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Retry,
    aiterate,
    client_options,
    request_options,
    transport_error,
)
from upnext.client._exceptions import error_for
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


class AsyncUpNextClient:
    """An asyncio client of the UpNext API for any role: operator, platform or publisher.

    ``url`` and ``key`` (``key_id:secret``) default to ``UPNEXT_URL`` and ``UPNEXT_KEY``.
    Idempotent calls are retried on 429, 503 and connection errors, ``max_retries`` times
    with exponential back-off; every request has a timeout (10 s by default).
    """

    def __init__(
        self,
        url: str | None = None,
        key: str | None = None,
        *,
        key_id: str | None = None,
        secret: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        options = client_options(url, key, key_id, secret, timeout)
        self._http = httpx.AsyncClient(transport=transport, **options)
        self._retry = Retry(max_retries=max_retries)
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncUpNextClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(self, call: calls.Call[T]) -> T:
        attempt, options = 0, request_options(call)
        while True:
            try:
                response = await self._http.request(call.method, call.path, **options)
            except httpx.TransportError as error:
                wait = self._retry.wait_before_retry(call, attempt, error=error)
                if wait is None:
                    raise transport_error(error) from error
            else:
                wait = self._retry.wait_before_retry(call, attempt, response=response)
                if wait is None:
                    if response.is_error:
                        raise error_for(response)
                    return call.parse(response)
            await self._sleep(wait)
            attempt += 1

    # contexts (publisher)

    async def create_context(self) -> Context:
        """Mint a new, unguessable context owned by the key's app."""
        return await self._send(calls.create_context())

    async def put_item(self, context_id: str, item: Item | Mapping[str, Any]) -> bool:
        """Add the item to the context, or replace the item with the same content_id.

        False when the server ignored it as older than the stored ``event_time``.
        """
        return await self._send(calls.put_item(context_id, item))

    async def replace_items(
        self, context_id: str, items: Sequence[Item | Mapping[str, Any]]
    ) -> list[str]:
        """Make ``items`` the context's whole list, atomically; the content ids ignored as
        stale."""
        return await self._send(calls.replace_items(context_id, items))

    async def batch_items(
        self,
        context_id: str,
        *,
        upsert: Sequence[Item | Mapping[str, Any]] = (),
        delete: Sequence[str] = (),
    ) -> list[str]:
        """Up to 500 writes and deletions in one transaction; the content ids ignored as
        stale."""
        return await self._send(calls.batch_items(context_id, upsert, delete))

    async def erase_context(self, context_id: str) -> None:
        """Delete the context, its items, its attachments and its webhook events."""
        await self._send(calls.erase_context(context_id))

    async def delete_item(self, context_id: str, content_id: str) -> None:
        await self._send(calls.delete_item(context_id, content_id))

    async def get_context(
        self, context_id: str, *, limit: int | None = None, next_key: int | None = None
    ) -> Page[ListItem]:
        """One page of the context's items, newest first."""
        return await self._send(calls.get_context(context_id, limit, next_key))

    def iter_context(
        self, context_id: str, *, page_size: int | None = None
    ) -> AsyncIterator[ListItem]:
        """Every item of the context, newest first."""
        return aiterate(lambda key: self.get_context(context_id, limit=page_size, next_key=key))

    async def remove_context_from_sessions(self, context_id: str) -> None:
        """Detach the context from every session of every platform."""
        await self._send(calls.remove_context_from_sessions(context_id))

    async def report_progress(
        self, context_id: str, progress: Progress | Mapping[str, Any]
    ) -> ProgressResult:
        """Let the server apply the Publisher Guidelines to a viewer's position."""
        return await self._send(calls.report_progress(context_id, progress))

    async def create_handoff(self, context_id: str, *, platform_id: str | None = None) -> Handoff:
        """A one-time token with which a platform attaches the context (docs/handoffs.md);
        with ``platform_id`` only that platform may redeem it."""
        return await self._send(calls.create_handoff(context_id, platform_id))

    # sessions (platform)

    async def attach_context(self, session_id: str, app_id: str, context_id: str) -> SessionContext:
        """Attach a context to the session (creating it); replaces the app's previous one."""
        return await self._send(calls.attach_context(session_id, app_id, context_id))

    async def attach_with_handoff(self, session_id: str, handoff_token: str) -> SessionContext:
        """Attach the context of a handoff token the app gave this platform; it works once."""
        return await self._send(calls.attach_with_handoff(session_id, handoff_token))

    async def detach_context(self, session_id: str, context_id: str) -> None:
        await self._send(calls.detach_context(session_id, context_id))

    async def get_session(
        self,
        session_id: str,
        *,
        limit: int | None = None,
        next_key: int | None = None,
        platform_id: str | None = None,
        per_series: bool = False,
        per_app_limit: int | None = None,
    ) -> Page[SessionItem]:
        """One page of the session's aggregated list, newest first.

        ``per_series`` keeps the newest item of each series, ``per_app_limit`` at most that
        many items of each app (docs/extensions.md).
        """
        call = calls.get_session(
            session_id, limit, next_key, platform_id, per_series, per_app_limit
        )
        return await self._send(call)

    def iter_session(
        self,
        session_id: str,
        *,
        page_size: int | None = None,
        platform_id: str | None = None,
        per_series: bool = False,
        per_app_limit: int | None = None,
    ) -> AsyncIterator[SessionItem]:
        """Every item of the session's aggregated list, newest first."""
        return aiterate(
            lambda key: self.get_session(
                session_id,
                limit=page_size,
                next_key=key,
                platform_id=platform_id,
                per_series=per_series,
                per_app_limit=per_app_limit,
            )
        )

    async def get_session_context(
        self,
        session_id: str,
        context_id: str,
        *,
        limit: int | None = None,
        next_key: int | None = None,
        platform_id: str | None = None,
        per_series: bool = False,
        per_app_limit: int | None = None,
    ) -> Page[SessionItem]:
        """One page of one attached context's list."""
        call = calls.get_session_context(
            session_id, context_id, limit, next_key, platform_id, per_series, per_app_limit
        )
        return await self._send(call)

    def iter_session_context(
        self, session_id: str, context_id: str, *, page_size: int | None = None
    ) -> AsyncIterator[SessionItem]:
        return aiterate(
            lambda key: self.get_session_context(
                session_id, context_id, limit=page_size, next_key=key
            )
        )

    async def list_session_contexts(
        self,
        session_id: str,
        *,
        limit: int | None = None,
        next_key: int | None = None,
        platform_id: str | None = None,
    ) -> Page[SessionContext]:
        """One page of the contexts attached to the session."""
        return await self._send(
            calls.list_session_contexts(session_id, limit, next_key, platform_id)
        )

    def iter_session_contexts(
        self, session_id: str, *, platform_id: str | None = None
    ) -> AsyncIterator[SessionContext]:
        return aiterate(
            lambda key: self.list_session_contexts(
                session_id, next_key=key, platform_id=platform_id
            )
        )

    async def hide_item(
        self,
        session_id: str,
        context_id: str,
        content_id: str,
        *,
        series: bool = False,
        until: str | None = None,
    ) -> None:
        """Hide the item (``series``: every item of its series, episodes written later
        too) for good, or until ``until`` (ISO 8601: a snooze)."""
        await self._send(
            calls.set_hidden(session_id, context_id, content_id, True, series=series, until=until)
        )

    async def unhide_item(
        self, session_id: str, context_id: str, content_id: str, *, series: bool = False
    ) -> None:
        await self._send(calls.set_hidden(session_id, context_id, content_id, False, series=series))

    async def delete_session(self, session_id: str) -> None:
        """Delete the session and its attachments (never the contexts' items)."""
        await self._send(calls.delete_session(session_id))

    # admin

    async def create_platform(self, name: str) -> Platform:
        return await self._send(calls.create_platform(name))

    async def list_platforms(
        self, *, limit: int | None = None, next_key: int | None = None
    ) -> Page[Platform]:
        return await self._send(calls.list_platforms(limit, next_key))

    def iter_platforms(self) -> AsyncIterator[Platform]:
        return aiterate(lambda key: self.list_platforms(next_key=key))

    async def create_app(self, name: str) -> App:
        return await self._send(calls.create_app(name))

    async def list_apps(
        self, *, limit: int | None = None, next_key: int | None = None
    ) -> Page[App]:
        return await self._send(calls.list_apps(limit, next_key))

    def iter_apps(self) -> AsyncIterator[App]:
        return aiterate(lambda key: self.list_apps(next_key=key))

    async def create_platform_key(self, platform_id: str) -> NewKey:
        """A new platform key; its secret is in this answer only."""
        return await self._send(calls.create_platform_key(platform_id))

    async def create_app_key(self, app_id: str) -> NewKey:
        """A new publisher key; its secret is in this answer only."""
        return await self._send(calls.create_app_key(app_id))

    async def list_keys(
        self,
        *,
        limit: int | None = None,
        next_key: int | None = None,
        platform_id: str | None = None,
        app_id: str | None = None,
    ) -> Page[Key]:
        return await self._send(calls.list_keys(limit, next_key, platform_id, app_id))

    def iter_keys(
        self, *, platform_id: str | None = None, app_id: str | None = None
    ) -> AsyncIterator[Key]:
        return aiterate(
            lambda key: self.list_keys(next_key=key, platform_id=platform_id, app_id=app_id)
        )

    async def revoke_key(self, key_id: str) -> None:
        """Revoke a key: it stops working at once."""
        await self._send(calls.revoke_key(key_id))

    # apps (publisher)

    async def get_app(self, app_id: str) -> AppDetail:
        return await self._send(calls.get_app(app_id))

    async def set_webhook_url(self, app_id: str, url: str | None) -> AppDetail:
        return await self._send(calls.set_webhook_url(app_id, url))

    async def set_attach_requires_handoff(self, app_id: str, required: bool = True) -> AppDetail:
        """Whether platforms may attach the app's contexts only with a handoff token."""
        return await self._send(calls.set_attach_requires_handoff(app_id, required))

    async def get_guidelines(self, app_id: str) -> Guidelines:
        """The thresholds the server applies to the app's progress reports."""
        return await self._send(calls.get_guidelines(app_id))

    async def set_guidelines(
        self,
        app_id: str,
        *,
        start_seconds: int | None = None,
        start_percent: float | None = None,
        end_percent: float | None = None,
    ) -> Guidelines:
        """Set the app's thresholds; those not given go back to their defaults."""
        given = {
            "start_seconds": start_seconds,
            "start_percent": start_percent,
            "end_percent": end_percent,
        }
        body = {name: value for name, value in given.items() if value is not None}
        return await self._send(calls.set_guidelines(app_id, body))

    async def set_avail(self, app_id: str, platform_id: str, enabled: bool = True) -> Avail:
        """Make the app's data available to a platform (or withdraw it)."""
        return await self._send(calls.set_avail(app_id, platform_id, enabled))

    async def upload_media(self, app_id: str, file_name: str, png: bytes) -> Media:
        return await self._send(calls.upload_media(app_id, file_name, png))

    async def delete_media(self, app_id: str, file_name: str) -> None:
        await self._send(calls.delete_media(app_id, file_name))

    async def get_media(self, app_id: str, file_name: str) -> bytes:
        return await self._send(calls.get_media(app_id, file_name))

    # webhooks (publisher)

    async def rotate_webhook_secret(self, app_id: str) -> str:
        """Create or rotate the signing secret (``whsec_...``); it is shown only here."""
        return await self._send(calls.rotate_webhook_secret(app_id))

    async def list_webhook_deliveries(
        self,
        app_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        next_key: int | None = None,
    ) -> Page[WebhookDelivery]:
        """One page of the app's webhook deliveries, newest first."""
        return await self._send(calls.list_webhook_deliveries(app_id, limit, next_key, status))

    def iter_webhook_deliveries(
        self, app_id: str, *, status: str | None = None
    ) -> AsyncIterator[WebhookDelivery]:
        return aiterate(
            lambda key: self.list_webhook_deliveries(app_id, status=status, next_key=key)
        )

    async def retry_webhook_delivery(self, app_id: str, delivery_id: str) -> WebhookDelivery:
        """Queue a delivery again, with the same webhook-id."""
        return await self._send(calls.retry_webhook_delivery(app_id, delivery_id))

    async def send_test_webhook(self, app_id: str) -> WebhookDelivery:
        """Queue a ``webhook_test`` event to the app's endpoint."""
        return await self._send(calls.send_test_webhook(app_id))

    # platforms

    async def get_platform(self, platform_id: str) -> PlatformDetail:
        """The platform with its webhook URL."""
        return await self._send(calls.get_platform(platform_id))

    async def set_platform_webhook_url(self, platform_id: str, url: str | None) -> PlatformDetail:
        """Where the platform's ``session_changed`` webhooks go (``None`` stops them)."""
        return await self._send(calls.set_platform_webhook_url(platform_id, url))

    # webhooks (platform)

    async def rotate_platform_webhook_secret(self, platform_id: str) -> str:
        """Create or rotate the platform's signing secret (``whsec_...``), shown only here."""
        return await self._send(calls.rotate_platform_webhook_secret(platform_id))

    async def list_platform_webhook_deliveries(
        self,
        platform_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        next_key: int | None = None,
    ) -> Page[WebhookDelivery]:
        """One page of the platform's webhook deliveries, newest first."""
        call = calls.list_platform_webhook_deliveries(platform_id, limit, next_key, status)
        return await self._send(call)

    def iter_platform_webhook_deliveries(
        self, platform_id: str, *, status: str | None = None
    ) -> AsyncIterator[WebhookDelivery]:
        return aiterate(
            lambda key: self.list_platform_webhook_deliveries(
                platform_id, status=status, next_key=key
            )
        )

    async def retry_platform_webhook_delivery(
        self, platform_id: str, delivery_id: str
    ) -> WebhookDelivery:
        """Queue one of the platform's deliveries again, with the same webhook-id."""
        return await self._send(calls.retry_platform_webhook_delivery(platform_id, delivery_id))

    async def send_platform_test_webhook(self, platform_id: str) -> WebhookDelivery:
        """Queue a ``webhook_test`` event to the platform's endpoint."""
        return await self._send(calls.send_platform_test_webhook(platform_id))

    # platforms: the apps to review

    async def list_platform_apps(
        self, platform_id: str, *, limit: int | None = None, next_key: int | None = None
    ) -> Page[PlatformApp]:
        return await self._send(calls.list_platform_apps(platform_id, limit, next_key))

    def iter_platform_apps(self, platform_id: str) -> AsyncIterator[PlatformApp]:
        return aiterate(lambda key: self.list_platform_apps(platform_id, next_key=key))

    async def set_platform_data(
        self, platform_id: str, app_id: str, data: Mapping[str, PlatformDataValue]
    ) -> PlatformData:
        return await self._send(calls.set_platform_data(platform_id, app_id, data))

    async def health(self) -> bool:
        """True when the server and its database answer."""
        return await self._send(calls.health())
