"""Group practices: creating one, its team and admins, archiving, removal and payouts."""

from __future__ import annotations

import asyncio

import pytest

from carepath.models import (
    Group,
    GroupMembership,
    Payout,
    Provider,
    ProviderRemovalRequest,
    User,
)
from carepath.models.enums import GroupRole, PayoutStatus, ProviderStatus
from tests.practice_steps import (
    ADD_GROUP_ADMIN,
    ADD_PROVIDER_TO_GROUP,
    ARCHIVE_PROVIDER,
    COMPLETE_REMOVAL,
    CREATE_GROUP,
    MARK_PAYOUTS_PAID,
    REQUEST_REMOVAL,
    UNARCHIVE_PROVIDER,
    Person,
    a_client,
    a_group,
    a_group_admin,
    a_group_provider,
    a_payout,
    a_provider,
    a_staff_member,
    codes,
    db_state,
    mutate,
    on_roster,
    provider_row,
    succeed,
)
from tests.support import Api

ME = "query { me { id roles administers { id name } providerProfile { id group { id } } } }"
GROUP = """
query Group($id: ID!, $all: Boolean!) {
  node(id: $id) {
    ... on Group { id name providers(includeArchived: $all) { edges { node { id status } } } }
  }
}
"""
GROUP_ADMINS = "query G($id: ID!) { node(id: $id) { ... on Group { owner { id } admins { id } } } }"
REMOVAL_REQUESTS = """
query G($id: ID!) { node(id: $id) { ... on Group { removalRequests { id status } } } }
"""
PROVIDER = "query P($id: ID!) { node(id: $id) { ... on Provider { id status } } }"
DIRECTORY = "query { providers { edges { node { id } } } }"
PAYOUTS = """
query Payouts($groupId: ID!, $status: PayoutStatus) {
  payouts(groupId: $groupId, status: $status) { id status paidAt }
}
"""


async def listed(api: Api, group_id: str, token: str | None, include_archived: bool) -> set[str]:
    node = (await api.data(GROUP, {"id": group_id, "all": include_archived}, token=token))["node"]
    return {edge["node"]["id"] for edge in node["providers"]["edges"]}


async def in_directory(api: Api) -> set[str]:
    return {e["node"]["id"] for e in (await api.data(DIRECTORY))["providers"]["edges"]}


async def a_practice(api: Api) -> tuple[Person, str, Person]:
    """An owner (a provider) with a group, and a second provider the owner added."""
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    member = await a_group_provider(api, group_id, owner, "member@example.com", "Mo Member")
    return owner, group_id, member


async def test_provider_creates_a_group_and_becomes_its_owner(api: Api) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    payload = await succeed(api, CREATE_GROUP, "createGroup", {"name": "Calm Minds"}, owner.token)
    group_id = payload["group"]["id"]
    assert payload["group"]["name"] == "Calm Minds"
    me = (await api.data(ME, token=owner.token))["me"]
    assert "GROUP_ADMIN" in me["roles"]
    assert me["administers"] == [{"id": group_id, "name": "Calm Minds"}]
    assert me["providerProfile"]["group"] == {"id": group_id}
    admins = (await api.data(GROUP_ADMINS, {"id": group_id}, token=owner.token))["node"]
    assert admins["owner"] == {"id": me["id"]}
    assert await listed(api, group_id, None, False) == {owner.provider_id}
    group = await Group.get()
    assert group.owner_id == owner.pk
    assert (await provider_row(owner)).group_id == group.id
    membership = await GroupMembership.get(user_id=owner.pk)
    assert (membership.group_id, membership.role) == (group.id, GroupRole.OWNER)


async def test_only_a_provider_can_create_a_group(api: Api) -> None:
    client = await a_client(api, "client@example.com")
    payload = await mutate(api, CREATE_GROUP, "createGroup", {"name": "Mine"}, client.token)
    assert (payload["group"], codes(payload)) == (None, ["FORBIDDEN"])
    assert await Group.all().count() == 0


