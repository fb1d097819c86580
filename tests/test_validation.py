"""Bad account input: a clear VALIDATION error on the right field, and nothing written."""

from __future__ import annotations

import base64

import pytest

from carepath.models import OutboxEmail, User
from tests.factories import PASSWORD, sign_up
from tests.support import Api

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { token user { id } errors { code field message } }
}
"""


@pytest.mark.parametrize(
    ("email", "password", "full_name", "field"),
    [
        ("not-an-email", PASSWORD, "Ann", "email"),
        ("", PASSWORD, "Ann", "email"),
        ("a@" + "b" * 300 + ".com", PASSWORD, "Ann", "email"),
        ("ann@example.com", "short", "Ann", "password"),
        ("ann@example.com", "x" * 129, "Ann", "password"),
        ("ann@example.com", "ann@example.com", "Ann", "password"),
        ("ann@example.com", PASSWORD, "", "fullName"),
        ("ann@example.com", PASSWORD, "   ", "fullName"),
        ("ann@example.com", PASSWORD, "A" * 201, "fullName"),
    ],
)
async def test_bad_sign_up_is_refused_and_writes_nothing(
    api: Api, email: str, password: str, full_name: str, field: str
) -> None:
    result = await api.data(
        SIGN_UP, {"input": {"email": email, "password": password, "fullName": full_name}}
    )
    payload = result["signUp"]
    assert payload["token"] is None and payload["user"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", field)
    assert error["message"]
    assert await User.all().count() == 0
    assert await OutboxEmail.all().count() == 0


async def test_email_is_trimmed_and_kept_as_typed(api: Api) -> None:
    result = await api.data(
        SIGN_UP, {"input": {"email": "  Mixed@Example.com ", "password": PASSWORD, "fullName": "M"}}
    )
    assert result["signUp"]["errors"] == []
    user = await User.get()
    assert (user.email, user.email_key) == ("Mixed@Example.com", "mixed@example.com")


async def test_ids_that_name_nothing_give_null_or_not_found(api: Api) -> None:
    account = await sign_up(api, "ida@example.com")
    huge = base64.urlsafe_b64encode(b"Client:99999999999").decode().rstrip("=")
    for node_id in (huge, "not-an-id", "Q2xpZW50Oi0x"):  # the last is "Client:-1"
        result = await api("query N($id: ID!) { node(id: $id) { id } }", {"id": node_id})
        assert result == {"data": {"node": None}}
    refused = await api.data(
        'mutation S($id: ID!) { setInsurance(input: {clientId: $id, payerName: "Aetna",'
        " inNetwork: true}) { errors { code field } } }",
        {"id": huge},
        token=account.token,
    )
    assert refused["setInsurance"]["errors"] == [{"code": "NOT_FOUND", "field": "clientId"}]
