"""The documents the bench sends: five reads and three mutations (as in issue 11)."""

from __future__ import annotations

PAGE = "pageInfo { hasNextPage endCursor }"

ME = "query Me { me { id email roles } }"

PROVIDERS = (
    "query Directory { providers(first: 20) { edges { node { id displayName "
    "licenses { state status } } } %s } }" % PAGE
)

APPOINTMENTS = (
    "query Schedule { me { providerProfile { appointments(first: 50) { edges { node { "
    "id startsAt status client { id fullName } telehealthLink } } %s } } } }" % PAGE
)

CLIENTS = (
    "query Roster { me { providerProfile { clients(first: 50) { edges { node { "
    "id fullName email } } %s } } } }" % PAGE
)

CONVERSATIONS = (
    "query Inbox { conversations(first: 20) { edges { node { id "
    "messages(last: 10) { edges { node { id body sentAt } } } } } %s } }" % PAGE
)

SEND_MESSAGE = (
    "mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { "
    "message { id body sentAt } errors { code message field } } }"
)

BOOK_FIRST = (
    "mutation Book($input: BookFirstAppointmentInput!) { bookFirstAppointment(input: $input) "
    "{ appointment { id startsAt status } errors { code message field } } }"
)

SCHEDULE = (
    "mutation FollowUp($input: ScheduleAppointmentInput!) { scheduleAppointment(input: $input) "
    "{ appointments { id startsAt status } errors { code message field } } }"
)

MESSAGE_RECEIVED = "subscription { messageReceived { id body sentAt } }"

# (name, document, who asks: "client" or "provider")
READS = [
    ("me", ME, "client"),
    ("providers(first:20)+licenses", PROVIDERS, "client"),
    ("appointments(first:50)", APPOINTMENTS, "provider"),
    ("clients(first:50)", CLIENTS, "provider"),
    ("conversations(first:20)+messages(last:10)", CONVERSATIONS, "provider"),
]


def with_page(document: str, size: int) -> str:
    """The same document with every page size set to `size` (statement-count checks)."""
    for old in ("first: 20", "first: 50", "last: 10"):
        document = document.replace(old, old.split(":")[0] + f": {size}")
    return document
