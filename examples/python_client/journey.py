#!/usr/bin/env python3
"""The first journey through the typed client: sign up, verify the email from the mail
sink, log in, book a first appointment through a provider's booking link, send a message.

    make serve          # in one terminal; `make demo` once for providers to book
    .venv/bin/python examples/python_client/journey.py --booking-slug SLUG

SLUG is a provider's booking link (`providerByBookingSlug`); the verification mail is read
from the embedded SMTP server's folder (MAIL_DIR, `var/mail/` by default).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import re
import secrets
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from carepath_client import (
    BookFirstAppointmentInput,
    Carepath,
    IntakeMode,
    Modality,
    SignUpInput,
)

PASSWORD = "a long example passphrase"


class JourneyFailed(Exception):
    """A step answered with errors: their codes say which rule refused it."""


def refuse_errors(step: str, errors: list[Any]) -> None:
    if errors:
        codes = ", ".join(f"{e.code.value} ({e.field or 'input'})" for e in errors)
        raise JourneyFailed(f"{step}: {codes}")


def verification_token(mail_dir: Path, address: str) -> str | None:
    """The token in the newest verification email to `address`, if it has arrived."""
    for path in sorted(mail_dir.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if not isinstance(message, EmailMessage) or address not in str(message["To"]):
            continue
        if message["X-Carepath-Kind"] != "verify_email":
            continue
        body = message.get_body(preferencelist=("plain",))
        match = re.search(r"token=([A-Za-z0-9_\-%]+)", body.get_content() if body else "")
        if match:
            return match.group(1)
    return None


async def wait_for_token(mail_dir: Path, address: str, seconds: float = 30) -> str:
    deadline = asyncio.get_running_loop().time() + seconds
    while (token := verification_token(mail_dir, address)) is None:
        if asyncio.get_running_loop().time() > deadline:
            raise JourneyFailed(f"no verification email to {address} in {mail_dir}")
        await asyncio.sleep(0.1)
    return token


async def journey(url: str, mail_dir: Path, slug: str, address: str) -> dict[str, str]:
    """Runs every step; returns what was made, by id."""
    async with Carepath(url=url) as anonymous:
        signed_up = (
            await anonymous.sign_up(
                SignUpInput(email=address, password=PASSWORD, full_name="Example Client")
            )
        ).sign_up
        refuse_errors("signUp", signed_up.errors)
        verified = (
            await anonymous.verify_email(await wait_for_token(mail_dir, address))
        ).verify_email
        refuse_errors("verifyEmail", verified.errors)
        logged_in = (await anonymous.log_in(address, PASSWORD)).log_in
        refuse_errors("logIn", logged_in.errors)
        assert logged_in.token is not None

    headers = {"Authorization": f"Bearer {logged_in.token}"}
    async with Carepath(url=url, headers=headers) as client:
        now = datetime.now(UTC)
        page = await client.booking_page(slug, now, now + timedelta(days=14))
        provider = page.provider_by_booking_slug
        if provider is None or not provider.available_slots:
            raise JourneyFailed(f"no provider with open slots behind the booking link {slug!r}")
        modality = (
            Modality.PHONE
            if provider.intake_mode == IntakeMode.PHONE_CONSULTATION
            else Modality.TELEHEALTH
            if provider.offers_telehealth
            else Modality.IN_PERSON
        )
        slot = provider.available_slots[0]
        booked = (
            await client.book_first_appointment(
                BookFirstAppointmentInput(
                    booking_slug=slug, starts_at=slot.starts_at, modality=modality
                )
            )
        ).book_first_appointment
        refuse_errors("bookFirstAppointment", booked.errors)
        assert booked.appointment is not None
        sent = (
            await client.send_message(
                provider.id, "Hello! Looking forward to our first appointment."
            )
        ).send_message
        refuse_errors("sendMessage", sent.errors)
        assert sent.message is not None

    return {
        "user": signed_up.user.id if signed_up.user else "",
        "appointment": booked.appointment.id,
        "startsAt": booked.appointment.starts_at.isoformat(),
        "message": sent.message.id,
        "conversation": sent.message.conversation.id,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--mail-dir", type=Path, default=Path("var/mail"))
    parser.add_argument("--booking-slug", required=True)
    parser.add_argument("--email", default=f"journey-{secrets.token_hex(4)}@example.com")
    args = parser.parse_args()
    try:
        made = asyncio.run(journey(args.url, args.mail_dir, args.booking_slug, args.email))
    except JourneyFailed as failure:
        print(f"journey stopped at {failure}", file=sys.stderr)
        return 1
    for name, value in made.items():
        print(f"{name}\t{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
