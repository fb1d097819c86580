"""Roster invitations: a provider learns nothing of a client until the client consents.

addClientToRoster invites anyone not already in care with the provider or their group;
the client answers with respondToRosterInvitation, or settles it by booking the link.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from carepath.models import OutboxEmail, RosterEntry, RosterInvitation
from carepath.models.enums import RosterStatus
from tests.practice_steps import (
    ADD_CLIENT_TO_ROSTER,
    ARCHIVE_CLIENT,
    RESPOND_TO_ROSTER_INVITATION,
    SET_INSURANCE,
    Person,
    a_client,
    a_provider,
    a_team,
    client_row,
    codes,
    db_state,
    mutate,
    on_roster,
    provider_row,
    succeed,
)
from tests.scheduling_steps import a_practice, book, local, schedule
from tests.support import Api, SmtpServer, body_of, deliver_due_mail, error_codes

KIND = "roster_invitation"
MY_INVITATIONS = "query { me { clientProfile { rosterInvitations { id displayName } } } }"
CLIENT_NODE = """
query C($id: ID!) {
  node(id: $id) { ... on Client { id fullName email insurance { payerName } } }
}
"""
CLIENT_INVITATIONS = """
query C($id: ID!) { node(id: $id) { ... on Client { rosterInvitations { id } } } }
"""
PROVIDER_CLIENTS = """
query P($id: ID!, $status: RosterStatus!) {
  node(id: $id) { ... on Provider { clients(status: $status) { edges { node { id } } } } }
}
"""


async def invite(api: Api, by: Person, provider_id: str | None, client: Person) -> dict[str, Any]:
    request = {"providerId": provider_id, "email": client.email}
    return await succeed(api, ADD_CLIENT_TO_ROSTER, "addClientToRoster", request, by.token)


async def respond(
    api: Api, client: Person, provider_id: str | None, accept: bool
) -> dict[str, Any]:
    request = {"providerId": provider_id, "accept": accept}
    return await mutate(
        api, RESPOND_TO_ROSTER_INVITATION, "respondToRosterInvitation", request, client.token
    )


async def my_invitations(api: Api, client: Person) -> list[dict[str, str]]:
    me = (await api.data(MY_INVITATIONS, token=client.token))["me"]
    found: list[dict[str, str]] = me["clientProfile"]["rosterInvitations"]
    return found


async def roster_of(api: Api, provider: Person, status: str) -> list[str]:
    variables = {"id": provider.provider_id, "status": status}
    node = (await api.data(PROVIDER_CLIENTS, variables, token=provider.token))["node"]
    return [edge["node"]["id"] for edge in node["clients"]["edges"]]


async def client_seen_by(api: Api, viewer: Person, client: Person) -> Any:
    return (await api.data(CLIENT_NODE, {"id": client.client_id}, token=viewer.token))["node"]


async def sees_nothing_of(api: Api, provider: Person, client: Person) -> None:
    """Neither the roster (active or archived) nor the client's node shows them."""
    assert await roster_of(api, provider, "ACTIVE") == []
    assert await roster_of(api, provider, "ARCHIVED") == []
    assert await client_seen_by(api, provider, client) is None


async def entry_of(provider: Person, client: Person) -> bool:
    """Whether the provider has any roster entry (active or archived) for the client."""
    return await RosterEntry.exists(
        provider_id=(await provider_row(provider)).id, client_id=(await client_row(client)).id
    )


async def invitation_mails() -> int:
    return await OutboxEmail.filter(kind=KIND).count()


async def test_the_invitation_email_names_only_the_provider_and_links_to_invitations(
    api: Api, smtp_server: SmtpServer
) -> None:
    team = await a_team(api)  # owner Olga Owner, admin Ada Admin, member Gale Groupie
    cleo = await a_client(api, "cleo@example.com", "Cleo Quinlan")
    insurance = {"clientId": cleo.client_id, "payerName": "Aetna Gold", "inNetwork": True}
    await succeed(api, SET_INSURANCE, "setInsurance", insurance, cleo.token)
    await invite(api, team.admin, team.member.provider_id, cleo)
    [mail] = await smtp_server.wait_for(cleo.email, kind=KIND)
    text = f"{mail['Subject']}\n{body_of(mail)}"
    assert "Gale Groupie" in text
    assert "https://app.carepath.test/invitations" in body_of(mail)
    for unsaid in ("Cleo", "Quinlan", "Aetna", "Ada", "Admin", "Olga", "Calm Minds", "@"):
        assert unsaid not in text, unsaid


