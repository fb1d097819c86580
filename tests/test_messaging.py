"""Messages between a client and a provider, through the API (RULES.md "Messages")."""

from __future__ import annotations

from carepath.models import Conversation, GroupMembership, Message, OutboxEmail, RosterEntry
from carepath.models.enums import GroupRole
from tests.factories import sign_up
from tests.messaging_steps import a_client, a_provider, care_between
from tests.support import Api, SmtpServer, body_of, error_codes

SEND = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) {
    message { id body sentAt readAt sender { id } conversation { id } }
    errors { code field message }
  }
}
"""
CONVERSATIONS = """
{ conversations { edges { node { id unreadCount provider { id } client { id }
  messages { edges { cursor node { id body } } pageInfo { hasNextPage endCursor } } } } } }
"""
MESSAGES_AFTER = """
query After($id: ID!, $after: String) {
  node(id: $id) { ... on Conversation { messages(after: $after) { edges { node { body } } } } }
}
"""
MARK_READ = """
mutation Read($id: ID!) {
  markConversationRead(input: {conversationId: $id}) { conversation { unreadCount } errors { code } }
}
"""


async def test_client_and_provider_exchange_messages(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    body = "  Hello <b>doctor</b>,\nsee you Tuesday?  "
    sent = await api.data(
        SEND,
        {"input": {"providerId": provider.global_id, "body": body}},
        token=client.account.token,
    )
    message = sent["sendMessage"]["message"]
    assert sent["sendMessage"]["errors"] == []
    assert message["body"] == body  # stored exactly as sent, never rendered
    conversation_id = message["conversation"]["id"]

    reply = await api.data(
        SEND, {"input": {"conversationId": conversation_id, "body": "Yes, 10am."}},
        token=provider.account.token,
    )  # fmt: skip
    assert reply["sendMessage"]["errors"] == []
    listing = await api.data(CONVERSATIONS, token=client.account.token)
    [edge] = listing["conversations"]["edges"]
    assert edge["node"]["unreadCount"] == 1
    bodies = [e["node"]["body"] for e in edge["node"]["messages"]["edges"]]
    assert bodies == [body, "Yes, 10am."]
    assert await Conversation.all().count() == 1


async def test_provider_can_open_the_conversation_by_client_id(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client, cancelled=True)  # even if later cancelled
    sent = await api.data(
        SEND, {"input": {"clientId": client.global_id, "body": "Checking in."}},
        token=provider.account.token,
    )  # fmt: skip
    assert sent["sendMessage"]["errors"] == []


async def test_roster_alone_is_not_a_care_relationship(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await RosterEntry.create(provider_id=provider.pk, client_id=client.pk)
    for target, token in (
        ({"providerId": provider.global_id}, client.account.token),
        ({"clientId": client.global_id}, provider.account.token),  # visible on the roster
    ):
        result = await api.data(SEND, {"input": {**target, "body": "Hi"}}, token=token)
        assert [e["code"] for e in result["sendMessage"]["errors"]] == ["NO_CARE_RELATIONSHIP"]
    assert await Message.all().count() == 0
    assert await Conversation.all().count() == 0


async def test_unseen_or_mistyped_recipients_are_not_found_on_their_field(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    stranger = await a_client(api, "eve@example.com", "Eve")
    await care_between(provider, client)
    for target in (
        {"clientId": stranger.global_id},  # not on this provider's roster
        {"clientId": provider.global_id},  # a Provider's id where a Client's belongs
    ):
        result = await api.data(
            SEND, {"input": {**target, "body": "Hi"}}, token=provider.account.token
        )
        errors = result["sendMessage"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", "clientId")]
    assert await Message.all().count() == 0


async def test_empty_and_oversized_bodies_are_refused(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    for body in ("", "   ", "x" * 5001):
        result = await api.data(
            SEND, {"input": {"providerId": provider.global_id, "body": body}},
            token=client.account.token,
        )  # fmt: skip
        assert result["sendMessage"]["errors"][0]["code"] == "VALIDATION"
        assert result["sendMessage"]["errors"][0]["field"] == "body"
    longest = "y" * 5000
    ok = await api.data(
        SEND, {"input": {"providerId": provider.global_id, "body": longest}},
        token=client.account.token,
    )  # fmt: skip
    assert ok["sendMessage"]["message"]["body"] == longest
    assert await Message.all().count() == 1


async def test_a_stranger_cannot_write_into_a_conversation(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    sent = await api.data(
        SEND,
        {"input": {"providerId": provider.global_id, "body": "Hi"}},
        token=client.account.token,
    )
    conversation_id = sent["sendMessage"]["message"]["conversation"]["id"]
    stranger = await a_client(api, "eve@example.com", "Eve")
    result = await api.data(
        SEND,
        {"input": {"conversationId": conversation_id, "body": "Hi"}},
        token=stranger.account.token,
    )
    assert [e["code"] for e in result["sendMessage"]["errors"]] == ["NOT_FOUND"]
    node = await api.data(MESSAGES_AFTER, {"id": conversation_id}, token=stranger.account.token)
    assert node["node"] is None
    assert await Message.all().count() == 1


async def test_group_admins_never_read_messages(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    sent = await api.data(
        SEND, {"input": {"providerId": provider.global_id, "body": "private"}},
        token=client.account.token,
    )  # fmt: skip
    conversation_id = sent["sendMessage"]["message"]["conversation"]["id"]
    group = await api.data(
        'mutation { createGroup(input: {name: "Calm Minds"}) { group { id } errors { code } } }',
        token=provider.account.token,
    )
    assert group["createGroup"]["errors"] == []
    admin = await sign_up(api, "admin@example.com", "Ada Admin")
    from carepath.models import Group

    await GroupMembership.create(
        group_id=(await Group.get()).id, user_id=admin.pk, role=GroupRole.ADMIN
    )
    seen = await api.data(MESSAGES_AFTER, {"id": conversation_id}, token=admin.token)
    assert seen["node"] is None
    listing = await api.data(CONVERSATIONS, token=admin.token)
    assert listing["conversations"]["edges"] == []


async def test_reconnecting_client_catches_up_after_a_cursor(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    token = provider.account.token
    first = await api.data(
        SEND, {"input": {"clientId": client.global_id, "body": "one"}}, token=token
    )
    conversation_id = first["sendMessage"]["message"]["conversation"]["id"]
    page = await api.data(MESSAGES_AFTER, {"id": conversation_id}, token=client.account.token)
    cursor = None
    listing = await api.data(CONVERSATIONS, token=client.account.token)
    cursor = listing["conversations"]["edges"][0]["node"]["messages"]["pageInfo"]["endCursor"]
    assert page["node"]["messages"]["edges"] == [{"node": {"body": "one"}}]
    for body in ("two", "three"):
        await api.data(
            SEND, {"input": {"conversationId": conversation_id, "body": body}}, token=token
        )
    later = await api.data(
        MESSAGES_AFTER, {"id": conversation_id, "after": cursor}, token=client.account.token
    )
    assert [e["node"]["body"] for e in later["node"]["messages"]["edges"]] == ["two", "three"]


async def test_one_notice_per_conversation_until_read_and_no_body(
    api: Api, smtp_server: SmtpServer
) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    token = provider.account.token
    secret = "my diagnosis is confidential"
    first = await api.data(
        SEND, {"input": {"clientId": client.global_id, "body": secret}}, token=token
    )
    conversation_id = first["sendMessage"]["message"]["conversation"]["id"]
    await api.data(
        SEND, {"input": {"conversationId": conversation_id, "body": "more"}}, token=token
    )
    [notice] = await smtp_server.wait_for("sam@example.com", kind="message_waiting")
    assert secret not in body_of(notice)
    assert await OutboxEmail.filter(kind="message_waiting").count() == 1

    read = await api.data(MARK_READ, {"id": conversation_id}, token=client.account.token)
    assert read["markConversationRead"] == {"conversation": {"unreadCount": 0}, "errors": []}
    await api.data(
        SEND, {"input": {"conversationId": conversation_id, "body": "again"}}, token=token
    )
    await smtp_server.wait_for("sam@example.com", count=2, kind="message_waiting")


async def test_exactly_one_recipient_must_be_given(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    both = {"providerId": provider.global_id, "clientId": client.global_id, "body": "x"}
    for target in ({"body": "x"}, both):
        result = await api.data(SEND, {"input": target}, token=client.account.token)
        assert result["sendMessage"]["errors"][0]["code"] == "VALIDATION"


async def test_anonymous_cannot_send(api: Api) -> None:
    result = await api(SEND, {"input": {"providerId": "x", "body": "hi"}})
    assert error_codes(result) == ["UNAUTHENTICATED"]


async def test_anonymous_viewers_must_sign_in_to_list_conversations(api: Api) -> None:
    result = await api(CONVERSATIONS)
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result.get("data") is None