async def test_provider_with_an_unverified_email_cannot_create_a_group(api: Api) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    # Model given-step: an email change is the only way back to unverified.
    await User.filter(id=owner.pk).update(email_verified_at=None)
    payload = await mutate(api, CREATE_GROUP, "createGroup", {"name": "Mine"}, owner.token)
    assert codes(payload) == ["EMAIL_NOT_VERIFIED"]
    assert await Group.all().count() == 0


@pytest.mark.parametrize("who", ["owner", "member"])
async def test_provider_already_in_a_group_cannot_create_another(api: Api, who: str) -> None:
    owner, _, member = await a_practice(api)
    before = await db_state()
    caller = owner if who == "owner" else member
    payload = await mutate(api, CREATE_GROUP, "createGroup", {"name": "Second"}, caller.token)
    assert (payload["group"], codes(payload)) == (None, ["ALREADY_MEMBER"])
    assert await db_state() == before


async def test_owner_adds_a_verified_account_as_a_telehealth_provider(api: Api) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    newcomer = await a_client(api, "new@example.com", "Nia New")
    request = {"groupId": group_id, "email": "new@example.com", "displayName": "Nia New, LPC"}
    payload = await succeed(api, ADD_PROVIDER_TO_GROUP, "addProviderToGroup", request, owner.token)
    provider = payload["provider"]
    assert provider["displayName"] == "Nia New, LPC"
    assert (provider["offersTelehealth"], provider["offersInPerson"]) == (True, False)
    assert (provider["intakeMode"], provider["timeZone"]) == (
        "PHONE_CONSULTATION",
        "America/New_York",
    )
    assert (provider["status"], provider["group"]) == ("ACTIVE", {"id": group_id})
    me = (await api.data(ME, token=newcomer.token))["me"]
    assert me["providerProfile"]["id"] == provider["id"]
    assert (await provider_row(newcomer)).group_id == (await Group.get()).id


async def test_a_solo_providers_own_profile_joins_the_group(api: Api) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    solo = await a_provider(api, "solo@example.com", "Sol", offersInPerson=True, officeState="NY")
    request = {"groupId": group_id, "email": "solo@example.com", "displayName": "Sol"}
    payload = await succeed(api, ADD_PROVIDER_TO_GROUP, "addProviderToGroup", request, owner.token)
    assert payload["provider"]["id"] == solo.provider_id
    assert payload["provider"]["group"] == {"id": group_id}
    assert await Provider.all().count() == 2
    row = await provider_row(solo)
    assert (row.offers_in_person, row.office_state) == (True, "NY")


async def test_a_group_admin_adds_providers_too(api: Api) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    admin = await a_group_admin(api, group_id, owner, "admin@example.com")
    member = await a_group_provider(api, group_id, admin, "member@example.com")
    assert await listed(api, group_id, None, False) == {owner.provider_id, member.provider_id}


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("ghost@example.com", "ACCOUNT_NOT_FOUND"),
        ("unverified@example.com", "ACCOUNT_NOT_VERIFIED"),
        ("member@example.com", "ALREADY_MEMBER"),
        ("owner@example.com", "ALREADY_MEMBER"),
        ("rival@example.com", "ALREADY_MEMBER"),
    ],
    ids=["unknown", "unverified", "in-this-group", "the-owner", "in-another-group"],
)
async def test_adding_a_provider_is_refused(api: Api, email: str, code: str) -> None:
    owner, group_id, _ = await a_practice(api)
    await a_client(api, "unverified@example.com", verified=False)
    await a_group(api, await a_provider(api, "rival@example.com", "Rita Rival"), "Rivals")
    before = await db_state()
    request = {"groupId": group_id, "email": email, "displayName": "Someone"}
    payload = await mutate(api, ADD_PROVIDER_TO_GROUP, "addProviderToGroup", request, owner.token)
    assert (payload["provider"], codes(payload)) == (None, [code])
    assert await db_state() == before


