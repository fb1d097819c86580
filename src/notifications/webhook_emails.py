"""The email sent when a failing webhook endpoint is disabled."""

from __future__ import annotations

from urllib.parse import urlsplit

from carepath.notifications.emails import EmailDraft


def endpoint_disabled_email(to: str, url: str, days: int) -> EmailDraft:
    """Names the receiver's host only: a URL's path or query can hold the receiver's token."""
    host = urlsplit(url).hostname or "your receiver"
    return EmailDraft(
        kind="webhook_endpoint_disabled",
        to=to,
        subject="A Carepath webhook endpoint was disabled",
        body=(
            "Hello,\n\n"
            f"Every delivery to your webhook endpoint at {host} has failed for {days} days, "
            "so Carepath has disabled it. Its undelivered events are kept: once the receiver "
            "works again, enable the endpoint (updateWebhookEndpoint with enabled: true) and "
            "they will be sent.\n"
        ),
    )
