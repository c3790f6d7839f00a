"""Starting an aiohttp app on a TCP port: the bot's web server and the fakes share this.

The bot's web port may face the internet (the Docker image publishes it on 0.0.0.0), so a served app
can be guarded against clients that open connections and never finish a request:

* a connection whose request has not arrived whole within `request_deadline` seconds is closed
  (aiohttp's keep-alive timer also runs before the first request; the body is read under the same
  deadline by the handlers), and an idle keep-alive connection is closed after the same time;
* at most `max_connections` connections are open at once, and at most `per_peer` from one address;
  a connection over either cap is closed the moment it is accepted, so it never holds a file
  descriptor. Refusals are counted in `ConnectionGuard.refused`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["ConnectionGuard", "free_port", "start_app"]

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for a server that must know its address before it starts)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class ConnectionGuard:
    """Caps on open connections, in total and per peer address."""

    max_connections: int = 256
    per_peer: int = 32
    request_deadline: float = 10.0
    open: Counter[str] = field(default_factory=Counter)
    refused: int = 0

    @property
    def total(self) -> int:
        return sum(self.open.values())


class _Refused(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.abort()  # type: ignore[attr-defined]  # RST at once: no descriptor is held


class _Counted(asyncio.Protocol):
    """Wraps aiohttp's per-connection protocol to count the connection against the caps."""

    def __init__(self, inner: Any, guard: ConnectionGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._peer: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else "?"
        guard = self._guard
        if guard.total >= guard.max_connections or guard.open[self._peer] >= guard.per_peer:
            guard.refused += 1
            self._peer = None
            transport.abort()  # type: ignore[attr-defined]
            return
        guard.open[self._peer] += 1
        self._inner.connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._peer is None:
            return
        self._guard.open[self._peer] -= 1
        if self._guard.open[self._peer] <= 0:
            del self._guard.open[self._peer]
        self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()  # type: ignore[no-any-return]

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


class _GuardedRunner(web.AppRunner):
    def __init__(self, app: web.Application, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._guard = guard

    @property
    def server(self) -> Any:
        inner = super().server
        if inner is None:
            return None
        guard = self._guard

        def factory() -> asyncio.Protocol:
            if guard.total >= guard.max_connections:
                guard.refused += 1
                return _Refused()
            return _Counted(inner(), guard)

        return factory


async def start_app(
    app: web.Application, host: str, port: int, *, guard: ConnectionGuard | None = None
) -> tuple[web.AppRunner, int]:
    """Serve `app`; return its runner (for cleanup) and the port it got (useful when asked for 0)."""
    if guard is None:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
    else:
        runner = _GuardedRunner(
            app, guard, access_log=None, shutdown_timeout=5, keepalive_timeout=guard.request_deadline
        )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=128)
    await site.start()
    server = site._server
    if server is not None and server.sockets:  # type: ignore[union-attr]
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port