async def test_owner_makes_a_verified_account_a_group_admin(api: Api) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    ada = await a_client(api, "admin@example.com", "Ada Admin")
    request = {"groupId": group_id, "email": "ADMIN@example.com"}
    payload = await succeed(api, ADD_GROUP_ADMIN, "addGroupAdmin", request, owner.token)
    assert payload["group"]["id"] == group_id
    me = (await api.data(ME, token=ada.token))["me"]
    assert "GROUP_ADMIN" in me["roles"] and me["providerProfile"] is None
    assert [g["id"] for g in me["administers"]] == [group_id]
    admins = (await api.data(GROUP_ADMINS, {"id": group_id}, token=owner.token))["node"]["admins"]
    assert me["id"] in {a["id"] for a in admins}
    assert (await GroupMembership.get(user_id=ada.pk)).role == GroupRole.ADMIN


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("ghost@example.com", "ACCOUNT_NOT_FOUND"),
        ("unverified@example.com", "ACCOUNT_NOT_VERIFIED"),
        ("admin@example.com", "ALREADY_MEMBER"),
        ("owner@example.com", "ALREADY_MEMBER"),
    ],
    ids=["unknown", "unverified", "already-admin", "the-owner"],
)
async def test_adding_a_group_admin_is_refused(api: Api, email: str, code: str) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    await a_group_admin(api, group_id, owner, "admin@example.com")
    await a_client(api, "unverified@example.com", verified=False)
    before = await db_state()
    request = {"groupId": group_id, "email": email}
    payload = await mutate(api, ADD_GROUP_ADMIN, "addGroupAdmin", request, owner.token)
    assert (payload["group"], codes(payload)) == (None, [code])
    assert await db_state() == before


async def test_archived_provider_is_hidden_from_the_public(api: Api) -> None:
    owner, group_id, member = await a_practice(api)
    request = {"providerId": member.provider_id}
    payload = await succeed(api, ARCHIVE_PROVIDER, "archiveProvider", request, owner.token)
    assert payload["provider"] == {"id": member.provider_id, "status": "ARCHIVED"}
    assert (await provider_row(member)).status == ProviderStatus.ARCHIVED
    assert await in_directory(api) == {owner.provider_id}
    assert await listed(api, group_id, None, True) == {owner.provider_id}
    assert (await api.data(PROVIDER, {"id": member.provider_id}))["node"] is None


async def test_admins_still_reach_an_archived_provider(api: Api) -> None:
    owner, group_id, member = await a_practice(api)
    await succeed(
        api, ARCHIVE_PROVIDER, "archiveProvider", {"providerId": member.provider_id}, owner.token
    )
    assert await listed(api, group_id, owner.token, False) == {owner.provider_id}
    assert await listed(api, group_id, owner.token, True) == {owner.provider_id, member.provider_id}
    node = (await api.data(PROVIDER, {"id": member.provider_id}, token=owner.token))["node"]
    assert node == {"id": member.provider_id, "status": "ARCHIVED"}


async def test_unarchiving_makes_the_provider_public_again(api: Api) -> None:
    owner, group_id, member = await a_practice(api)
    request = {"providerId": member.provider_id}
    await succeed(api, ARCHIVE_PROVIDER, "archiveProvider", request, owner.token)
    payload = await succeed(api, UNARCHIVE_PROVIDER, "unarchiveProvider", request, owner.token)
    assert payload["provider"]["status"] == "ACTIVE"
    assert await in_directory(api) == {owner.provider_id, member.provider_id}
    assert await listed(api, group_id, None, False) == {owner.provider_id, member.provider_id}


@pytest.mark.parametrize("case", ["member archives themself", "owner archives a solo provider"])
async def test_archiving_needs_an_admin_of_the_providers_group(api: Api, case: str) -> None:
    owner, _, member = await a_practice(api)
    solo = await a_provider(api, "solo@example.com", "Sol")
    caller, target = (member, member) if case.startswith("member") else (owner, solo)
    before = await db_state()
    payload = await mutate(
        api, ARCHIVE_PROVIDER, "archiveProvider", {"providerId": target.provider_id}, caller.token
    )
    assert (payload["provider"], codes(payload)) == (None, ["NOT_IN_GROUP"])
    assert await db_state() == before


