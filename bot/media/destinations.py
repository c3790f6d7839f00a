"""Where the bot's downloads may go: the public internet, and the services its owner configured.

The links the bot downloads (a result and its thumbnail from the API or a callback, a member's frame) are not the
bot's to trust: one pointing at loopback, a private network or the cloud's metadata address (169.254.169.254), or
redirecting there, would have the bot fetch what only it can reach, then post those bytes to Discord and serve them.
So every hop is checked: a name is resolved by the bot itself and only its public addresses are connected to (the
connector uses the very addresses checked: no rebinding between check and connect), and an address written as a
literal is checked before any connection. The owner's own services (the API's base, DISCORD_CDN_URL) are trusted
wherever they are: the tests run them on 127.0.0.1, and a self-hosted gateway may sit on a private network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

__all__ = ["MAX_REDIRECTS", "REDIRECTS", "Destinations", "NotPublic", "is_public"]

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class NotPublic(OSError):
    """A name that resolves to no public address (aiohttp hands it on as a ClientConnectorDNSError's os_error)."""


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local, reserved, multicast…);
    an IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _origin(url: str | URL) -> tuple[str, int] | None:
    parsed = URL(str(url))
    if parsed.host is None or parsed.port is None:
        return None
    return parsed.host.lower(), parsed.port


class Destinations:
    """The rule for one bot: `trusted` are the base URLs of the services its owner configured."""

    def __init__(self, trusted: Iterable[str | None] = ()) -> None:
        self.trusted = {origin for url in trusted if url and (origin := _origin(url)) is not None}

    def refusal(self, url: URL) -> str | None:
        """Why the bot may not fetch `url` (a hop of a download), or None. A name is left to the resolver."""
        if url.scheme not in ("http", "https") or not url.host:
            return "not an http(s) link"
        if _origin(url) in self.trusted:
            return None
        host = url.host
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return None  # a name: resolved, and held to public addresses, when connecting (PublicResolver)
        return None if is_public(host) else f"{host} is not a public address"

    def connector(self) -> aiohttp.TCPConnector:
        """A connector for the downloads' own session: names resolve to their public addresses only."""
        return aiohttp.TCPConnector(resolver=PublicResolver(self.trusted), limit=16)


class PublicResolver(AbstractResolver):
    """The default resolver, keeping only public addresses (all of them for a trusted host and port)."""

    def __init__(self, trusted: set[tuple[str, int]]) -> None:
        self._inner = DefaultResolver()
        self._trusted = trusted

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if (host.lower(), port) in self._trusted:
            return found
        public = [item for item in found if is_public(item["host"])]
        if not public:
            raise NotPublic(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()
