"""Where webhooks may go: the URL's shape, and in production never an internal address (SSRF).

Outside production `http://` and loopback receivers are allowed, so a developer can
receive deliveries on their own machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from carepath.services.errors import validation

MAX_URL_LENGTH = 2000
RESOLVE_SECONDS = 5
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """The host is, or resolves to, an address the platform must not call."""


def check_url(url: str, *, production: bool) -> str:
    """An absolute https (or, outside production, http) URL with a host, without
    user or password, at most 2,000 characters: VALIDATION on `url` otherwise."""
    schemes = ("https",) if production else ("https", "http")
    wanted = "an absolute https:// URL" if production else "an absolute https:// (or http://) URL"
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise validation("url", f"Give {wanted} of at most {MAX_URL_LENGTH} characters.")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise validation("url", f"Give {wanted}, without spaces or control characters.")
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:
        raise validation("url", f"Give {wanted}.") from exc
    if parts.scheme.lower() not in schemes or not parts.hostname or not port_ok:
        raise validation("url", f"Give {wanted}.")
    if "@" in parts.netloc:
        raise validation("url", "A webhook URL carries no user name or password.")
    return url


def refused_address(address: IpAddress) -> bool:
    """Loopback, private, link-local, unspecified (and multicast or reserved) addresses."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


async def resolve(host: str, port: int) -> list[IpAddress]:
    """The host's addresses (an IP literal is its own); an empty list when it does not resolve."""
    literal = host.strip("[]")
    try:
        return [ipaddress.ip_address(literal)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(literal, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    addresses: list[IpAddress] = []
    for _family, _type, _proto, _name, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme.lower() == "https" else 80
    return parts.hostname or "", parts.port or default


async def allowed_addresses(url: str, *, production: bool) -> list[IpAddress]:
    """The addresses a delivery may connect to; in production none may be internal
    (every one is checked, so a name with one public and one private address is refused)."""
    host, port = host_and_port(url)
    addresses = await resolve(host, port)
    if production and any(refused_address(a) for a in addresses):
        raise RefusedAddress(host)
    return addresses


async def check_host(url: str, *, production: bool) -> None:
    """At creation: in production a host that is or resolves to an internal address is
    VALIDATION on `url` (a name that does not resolve yet is checked again at delivery)."""
    if not production:
        return
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            await allowed_addresses(url, production=True)
    except TimeoutError:
        return  # a slow resolver: the delivery checks again
    except RefusedAddress as exc:
        raise validation(
            "url", "The URL's host is or resolves to a private, loopback or link-local address."
        ) from exc