async def test_removal_waits_for_the_last_pending_payout(api: Api) -> None:
    owner, _, member = await a_practice(api)
    await a_payout(member, owner, PayoutStatus.PAID)
    await a_payout(member, owner, PayoutStatus.PENDING)
    before = await db_state()
    request = {"providerId": member.provider_id}
    payload = await mutate(api, REQUEST_REMOVAL, "requestProviderRemoval", request, owner.token)
    assert (payload["removalRequest"], codes(payload)) == (None, ["PENDING_PAYOUTS"])
    assert await db_state() == before


async def test_removal_request_hides_the_provider(api: Api) -> None:
    owner, group_id, member = await a_practice(api)
    await a_payout(member, owner, PayoutStatus.PAID)
    request = {"providerId": member.provider_id}
    payload = await succeed(api, REQUEST_REMOVAL, "requestProviderRemoval", request, owner.token)
    removal = payload["removalRequest"]
    assert removal["status"] == "PENDING"
    assert removal["provider"] == {"id": member.provider_id, "status": "REMOVAL_REQUESTED"}
    assert (await provider_row(member)).status == ProviderStatus.REMOVAL_REQUESTED
    assert await in_directory(api) == {owner.provider_id}
    assert await listed(api, group_id, None, False) == {owner.provider_id}
    requests = (await api.data(REMOVAL_REQUESTS, {"id": group_id}, token=owner.token))["node"]
    assert requests["removalRequests"] == [{"id": removal["id"], "status": "PENDING"}]


async def test_simultaneous_removal_requests_make_one(api: Api) -> None:
    owner, _, member = await a_practice(api)
    request = {"providerId": member.provider_id}
    payloads = await asyncio.gather(
        *(mutate(api, REQUEST_REMOVAL, "requestProviderRemoval", request, owner.token)
          for _ in range(5))
    )  # fmt: skip
    assert all(p["errors"] == [] for p in payloads)
    assert len({p["removalRequest"]["id"] for p in payloads}) == 1  # the same request
    assert await ProviderRemovalRequest.all().count() == 1


async def removal_requested(api: Api) -> tuple[Person, str, Person, str]:
    owner, group_id, member = await a_practice(api)
    request = {"providerId": member.provider_id}
    payload = await succeed(api, REQUEST_REMOVAL, "requestProviderRemoval", request, owner.token)
    return owner, group_id, member, payload["removalRequest"]["id"]


async def test_staff_completes_a_removal_and_the_provider_leaves_the_group(api: Api) -> None:
    owner, group_id, member, removal_id = await removal_requested(api)
    staff = await a_staff_member(api)
    request = {"removalRequestId": removal_id}
    payload = await succeed(api, COMPLETE_REMOVAL, "completeProviderRemoval", request, staff.token)
    assert payload["removalRequest"]["status"] == "COMPLETED"
    assert (await provider_row(member)).status == ProviderStatus.REMOVED
    assert (await ProviderRemovalRequest.get()).status == "COMPLETED"
    assert await listed(api, group_id, owner.token, True) == {owner.provider_id}


GROUP_RECORDS = """
query G($group: ID!, $client: ID!) {
  group: node(id: $group) {
    ... on Group { appointments { edges { node { status provider { id } client { id } } } } }
  }
  client: node(id: $client) { id }
}
"""


CLIENT_NODE = "query C($id: ID!) { node(id: $id) { id } }"


async def test_a_removed_providers_sessions_stay_in_the_groups_records(api: Api) -> None:
    owner, group_id, member = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    client_id = await on_roster(api, owner, member.provider_id or "", cleo)
    await a_payout(member, cleo, PayoutStatus.PAID)
    removal = await succeed(
        api, REQUEST_REMOVAL, "requestProviderRemoval", {"providerId": member.provider_id},
        owner.token,
    )  # fmt: skip
    staff = await a_staff_member(api)
    request = {"removalRequestId": removal["removalRequest"]["id"]}
    await succeed(api, COMPLETE_REMOVAL, "completeProviderRemoval", request, staff.token)

    seen = await api.data(GROUP_RECORDS, {"group": group_id, "client": client_id}, owner.token)
    assert seen["group"]["appointments"]["edges"] == [
        {"node": {"status": "CONFIRMED", "provider": {"id": member.provider_id},
                  "client": {"id": client_id}}}
    ]  # fmt: skip
    assert seen["client"] == {"id": client_id}
    stranger = await a_provider(api, "other@example.com", "Oz Other")
    unseen = await api.data(CLIENT_NODE, {"id": client_id}, stranger.token)
    assert unseen["node"] is None


