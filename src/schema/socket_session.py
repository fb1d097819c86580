"""One state object per WebSocket: the session it was opened with, kept honest for its life.

graphql-transport-ws authenticates once, at `connection_init`; queries, mutations and
subscriptions sent later would otherwise run on that session however long it lives.
`SocketSession.check` runs before every operation on the socket; it is cached: the
database is read only at the session's own deadline (expiry or idle timeout) and, as a
fallback for a lost event, every `session_recheck_seconds`. One watcher per socket ends
the socket as soon as the session is revoked (the `session_revoked` event that logOut and
resetPassword publish), expires or idles out, so subscriptions need no checks of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from carepath import metrics
from carepath.clock import utcnow
from carepath.events.bus import Event, EventBus, interrupted
from carepath.models import AuthSession, User
from carepath.services.actor import Actor, anonymous
from carepath.services.sessions import live_until, mark_seen, why_ended
from carepath.settings import Settings

log = logging.getLogger(__name__)

EndSocket = Callable[[str], Awaitable[None]]
REVOKED = "Session revoked"
RETRY_AFTER_FAILED_READ = timedelta(seconds=5)


class SessionEnded(Exception):
    """The socket's session is no longer live; `reason` is short and safe to send."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooManySockets(Exception):
    """The account already holds `max_sockets_per_user` sockets on this process."""


class SocketSession:
    """The session behind one socket: checked before each operation, watched in between."""

    def __init__(
        self, settings: Settings, bus: EventBus, session: AuthSession, registry: SocketRegistry
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.session = session
        self.user_id: int = session.user_id
        self.registry = registry
        self.ended: str | None = None
        self._stack = contextlib.AsyncExitStack()
        self._queue: asyncio.Queue[Event] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._deadline = live_until(settings, session)
        # Read once more right after listening starts: a revocation published between
        # connect's authentication and the start of listening is then not missed.
        self._next_read = utcnow()

    @property
    def started(self) -> bool:
        return self._watcher is not None

    async def start(self, end: EndSocket) -> None:
        """Listen for revocation, and watch the deadlines; `end(reason)` closes the socket."""
        channel = f"user:{self.user_id}"
        self._queue = await self._stack.enter_async_context(self.bus.listen([channel]))
        self._watcher = asyncio.create_task(self._watch(end), name="socket-session")

    async def check(self) -> None:
        """Before an operation: SessionEnded if the session is over, else it counts as use."""
        self._absorb_pending()
        if self.ended is None and utcnow() >= self._next_wake():
            await self._reread()
        if self.ended is not None:
            raise SessionEnded(self.ended)
        await mark_seen(self.session)
        self._deadline = live_until(self.settings, self.session)

    async def actor(self) -> Actor:
        """A fresh actor for one operation: the user re-read, facts loaded anew when asked."""
        user = await User.get_or_none(id=self.user_id)
        return Actor(user=user, session=self.session) if user is not None else anonymous()

    async def stop(self) -> None:
        """The socket is gone: stop watching, stop listening, free its place under the cap."""
        self.registry.release(self)
        watcher = self._watcher
        if watcher is not None and watcher is not asyncio.current_task():
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await self._stack.aclose()

    async def _watch(self, end: EndSocket) -> None:
        assert self._queue is not None
        while self.ended is None:
            wait = (self._next_wake() - utcnow()).total_seconds()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0.0)):  # wait_for may eat a cancel
                    self._absorb(await self._queue.get())
            if self.ended is None and utcnow() >= self._next_wake():
                await self._reread()
        log.info("closing a websocket: %s", self.ended)
        await end(self.ended)

    def _next_wake(self) -> datetime:
        return min(self._deadline, self._next_read)

    def _absorb_pending(self) -> None:
        """Events already delivered but not yet seen by the watcher count before an operation."""
        while self._queue is not None and not self._queue.empty():
            self._absorb(self._queue.get_nowait())

    def _absorb(self, event: Event) -> None:
        if interrupted(event):  # a revocation may have been missed: read the session now
            self._next_read = utcnow()
            return
        if event.get("type") != "session_revoked" or self.ended is not None:
            return
        if event.get("session_id") in (None, self.session.id):  # None: every session
            self.ended = REVOKED

    async def _reread(self) -> None:
        now = utcnow()
        try:
            fresh = await AuthSession.get_or_none(id=self.session.id)
        except Exception:  # a database hiccup: keep the socket, try again soon
            log.warning("could not re-read a websocket's session", exc_info=True)
            self._next_read = now + RETRY_AFTER_FAILED_READ
            return
        if fresh is None:
            self.ended = REVOKED
            return
        self.session = fresh
        self.ended = self.ended or why_ended(self.settings, fresh)
        self._deadline = live_until(self.settings, fresh)
        self._next_read = now + timedelta(seconds=self.settings.session_recheck_seconds)


class SocketRegistry:
    """The open sockets of each account on this process, and the cap on how many."""

    def __init__(self, settings: Settings, bus: EventBus) -> None:
        self.settings = settings
        self.bus = bus
        self._open: dict[int, set[SocketSession]] = defaultdict(set)

    def open(self, actor: Actor) -> SocketSession:
        """A socket for an authenticated actor, or TooManySockets over the cap."""
        assert actor.session is not None, "sockets are for signed-in users"
        sockets = self._open[actor.session.user_id]
        if len(sockets) >= self.settings.max_sockets_per_user:
            raise TooManySockets()
        socket = SocketSession(self.settings, self.bus, actor.session, self)
        sockets.add(socket)
        metrics.WEBSOCKETS_OPEN.inc()
        return socket

    def release(self, socket: SocketSession) -> None:
        sockets = self._open.get(socket.user_id)
        if sockets is None or socket not in sockets:
            return
        sockets.discard(socket)
        metrics.WEBSOCKETS_OPEN.dec()
        if not sockets:
            del self._open[socket.user_id]

    def count(self, user_id: int) -> int:
        return len(self._open.get(user_id, ()))
