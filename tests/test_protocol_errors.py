"""Protocol errors: every refusal of /graphql is GraphQL-shaped JSON in the negotiated media
type; one operation runs, named when there are several; subscriptions go over the WebSocket,
whose refused `connection_init` says what it expected."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette

from carepath.models import User
from tests.factories import PASSWORD, sign_up
from tests.live import PROTOCOL, Subscriber, in_loop_server
from tests.support import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"
SIGN_UP = (
    'mutation SignUp { signUp(input: {email: "two@example.com", password: "%s",'
    ' fullName: "Two"}) { token } }' % PASSWORD
)
TWO_OPERATIONS = SIGN_UP + " query Me { me { id } }"
SUBSCRIPTION = "subscription { messageReceived { id body } }"


def only_error(response: httpx.Response) -> dict[str, Any]:
    [error] = response.json()["errors"]
    assert error["message"]
    return dict(error)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].partition(";")[0]


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_a_query_over_get_is_a_405_in_graphql_json(
    http: httpx.AsyncClient, accept: str
) -> None:
    response = await http.get(
        "/graphql", params={"query": "{ me { id } }"}, headers={"Accept": accept}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert media_type(response) == accept
    assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS", "HEAD"])
async def test_other_methods_are_a_405_in_graphql_json(
    http: httpx.AsyncClient, method: str
) -> None:
    response = await http.request(method, "/graphql", headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 405
    assert media_type(response) == GRAPHQL_RESPONSE
    if method != "HEAD":  # a HEAD answer has no body
        assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_an_unknown_operation_name_is_a_request_error(http: httpx.AsyncClient) -> None:
    body = {"query": "query Me { me { id } }", "operationName": "Nope"}
    response = await http.post("/graphql", json=body, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert media_type(response) == GRAPHQL_RESPONSE
    error = only_error(response)
    assert error["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert "Nope" in error["message"]
    assert "data" not in response.json()


async def test_an_unknown_operation_name_is_graphql_json_for_json_clients_too(
    http: httpx.AsyncClient,
) -> None:
    """application/json: a request error is a 200 with `data: null` (GraphQL over HTTP)."""
    body = {"query": "query Me { me { id } }", "operationName": "Nope"}
    response = await http.post("/graphql", json=body)
    assert response.status_code == 200
    assert media_type(response) == "application/json"
    assert response.json()["data"] is None
    assert only_error(response)["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_several_operations_without_a_name_run_nothing(
    http: httpx.AsyncClient, accept: str
) -> None:
    response = await http.post(
        "/graphql", json={"query": TWO_OPERATIONS}, headers={"Accept": accept}
    )
    assert response.status_code == (400 if accept == GRAPHQL_RESPONSE else 200)
    assert media_type(response) == accept
    error = only_error(response)
    assert error["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert "operationName" in error["message"]
    assert await User.all().count() == 0  # the first operation, a sign-up, did not run
    named = await http.post("/graphql", json={"query": TWO_OPERATIONS, "operationName": "Me"})
    assert named.json() == {"data": {"me": None}}
    assert await User.all().count() == 0


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_a_subscription_over_post_is_a_400_that_names_the_websocket(
    api: Api, accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    account = await sign_up(api, "sub@example.com")
    with caplog.at_level(logging.INFO):
        response = await api.http.post(
            "/graphql",
            json={"query": SUBSCRIPTION},
            headers={"Accept": accept, "Authorization": f"Bearer {account.token}"},
        )
    assert response.status_code == 400
    assert media_type(response) == accept
    error = only_error(response)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


# The WebSocket's connection_init.


@pytest.fixture
async def address(app: Starlette) -> AsyncIterator[str]:
    async with in_loop_server(app) as live:
        yield live


async def close_after_init(address: str, payload: Any) -> websockets.frames.Close:
    async with websockets.connect(f"ws://{address}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd


@pytest.mark.parametrize(
    "shape",
    ["token", "authToken", "bare", "headers", "none"],
)
async def test_a_refused_connection_init_names_the_expected_payload(
    api: Api, address: str, shape: str
) -> None:
    token = (await sign_up(api, "shape@example.com")).token
    payload: Any = {
        "token": {"token": token},
        "authToken": {"authToken": f"Bearer {token}"},
        "bare": {"Authorization": token},  # a bare token, without "Bearer "
        "headers": {"headers": {"Authorization": f"Bearer {token}"}},
        "none": {},
    }[shape]
    close = await close_after_init(address, payload)
    assert close.code == 4403
    assert '{"Authorization": "Bearer <token>"}' in close.reason


async def test_a_bad_token_in_connection_init_says_so(address: str) -> None:
    close = await close_after_init(address, {"Authorization": "Bearer not-a-token"})
    assert close.code == 4403
    assert "invalid, expired or revoked" in close.reason


async def test_several_operations_over_the_websocket_get_an_error_message(
    api: Api, address: str
) -> None:
    token = (await sign_up(api, "several@example.com")).token
    async with Subscriber.connect(address, token) as subscriber:
        assert await subscriber.acknowledged()
        operation_id = await subscriber.subscribe(SUBSCRIPTION + " query Me { me { id } }")
        reply = await subscriber.next(timeout=2)
    assert reply["type"] == "error" and reply["id"] == operation_id
    assert reply["payload"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
