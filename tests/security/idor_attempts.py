"""The mutations of the IDOR matrix (tests/security/test_idor_matrix.py): each names an
object of the world that some viewers may not touch, with the refusal each gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.scheduling_steps import iso, local
from tests.security.world import (
    ADMIN,
    ANONYMOUS,
    CLIENT,
    COLLEAGUE,
    OTHER_ADMIN,
    OTHER_CLIENT,
    OWNER,
    PROVIDER,
    SOLO,
    STAFF,
    STRANGER_CLIENT,
    STRANGER_PROVIDER,
    World,
)

NOT_FOUND = "NOT_FOUND"


@dataclass(frozen=True)
class Attempt:
    mutation: str
    input_type: str
    request: Callable[[World], dict[str, Any]]
    refused: dict[str, str]  # viewer -> the payload error code

    @property
    def viewers(self) -> dict[str, str]:
        return self.refused


def later(days: int = 9) -> str:
    return iso(local(days, "15:00"))


def by(code: str, *viewers: str) -> dict[str, str]:
    return dict.fromkeys(viewers, code) | {ANONYMOUS: "UNAUTHENTICATED"}


NOT_CLEOS = (COLLEAGUE, OTHER_CLIENT, STRANGER_CLIENT, STRANGER_PROVIDER, OTHER_ADMIN, STAFF)
NOT_DANS = (CLIENT, PROVIDER, COLLEAGUE, OWNER, ADMIN, STRANGER_PROVIDER, OTHER_ADMIN, STAFF)
NOT_IN_CLEO_PIA = (
    COLLEAGUE,
    SOLO,
    OTHER_CLIENT,
    STRANGER_CLIENT,
    STRANGER_PROVIDER,
    OTHER_ADMIN,
)
NOT_IN_CLEO_SOL = (PROVIDER, COLLEAGUE, OWNER, ADMIN, OTHER_CLIENT, STRANGER_PROVIDER, OTHER_ADMIN)
NOT_PARTIES = (COLLEAGUE, OWNER, ADMIN, SOLO, OTHER_CLIENT, STRANGER_CLIENT, STRANGER_PROVIDER)
NOT_PIAS_PLATFORM = (CLIENT, COLLEAGUE, SOLO, STRANGER_CLIENT, STRANGER_PROVIDER, OTHER_ADMIN)


def on_client(name: str, **extra: Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"clientId": w.id(name)} | extra


def on_appointment(name: str, **extra: Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"appointmentId": w.id(name)} | extra


ATTEMPTS: dict[str, Attempt] = {
    "setInsurance(Cleo)": Attempt(
        "setInsurance",
        "SetInsuranceInput",
        on_client("client:cleo", payerName="Evil", inNetwork=False),
        by(NOT_FOUND, *NOT_CLEOS),
    ),
    "setInsurance(Dan)": Attempt(
        "setInsurance",
        "SetInsuranceInput",
        on_client("client:dan", payerName="Evil", inNetwork=False),
        by(NOT_FOUND, *NOT_DANS),
    ),
    "addClientLocation(Cleo)": Attempt(
        "addClientLocation",
        "AddClientLocationInput",
        on_client("client:cleo", state="TX"),
        by(NOT_FOUND, *NOT_CLEOS),
    ),
    "addClientLocation(Dan)": Attempt(
        "addClientLocation",
        "AddClientLocationInput",
        on_client("client:dan", state="TX"),
        by(NOT_FOUND, *NOT_DANS),
    ),
    "archiveClient(Pia, Dan)": Attempt(
        "archiveClient",
        "ArchiveClientInput",
        lambda w: {"providerId": w.id("provider:pia"), "clientId": w.id("client:dan")},
        by(NOT_FOUND, PROVIDER, OWNER, ADMIN),
    ),
    "archiveClient(Pia, Cleo)": Attempt(
        "archiveClient",
        "ArchiveClientInput",
        lambda w: {"providerId": w.id("provider:pia"), "clientId": w.id("client:cleo")},
        by(NOT_FOUND, COLLEAGUE, STRANGER_PROVIDER, OTHER_ADMIN, OTHER_CLIENT, STRANGER_CLIENT),
    ),
    "archiveClient(Uma's own roster, Cleo)": Attempt(
        "archiveClient",
        "ArchiveClientInput",
        lambda w: {"providerId": w.id("provider:uma"), "clientId": w.id("client:cleo")},
        by(NOT_FOUND, STRANGER_PROVIDER),
    ),
    "transferClient(Dan, Pia to Gale)": Attempt(
        "transferClient",
        "TransferClientInput",
        lambda w: {
            "clientId": w.id("client:dan"),
            "fromProviderId": w.id("provider:pia"),
            "toProviderId": w.id("provider:gale"),
        },
        by(NOT_FOUND, OWNER, ADMIN),
    ),
    "transferClient(Cleo, Pia to Gale)": Attempt(
        "transferClient",
        "TransferClientInput",
        lambda w: {
            "clientId": w.id("client:cleo"),
            "fromProviderId": w.id("provider:pia"),
            "toProviderId": w.id("provider:gale"),
        },
        by(NOT_FOUND, COLLEAGUE, OTHER_ADMIN, STRANGER_PROVIDER),
    ),
    "scheduleAppointment(Pia, Dan)": Attempt(
        "scheduleAppointment",
        "ScheduleAppointmentInput",
        lambda w: {
            "providerId": w.id("provider:pia"),
            "clientId": w.id("client:dan"),
            "startsAt": later(),
            "modality": "TELEHEALTH",
        },
        by(NOT_FOUND, PROVIDER, OWNER, ADMIN),
    ),
    "scheduleAppointment(own profile, Cleo)": Attempt(
        "scheduleAppointment",
        "ScheduleAppointmentInput",
        lambda w: {
            "providerId": w.id("provider:uma"),
            "clientId": w.id("client:cleo"),
            "startsAt": later(),
            "modality": "TELEHEALTH",
        },
        by(NOT_FOUND, STRANGER_PROVIDER),
    ),
    "scheduleAppointment(Gale, Cleo)": Attempt(
        "scheduleAppointment",
        "ScheduleAppointmentInput",
        lambda w: {
            "providerId": w.id("provider:gale"),
            "clientId": w.id("client:cleo"),
            "startsAt": later(),
            "modality": "TELEHEALTH",
        },
        by(NOT_FOUND, COLLEAGUE),
    ),
    "rescheduleAppointment(Cleo-Pia)": Attempt(
        "rescheduleAppointment",
        "RescheduleAppointmentInput",
        lambda w: {"appointmentId": w.id("appointment:cleo-pia"), "startsAt": later()},
        by(NOT_FOUND, *NOT_IN_CLEO_PIA),
    ),
    "rescheduleAppointment(Cleo-Sol)": Attempt(
        "rescheduleAppointment",
        "RescheduleAppointmentInput",
        lambda w: {"appointmentId": w.id("appointment:cleo-sol"), "startsAt": later()},
        by(NOT_FOUND, *NOT_IN_CLEO_SOL),
    ),
    "cancelAppointment(Cleo-Pia)": Attempt(
        "cancelAppointment",
        "CancelAppointmentInput",
        on_appointment("appointment:cleo-pia", reason="Evil"),
        by(NOT_FOUND, *NOT_IN_CLEO_PIA),
    ),
    "cancelAppointment(Cleo-Sol)": Attempt(
        "cancelAppointment",
        "CancelAppointmentInput",
        on_appointment("appointment:cleo-sol", reason="Evil"),
        by(NOT_FOUND, *NOT_IN_CLEO_SOL),
    ),
    "confirmSession(Cleo-Pia)": Attempt(
        "confirmSession",
        "ConfirmSessionInput",
        on_appointment("appointment:cleo-pia", billingType="PRIVATE_PAY"),
        by(NOT_FOUND, *NOT_IN_CLEO_PIA),
    ),
    "confirmSession(Cleo-Sol)": Attempt(
        "confirmSession",
        "ConfirmSessionInput",
        on_appointment("appointment:cleo-sol", billingType="PRIVATE_PAY"),
        by(NOT_FOUND, *NOT_IN_CLEO_SOL),
    ),
    "sendMessage(conversation Cleo-Pia)": Attempt(
        "sendMessage",
        "SendMessageInput",
        lambda w: {"conversationId": w.id("conversation:cleo-pia"), "body": "Intruder"},
        by(NOT_FOUND, *NOT_PARTIES, OTHER_ADMIN, STAFF),
    ),
    "sendMessage(conversation Dan-Sol)": Attempt(
        "sendMessage",
        "SendMessageInput",
        lambda w: {"conversationId": w.id("conversation:dan-sol"), "body": "Intruder"},
        by(NOT_FOUND, CLIENT, PROVIDER, OWNER, ADMIN, STAFF),
    ),
    "sendMessage(client Dan)": Attempt(
        "sendMessage",
        "SendMessageInput",
        lambda w: {"clientId": w.id("client:dan"), "body": "Intruder"},
        by(NOT_FOUND, PROVIDER, COLLEAGUE, OWNER, STRANGER_PROVIDER),
    ),
    "sendMessage(client Cleo)": Attempt(
        "sendMessage",
        "SendMessageInput",
        lambda w: {"clientId": w.id("client:cleo"), "body": "Intruder"},
        by(NOT_FOUND, COLLEAGUE, STRANGER_PROVIDER),
    ),
    "markConversationRead(Cleo-Pia)": Attempt(
        "markConversationRead",
        "MarkConversationReadInput",
        lambda w: {"conversationId": w.id("conversation:cleo-pia")},
        by(NOT_FOUND, *NOT_PARTIES, OTHER_ADMIN, STAFF),
    ),
    "markConversationRead(Dan-Sol)": Attempt(
        "markConversationRead",
        "MarkConversationReadInput",
        lambda w: {"conversationId": w.id("conversation:dan-sol")},
        by(NOT_FOUND, CLIENT, PROVIDER, OWNER, ADMIN, STAFF),
    ),
    "updateTelehealthLocation(Pia's)": Attempt(
        "updateTelehealthLocation",
        "UpdateTelehealthLocationInput",
        lambda w: {"telehealthLocationId": w.id("telehealth:pia"), "url": "https://evil.test/x"},
        by(NOT_FOUND, *NOT_PIAS_PLATFORM, STAFF) | dict.fromkeys((OWNER, ADMIN), "FORBIDDEN"),
    ),
    "removeTelehealthLocation(Pia's)": Attempt(
        "removeTelehealthLocation",
        "RemoveTelehealthLocationInput",
        lambda w: {"telehealthLocationId": w.id("telehealth:pia")},
        by(NOT_FOUND, *NOT_PIAS_PLATFORM, STAFF) | dict.fromkeys((OWNER, ADMIN), "FORBIDDEN"),
    ),
    "updateProvider(archived Quinn)": Attempt(
        "updateProvider",
        "UpdateProviderInput",
        lambda w: {"providerId": w.id("provider:quinn (archived)"), "displayName": "Evil"},
        by(NOT_FOUND, COLLEAGUE, SOLO, STRANGER_PROVIDER, OTHER_ADMIN, CLIENT),
    ),
    "setAvailability(archived Quinn)": Attempt(
        "setAvailability",
        "SetAvailabilityInput",
        lambda w: {
            "providerId": w.id("provider:quinn (archived)"),
            "windows": [{"weekday": 1, "start": "09:00", "end": "10:00"}],
        },
        by(NOT_FOUND, COLLEAGUE, SOLO, STRANGER_PROVIDER, OTHER_ADMIN, CLIENT),
    ),
    "unarchiveProvider(archived Quinn)": Attempt(
        "unarchiveProvider",
        "ProviderIdInput",
        lambda w: {"providerId": w.id("provider:quinn (archived)")},
        by(NOT_FOUND, COLLEAGUE, SOLO, STRANGER_PROVIDER, OTHER_ADMIN, CLIENT),
    ),
}