async def test_the_provider_sees_nothing_of_an_invited_client(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann Provider")
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    insurance = {"clientId": cleo.client_id, "payerName": "Aetna", "inNetwork": True}
    await succeed(api, SET_INSURANCE, "setInsurance", insurance, cleo.token)
    payload = await invite(api, ann, ann.provider_id, cleo)
    assert (payload["provider"], payload["client"]) == ({"id": ann.provider_id}, None)
    await sees_nothing_of(api, ann, cleo)
    answer = await mutate(api, SET_INSURANCE, "setInsurance", insurance, ann.token)
    assert (answer["client"], codes(answer)) == (None, ["NOT_FOUND"])
    assert await RosterEntry.all().count() == 0


async def test_no_rule_counts_an_invitation_as_a_roster_entry(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    await invite(api, practice.provider, practice.id, cleo)
    payload = await schedule(api, practice, str(cleo.client_id), local(3, "10:00"))
    assert (payload["appointments"], codes(payload)) == ([], ["NOT_FOUND"])


async def test_the_client_sees_who_invited_them(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann Provider")
    cleo = await a_client(api, "cleo@example.com")
    await invite(api, ann, ann.provider_id, cleo)
    assert await my_invitations(api, cleo) == [
        {"id": ann.provider_id, "displayName": "Ann Provider"}
    ]


async def test_accepting_puts_the_client_on_the_active_roster_where_the_provider_sees_them(
    api: Api,
) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann Provider")
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    await invite(api, ann, ann.provider_id, cleo)
    payload = await respond(api, cleo, ann.provider_id, True)
    assert payload["errors"] == []
    assert payload["provider"] == {"id": ann.provider_id}
    assert payload["client"]["id"] == cleo.client_id
    assert await roster_of(api, ann, "ACTIVE") == [cleo.client_id]
    seen = await client_seen_by(api, ann, cleo)
    assert (seen["id"], seen["fullName"]) == (cleo.client_id, "Cleo Client")
    assert await my_invitations(api, cleo) == []
    assert await RosterInvitation.all().count() == 0
    entry = await RosterEntry.get(client_id=(await client_row(cleo)).id)
    assert (entry.provider_id, entry.status) == ((await provider_row(ann)).id, RosterStatus.ACTIVE)


async def test_declining_drops_the_invitation_and_the_provider_still_sees_nothing(
    api: Api,
) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann Provider")
    cleo = await a_client(api, "cleo@example.com")
    await invite(api, ann, ann.provider_id, cleo)
    payload = await respond(api, cleo, ann.provider_id, False)
    assert payload["errors"] == []
    assert (payload["provider"], payload["client"]["id"]) == (
        {"id": ann.provider_id},
        cleo.client_id,
    )
    assert await my_invitations(api, cleo) == []
    await sees_nothing_of(api, ann, cleo)
    assert await RosterInvitation.all().count() == 0
    assert await RosterEntry.all().count() == 0
    again = await respond(api, cleo, ann.provider_id, True)
    assert codes(again) == ["NOT_FOUND"]


async def test_inviting_again_while_one_is_pending_sends_no_second_email(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    team = await a_team(api)
    cleo = await a_client(api, "cleo@example.com")
    await invite(api, team.member, team.member.provider_id, cleo)
    await smtp_server.wait_for(cleo.email, kind=KIND)
    before = await db_state()
    payload = await invite(api, team.admin, team.member.provider_id, cleo)
    assert payload["client"] is None
    assert await db_state() == before
    assert await invitation_mails() == 1
    await deliver_due_mail(app)  # a second mail, were one queued, would now have arrived
    assert len(await smtp_server.wait_for(cleo.email, kind=KIND)) == 1


async def test_a_booking_through_the_link_settles_the_invitation(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    await invite(api, practice.provider, practice.id, cleo)
    booked = await book(api, cleo, practice.slug, local(3, "10:00"))
    assert booked["errors"] == []
    assert await roster_of(api, practice.provider, "ACTIVE") == [cleo.client_id]
    assert await my_invitations(api, cleo) == []
    assert await RosterInvitation.all().count() == 0


AT_ONCE = [
    "active on this provider's roster",
    "archived on this provider's roster",
    "active on another group provider's roster",
    "archived on another group provider's roster",
]


@pytest.mark.parametrize("care", [*AT_ONCE, "on the roster of a provider outside the group"])
async def test_only_a_client_already_in_care_with_the_practice_is_added_at_once(
    api: Api, care: str
) -> None:
    team = await a_team(api)
    cleo = await a_client(api, "cleo@example.com")
    if "this provider" in care:
        caring = team.member
    elif "another group provider" in care:
        caring = team.owner
    else:
        caring = await a_provider(api, "sol@example.com", "Sol Solo")
    client_id = await on_roster(api, caring, str(caring.provider_id), cleo)
    if "archived" in care:
        archive = {"providerId": caring.provider_id, "clientId": client_id}
        await succeed(api, ARCHIVE_CLIENT, "archiveClient", archive, caring.token)
    assert await entry_of(team.member, cleo) == ("this provider" in care)
    invitations_sent = await invitation_mails()
    payload = await invite(api, team.admin, team.member.provider_id, cleo)
    if care not in AT_ONCE:  # care elsewhere is not care with this practice
        assert payload["client"] is None
        assert await roster_of(api, team.member, "ACTIVE") == []
        assert await invitation_mails() == invitations_sent + 1
        return
    assert payload["client"] == {
        "id": cleo.client_id,
        "email": cleo.email,
        "fullName": "Casey Client",
    }
    assert await roster_of(api, team.member, "ACTIVE") == [cleo.client_id]
    assert await RosterInvitation.all().count() == 0
    assert await invitation_mails() == invitations_sent


@pytest.mark.parametrize(
    "who", ["a client with no invitation", "another client", "the inviting provider"]
)
async def test_answering_without_a_pending_invitation_is_not_found(api: Api, who: str) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann Provider")
    cleo = await a_client(api, "cleo@example.com")
    dan = await a_client(api, "dan@example.com", "Dan Doe")
    if who != "a client with no invitation":
        await invite(api, ann, ann.provider_id, cleo)
    caller = cleo if who == "a client with no invitation" else dan
    if who == "the inviting provider":
        caller = ann
    before = await db_state()
    payload = await respond(api, caller, ann.provider_id, True)
    assert payload["client"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "providerId")]
    assert await db_state() == before


async def test_an_anonymous_answer_is_unauthenticated(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann Provider")
    cleo = await a_client(api, "cleo@example.com")
    await invite(api, ann, ann.provider_id, cleo)
    variables = {"input": {"providerId": ann.provider_id, "accept": True}}
    result = await api(RESPOND_TO_ROSTER_INVITATION, variables)
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert await RosterInvitation.all().count() == 1


async def test_only_the_client_sees_their_roster_invitations(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann Provider")
    bea = await a_provider(api, "bea@example.com", "Bea Provider")
    cleo = await a_client(api, "cleo@example.com")
    dan = await a_client(api, "dan@example.com", "Dan Doe")
    await on_roster(api, ann, str(ann.provider_id), cleo)  # Ann sees Cleo herself
    await invite(api, bea, bea.provider_id, cleo)
    variables = {"id": cleo.client_id}
    own = await api.data(CLIENT_INVITATIONS, variables, token=cleo.token)
    assert own["node"]["rosterInvitations"] == [{"id": bea.provider_id}]
    by_ann = await api(CLIENT_INVITATIONS, variables, token=ann.token)
    assert error_codes(by_ann) == ["FORBIDDEN"]
    for stranger in (dan.token, bea.token, None):
        result = await api.data(CLIENT_INVITATIONS, variables, token=stranger)
        assert result["node"] is None
