"""What each email says. Drafts only: the outbox stores them, the worker sends them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict


class Attachment(TypedDict):
    filename: str
    content_type: str
    content: str


@dataclass(frozen=True)
class EmailDraft:
    kind: str
    to: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)


def verification_email(to: str, full_name: str, link: str) -> EmailDraft:
    return EmailDraft(
        kind="verify_email",
        to=to,
        subject="Confirm your Carepath email address",
        body=(
            f"Hello {full_name},\n\n"
            "Welcome to Carepath. Please confirm your email address by opening this link:\n\n"
            f"{link}\n\n"
            "The link works once and expires in 48 hours. If you did not sign up, ignore "
            "this email.\n"
        ),
    )


def password_reset_email(to: str, full_name: str, link: str) -> EmailDraft:
    return EmailDraft(
        kind="reset_password",
        to=to,
        subject="Reset your Carepath password",
        body=(
            f"Hello {full_name},\n\n"
            "Someone asked to reset the password of your Carepath account. To choose a new "
            "password, open this link:\n\n"
            f"{link}\n\n"
            "The link works once and expires in one hour. Resetting signs you out everywhere. "
            "If you did not ask for this, ignore this email: your password stays as it is.\n"
        ),
    )


def message_waiting_email(to: str, full_name: str, sender_name: str, link: str) -> EmailDraft:
    """Says only that a message waits: its body is PHI and never leaves the platform."""
    return EmailDraft(
        kind="message_waiting",
        to=to,
        subject="You have a new message on Carepath",
        body=(
            f"Hello {full_name},\n\n"
            f"{sender_name} sent you a message on Carepath. Sign in to read it:\n\n"
            f"{link}\n\n"
            "We send one notice per conversation until you have read it.\n"
        ),
    )


def roster_invitation_email(to: str, provider_name: str, link: str) -> EmailDraft:
    """Names only the provider: no greeting by name, no group, no admin who sent it."""
    return EmailDraft(
        kind="roster_invitation",
        to=to,
        subject=f"{provider_name} invited you to their Carepath roster",
        body=(
            "Hello,\n\n"
            f"{provider_name} invited you to join their client roster on Carepath. Until you "
            "accept, they cannot see your profile or health information. Sign in to accept "
            "or decline:\n\n"
            f"{link}\n\n"
            "If you do not know this provider, decline or ignore this email.\n"
        ),
    )