async def test_only_staff_complete_a_removal(api: Api) -> None:
    owner, _, _, removal_id = await removal_requested(api)
    before = await db_state()
    request = {"removalRequestId": removal_id}
    payload = await mutate(api, COMPLETE_REMOVAL, "completeProviderRemoval", request, owner.token)
    assert (payload["removalRequest"], codes(payload)) == (None, ["FORBIDDEN"])
    assert await db_state() == before


async def test_a_completed_removal_cannot_be_completed_again(api: Api) -> None:
    _, _, _, removal_id = await removal_requested(api)
    staff = await a_staff_member(api)
    request = {"removalRequestId": removal_id}
    await succeed(api, COMPLETE_REMOVAL, "completeProviderRemoval", request, staff.token)
    before = await db_state()
    payload = await mutate(api, COMPLETE_REMOVAL, "completeProviderRemoval", request, staff.token)
    assert (payload["removalRequest"], codes(payload)) == (None, ["INVALID_STATUS"])
    assert await db_state() == before


async def test_removal_of_a_provider_no_longer_awaiting_it_is_invalid_status(api: Api) -> None:
    _, _, member, removal_id = await removal_requested(api)
    staff = await a_staff_member(api)
    # Model given-step: the provider is no longer REMOVAL_REQUESTED.
    await Provider.filter(user_id=member.pk).update(status=ProviderStatus.ACTIVE)
    before = await db_state()
    request = {"removalRequestId": removal_id}
    payload = await mutate(api, COMPLETE_REMOVAL, "completeProviderRemoval", request, staff.token)
    assert codes(payload) == ["INVALID_STATUS"]
    assert await db_state() == before


async def test_staff_marks_payouts_paid_and_removal_can_proceed(api: Api) -> None:
    owner, _, member = await a_practice(api)
    staff = await a_staff_member(api)
    await a_payout(member, owner)
    await a_payout(member, owner)
    request = {"providerId": member.provider_id}
    payload = await succeed(api, MARK_PAYOUTS_PAID, "markPayoutsPaid", request, staff.token)
    assert len(payload["payouts"]) == 2
    assert all(p["status"] == "PAID" and p["paidAt"] for p in payload["payouts"])
    assert await Payout.filter(status=PayoutStatus.PENDING).count() == 0
    await succeed(api, REQUEST_REMOVAL, "requestProviderRemoval", request, owner.token)


async def test_only_staff_mark_payouts_paid(api: Api) -> None:
    owner, _, member = await a_practice(api)
    await a_payout(member, owner)
    before = await db_state()
    request = {"providerId": member.provider_id}
    payload = await mutate(api, MARK_PAYOUTS_PAID, "markPayoutsPaid", request, owner.token)
    assert (payload["payouts"], codes(payload)) == ([], ["FORBIDDEN"])
    assert await db_state() == before


@pytest.mark.parametrize("viewer", ["owner", "staff"])
async def test_group_admins_and_staff_list_payouts_by_status(api: Api, viewer: str) -> None:
    owner, group_id, member = await a_practice(api)
    await a_payout(member, owner)
    await a_payout(member, owner, PayoutStatus.PAID)
    token = owner.token if viewer == "owner" else (await a_staff_member(api)).token
    found = await api.data(PAYOUTS, {"groupId": group_id, "status": "PENDING"}, token=token)
    assert [p["status"] for p in found["payouts"]] == ["PENDING"]
    assert found["payouts"][0]["paidAt"] is None
    paid = await api.data(PAYOUTS, {"groupId": group_id, "status": "PAID"}, token=token)
    assert [p["status"] for p in paid["payouts"]] == ["PAID"]
