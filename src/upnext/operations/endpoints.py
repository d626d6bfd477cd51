"""HTTP routes for operators and orchestrators: /readyz and /metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from upnext import metrics
from upnext.db.engine import Database
from upnext.deps import Conn
from upnext.kit.openapi import PUBLIC
from upnext.kit.responses import JSON, json_response
from upnext.operations import service

router = APIRouter(tags=["operations"])
log = logging.getLogger("upnext.operations")


@router.get(
    "/readyz", responses={503: {"description": "Not ready: see detail"}}, openapi_extra=PUBLIC
)
async def readyz(conn: Conn) -> JSON:
    """200 when this process can serve traffic: database up and schema at the newest revision."""
    revision = await service.ready_schema(conn)
    return json_response({"status": "ready", "schema": revision})


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
    openapi_extra=PUBLIC,
)
async def get_metrics(request: Request) -> Response:
    """Prometheus metrics of this service (see docs/operations.md)."""
    db: Database = request.app.state.db
    try:
        async with db.read() as conn:
            metrics.set_webhook_queue_depth(await service.webhook_queue_depth(conn))
    except (DBAPIError, PoolTimeout) as exc:
        # Metrics matter most during an outage: serve the rest, keep the last queue depth.
        log.warning("webhook queue depth unavailable: %s", exc.__class__.__name__)
    for pool, (in_use, idle, size) in db.pool_status().items():
        metrics.set_pool(pool, in_use, idle, size)
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
