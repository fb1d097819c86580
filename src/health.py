"""Readiness: can this process serve requests now? (`/healthz` only says it is alive.)"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0


async def readyz(request: Request) -> Response:
    """200 when the database answers `SELECT 1` within READY_TIMEOUT_SECONDS, else 503,
    so that a load balancer stops sending requests to a process that cannot serve them."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:  # any failure means not ready; the type says which
        log.warning("not ready: the database check failed (%s)", type(exc).__name__)
        return JSONResponse({"status": "unavailable", "database": "failing"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
