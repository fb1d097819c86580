"""The per-request context: settings, the actor, loaders, the event bus.

Over a WebSocket, each operation gets a context of its own (see schema/socket_handler.py);
`socket` is the connection's session state, shared by its operations; `phi` (the PHI access
log's collector) is per operation too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from strawberry.types import Info as StrawberryInfo

from carepath.events.bus import EventBus
from carepath.schema.loaders import Loaders
from carepath.schema.socket_session import SocketSession
from carepath.services.actor import Actor
from carepath.services.phi_log import PhiLog
from carepath.services.throttle import Throttle
from carepath.settings import Settings


@dataclass
class Context:
    settings: Settings
    actor: Actor
    bus: EventBus
    wake_mail: Callable[[], None]
    throttle: Throttle
    loaders: Loaders = field(default_factory=Loaders)
    phi: PhiLog = field(default_factory=PhiLog)  # written at the operation's end (phi_logging)
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    socket: SocketSession | None = None

    @property
    def client_address(self) -> str | None:
        """The peer's IP address, which log-in and reset throttling count by."""
        client = getattr(self.request, "client", None)
        return client.host if client is not None else None


Info: TypeAlias = StrawberryInfo[Context, None]
