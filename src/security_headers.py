"""Security headers on every HTTP response, as a pure ASGI middleware (no body buffering)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVERYWHERE: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),  # no guessing a JSON body into HTML
    (b"x-frame-options", b"DENY"),  # GraphiQL and the rest never render inside a frame
    (b"referrer-policy", b"no-referrer"),  # calendar secrets and tokens stay out of Referer
)
# Two years, subdomains too: once served over HTTPS, browsers never fall back to HTTP.
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class SecurityHeaders:
    """Adds the headers a response has not set itself; HSTS in production only, where
    the API is served over HTTPS (a local http:// server would otherwise be pinned)."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.headers = (*EVERYWHERE, HSTS) if production else EVERYWHERE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
