"""The floor: a raw Starlette route answering a small JSON body, with no GraphQL at all.
Run: python -m bench.floor PORT"""

from __future__ import annotations

import os
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BODY = {"data": {"me": {"id": "VXNlcjox", "email": "client1@bench.test", "roles": ["CLIENT"]}}}


async def graphql(request: Request) -> Response:
    await request.body()
    return JSONResponse(BODY)


def main() -> None:
    app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        loop=os.environ.get("BENCH_LOOP", "auto"),  # the same stack as Carepath's
        http=os.environ.get("BENCH_HTTP", "auto"),
    )


if __name__ == "__main__":
    main()
