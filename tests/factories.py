"""Given-steps for tests: accounts made through the API, as a user would make them."""

from __future__ import annotations

from dataclasses import dataclass

from carepath.clock import utcnow
from carepath.models import User
from tests.support import Api

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { token user { id email } errors { code field message } }
}
"""
PASSWORD = "a long enough passphrase"


@dataclass
class Account:
    email: str
    token: str
    user_id: str  # global id
    pk: int


async def sign_up(
    api: Api, email: str, full_name: str = "Test Person", *, verified: bool = True
) -> Account:
    data = await api.data(
        SIGN_UP, {"input": {"email": email, "password": PASSWORD, "fullName": full_name}}
    )
    payload = data["signUp"]
    assert payload["errors"] == [], payload["errors"]
    user = await User.get(email_key=email.lower())
    if verified:
        # Given-step shortcut: the verification link itself is tested in test_accounts.
        user.email_verified_at = utcnow()
        await user.save(update_fields=["email_verified_at"])
    return Account(email=email, token=payload["token"], user_id=payload["user"]["id"], pk=user.id)
