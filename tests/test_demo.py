"""`carepath demo` loads a practice that the API then shows, and is safe to run twice."""

from __future__ import annotations

from carepath.demo import OWNER, PASSWORD, load_demo
from carepath.models import Appointment, Conversation, Provider
from carepath.models.enums import AppointmentStatus
from carepath.settings import Settings
from tests.support import Api

LOG_IN = """
mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { token } }
"""
GROUP = """
{ me { administers { name providers(includeArchived: true) { edges { node { displayName
  appointments { edges { node { status } } } } } } } } }
"""


async def test_demo_data_is_explorable_through_the_api(api: Api, settings: Settings) -> None:
    await load_demo(settings)
    await load_demo(settings)  # a second run changes nothing
    assert await Provider.all().count() == 3
    assert await Conversation.all().count() == 3
    assert await Appointment.filter(status=AppointmentStatus.CONFIRMED).count() == 3
    token = (await api.data(LOG_IN, {"e": OWNER, "p": PASSWORD}))["logIn"]["token"]
    [group] = (await api.data(GROUP, token=token))["me"]["administers"]
    assert group["name"] == "Calm Minds Group Practice"
    providers = group["providers"]["edges"]
    assert len(providers) == 3
    assert all(len(p["node"]["appointments"]["edges"]) == 2 for p in providers)
