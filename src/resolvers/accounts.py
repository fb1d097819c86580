"""Account mutations: sign-up, verification, log-in and -out, password reset."""

from __future__ import annotations

import strawberry

from carepath.resolvers.common import attempt
from carepath.schema.context import Info
from carepath.schema.errors import UserError
from carepath.schema.payloads import AuthPayload, OkPayload, UserPayload
from carepath.schema.types.users import User
from carepath.services import accounts
from carepath.services.accounts import IssuedSession
from carepath.services.actor import Actor


@strawberry.input
class SignUpInput:
    email: str
    password: str
    full_name: str


@strawberry.input
class VerifyEmailInput:
    token: str


@strawberry.input
class LogInInput:
    email: str
    password: str


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    token: str
    new_password: str


def _auth_payload(info: Info, issued: IssuedSession | None, errors: list[UserError]) -> AuthPayload:
    if issued is None:
        return AuthPayload(errors=errors)
    # The rest of this response is read as the user who just signed in.
    info.context.actor = Actor(user=issued.user)
    return AuthPayload(
        user=User(model=issued.user), token=issued.token, expires_at=issued.expires_at
    )


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Creates a client (patient portal) account and emails a verification link."
    )
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        context = info.context
        signing_up = accounts.sign_up(
            context.settings,
            context.throttle,
            input.email,
            input.password,
            input.full_name,
            context.client_address,
        )
        issued, errors = await attempt(info, signing_up)
        return _auth_payload(info, issued, errors)

    @strawberry.mutation
    async def verify_email(self, info: Info, input: VerifyEmailInput) -> UserPayload:
        user, errors = await attempt(
            info, accounts.verify_email(info.context.settings, input.token)
        )
        return UserPayload(user=User(model=user) if user else None, errors=errors)

    @strawberry.mutation
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        context = info.context
        issued, errors = await attempt(
            info,
            accounts.log_in(
                context.settings,
                context.throttle,
                input.email,
                input.password,
                context.client_address,
            ),
        )
        return _auth_payload(info, issued, errors)

    @strawberry.mutation(description="Revokes the token used for this request.")
    async def log_out(self, info: Info) -> OkPayload:
        _, errors = await attempt(
            info, accounts.log_out(info.context.actor, info.context.bus.publish)
        )
        return OkPayload(ok=not errors, errors=errors)

    @strawberry.mutation
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> OkPayload:
        context = info.context
        _, errors = await attempt(
            info,
            accounts.request_password_reset(
                context.settings, context.throttle, input.email, context.client_address
            ),
        )
        return OkPayload(ok=not errors, errors=errors)

    @strawberry.mutation
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> OkPayload:
        settings = info.context.settings
        _, errors = await attempt(
            info,
            accounts.reset_password(
                settings, info.context.bus.publish, input.token, input.new_password
            ),
        )
        return OkPayload(ok=not errors, errors=errors)
