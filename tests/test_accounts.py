"""Accounts through the API: the first user journey, and each account rule."""

from __future__ import annotations

from datetime import timedelta

from carepath.models import AccountToken, AuthSession, Client, OutboxEmail, User
from carepath.settings import Settings
from tests.factories import PASSWORD, sign_up
from tests.support import Api, SmtpServer, body_of, error_codes, token_in

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    token expiresAt
    user { id email fullName emailVerified roles clientProfile { id fullName email } }
    errors { code field message }
  }
}
"""
VERIFY = """
mutation Verify($token: String!) {
  verifyEmail(input: {token: $token}) { user { id emailVerified } errors { code field } }
}
"""
LOG_IN = """
mutation LogIn($email: String!, $password: String!) {
  logIn(input: {email: $email, password: $password}) {
    token expiresAt user { id email } errors { code field message }
  }
}
"""
LOG_OUT = "mutation { logOut { ok errors { code } } }"
ME = "query { me { id email fullName emailVerified roles } }"
REQUEST_RESET = """
mutation Reset($email: String!) {
  requestPasswordReset(input: {email: $email}) { ok errors { code } }
}
"""
RESET = """
mutation Reset($token: String!, $password: String!) {
  resetPassword(input: {token: $token, newPassword: $password}) { ok errors { code field } }
}
"""


async def test_new_user_signs_up_verifies_logs_in_and_out(
    api: Api, smtp_server: SmtpServer
) -> None:
    signed_up = await api.data(
        SIGN_UP,
        {"input": {"email": "Ann@Example.com", "password": PASSWORD, "fullName": "Ann Smith"}},
    )
    payload = signed_up["signUp"]
    assert payload["errors"] == []
    assert payload["user"]["emailVerified"] is False
    assert payload["user"]["roles"] == ["CLIENT"]
    assert payload["user"]["clientProfile"]["fullName"] == "Ann Smith"

    [mail] = await smtp_server.wait_for("ann@example.com", kind="verify_email")
    assert "https://app.carepath.test/verify-email?token=" in body_of(mail)
    verified = await api.data(VERIFY, {"token": token_in(mail)})
    assert verified["verifyEmail"] == {
        "user": {"id": payload["user"]["id"], "emailVerified": True},
        "errors": [],
    }

    logged_in = (await api.data(LOG_IN, {"email": "ann@example.com", "password": PASSWORD}))[
        "logIn"
    ]
    token = logged_in["token"]
    me = (await api.data(ME, token=token))["me"]
    assert me["email"] == "Ann@Example.com" and me["emailVerified"] is True

    assert (await api.data(LOG_OUT, token=token))["logOut"] == {"ok": True, "errors": []}
    refused = await api(ME, token=token)
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert refused["data"] is None


async def test_verification_token_works_once(api: Api, smtp_server: SmtpServer) -> None:
    await sign_up(api, "once@example.com", verified=False)
    [mail] = await smtp_server.wait_for("once@example.com")
    token = token_in(mail)
    assert (await api.data(VERIFY, {"token": token}))["verifyEmail"]["errors"] == []
    again = (await api.data(VERIFY, {"token": token}))["verifyEmail"]
    assert again == {"user": None, "errors": [{"code": "INVALID_TOKEN", "field": "token"}]}


async def test_expired_verification_token_is_refused(api: Api, smtp_server: SmtpServer) -> None:
    await sign_up(api, "late@example.com", verified=False)
    [mail] = await smtp_server.wait_for("late@example.com")
    user = await User.get(email_key="late@example.com")
    await AccountToken.filter(user_id=user.id).update(
        expires_at=user.created_at - timedelta(minutes=1)
    )
    result = (await api.data(VERIFY, {"token": token_in(mail)}))["verifyEmail"]
    assert [e["code"] for e in result["errors"]] == ["INVALID_TOKEN"]
    assert (await User.get(email_key="late@example.com")).email_verified_at is None


async def test_email_is_unique_whatever_its_case(api: Api) -> None:
    await sign_up(api, "dup@example.com")
    result = await api.data(
        SIGN_UP, {"input": {"email": "DUP@example.COM", "password": PASSWORD, "fullName": "X"}}
    )
    assert result["signUp"]["errors"] == [
        {
            "code": "EMAIL_TAKEN",
            "field": "email",
            "message": result["signUp"]["errors"][0]["message"],
        }
    ]
    assert result["signUp"]["token"] is None
    assert await User.all().count() == 1


async def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    await sign_up(api, "real@example.com")
    wrong = await api.data(LOG_IN, {"email": "real@example.com", "password": "not the password"})
    unknown = await api.data(LOG_IN, {"email": "ghost@example.com", "password": PASSWORD})
    assert wrong["logIn"]["errors"] == unknown["logIn"]["errors"]
    assert [e["code"] for e in wrong["logIn"]["errors"]] == ["INVALID_CREDENTIALS"]
    assert wrong["logIn"]["token"] is None


async def test_password_reset_revokes_every_session(api: Api, smtp_server: SmtpServer) -> None:
    account = await sign_up(api, "reset@example.com")
    other = (await api.data(LOG_IN, {"email": "reset@example.com", "password": PASSWORD}))["logIn"]
    assert (await api.data(REQUEST_RESET, {"email": "reset@example.com"}))[
        "requestPasswordReset"
    ] == {"ok": True, "errors": []}
    [mail] = await smtp_server.wait_for("reset@example.com", kind="reset_password")
    assert "https://app.carepath.test/reset-password?token=" in body_of(mail)

    new_password = "an entirely new passphrase"
    done = await api.data(RESET, {"token": token_in(mail), "password": new_password})
    assert done["resetPassword"] == {"ok": True, "errors": []}
    for token in (account.token, other["token"]):
        assert error_codes(await api(ME, token=token)) == ["UNAUTHENTICATED"]
    old = await api.data(LOG_IN, {"email": "reset@example.com", "password": PASSWORD})
    assert old["logIn"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    new = await api.data(LOG_IN, {"email": "reset@example.com", "password": new_password})
    assert new["logIn"]["errors"] == []


async def test_reset_for_unknown_email_answers_alike_and_sends_nothing(
    api: Api, smtp_server: SmtpServer
) -> None:
    result = await api.data(REQUEST_RESET, {"email": "nobody@example.com"})
    assert result["requestPasswordReset"] == {"ok": True, "errors": []}
    assert await OutboxEmail.all().count() == 0


async def test_weak_reset_password_is_refused_and_token_stays_usable(
    api: Api, smtp_server: SmtpServer
) -> None:
    await sign_up(api, "weak@example.com")
    await api.data(REQUEST_RESET, {"email": "weak@example.com"})
    [mail] = await smtp_server.wait_for("weak@example.com", kind="reset_password")
    weak = await api.data(RESET, {"token": token_in(mail), "password": "short"})
    assert weak["resetPassword"] == {
        "ok": False,
        "errors": [{"code": "VALIDATION", "field": "newPassword"}],
    }
    ok = await api.data(RESET, {"token": token_in(mail), "password": "long enough new secret"})
    assert ok["resetPassword"]["ok"] is True


async def test_idle_session_is_logged_off(api: Api, settings: Settings) -> None:
    account = await sign_up(api, "idle@example.com")
    idle = timedelta(minutes=settings.idle_timeout_minutes + 1)
    session = await AuthSession.get(user_id=account.pk)
    await AuthSession.filter(id=session.id).update(last_seen_at=session.last_seen_at - idle)
    assert error_codes(await api(ME, token=account.token)) == ["UNAUTHENTICATED"]


async def test_expired_session_is_refused(api: Api) -> None:
    account = await sign_up(api, "expired@example.com")
    session = await AuthSession.get(user_id=account.pk)
    await AuthSession.filter(id=session.id).update(expires_at=session.created_at)
    assert error_codes(await api(ME, token=account.token)) == ["UNAUTHENTICATED"]


async def test_tokens_are_stored_only_as_hashes(api: Api) -> None:
    account = await sign_up(api, "hash@example.com")
    session = await AuthSession.get(user_id=account.pk)
    assert account.token not in session.token_hash
    user = await User.get(id=account.pk)
    assert user.password_hash.startswith("$argon2id$")


async def test_anonymous_me_is_null_and_log_out_needs_a_token(api: Api) -> None:
    assert (await api.data(ME))["me"] is None
    assert error_codes(await api(LOG_OUT)) == ["UNAUTHENTICATED"]


async def test_sign_up_creates_a_client_profile(api: Api) -> None:
    account = await sign_up(api, "client@example.com")
    assert await Client.filter(user_id=account.pk).exists()
