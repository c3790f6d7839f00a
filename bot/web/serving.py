"""Starting an aiohttp app on a TCP port: the bot's web server and the fakes share this.

The bot's web port may face the internet (the Docker image publishes it on 0.0.0.0), so a served app
can be guarded against clients that open connections and never finish a request:

* a connection whose request has not arrived whole within `request_deadline` seconds is closed
  (aiohttp's keep-alive timer also runs before the first request; the body is read under the same
  deadline by the handlers), and an idle keep-alive connection is closed after the same time;
* at most `max_connections` connections are open at once. When a new one would pass the cap, the
  oldest connection that is not serving a request (a half-sent one, an idle keep-alive) is closed to
  make room; only when every one is busy is the new one refused. So a flood of half-sent requests
  churns among itself while a health check or an API callback still gets in, and a burst of
  callbacks through a reverse proxy (all from one address) is never turned away for its address.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from aiohttp import web

__all__ = ["ConnectionGuard", "free_port", "start_app"]

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for a server that must know its address before it starts)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class ConnectionGuard:
    """The cap on open connections, and which ones may be closed to make room (see the module's text)."""

    def __init__(self, max_connections: int = 256, request_deadline: float = 10.0) -> None:
        self.max_connections = max_connections
        self.request_deadline = request_deadline
        self.refused = 0  # turned away: every open connection was serving a request
        self.evicted = 0  # closed to make room: they were not serving one
        self._open: dict[asyncio.BaseTransport, bool] = {}  # transport -> serving a request now (oldest first)

    @property
    def total(self) -> int:
        return len(self._open)

    def admit(self, transport: asyncio.BaseTransport) -> bool:
        if len(self._open) >= self.max_connections:
            victim = next((t for t, busy in self._open.items() if not busy), None)
            if victim is None:
                self.refused += 1
                return False
            del self._open[victim]
            self.evicted += 1
            victim.abort()  # type: ignore[attr-defined]
        self._open[transport] = False
        return True

    def release(self, transport: asyncio.BaseTransport) -> None:
        self._open.pop(transport, None)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Marks the connection as serving a request while its handler runs: it is not evicted then."""
        transport = request.transport
        if transport in self._open:
            self._open[transport] = True
        try:
            return await handler(request)
        finally:
            if transport in self._open:
                self._open[transport] = False


class _Counted(asyncio.Protocol):
    """Wraps aiohttp's per-connection protocol to count the connection against the cap."""

    def __init__(self, inner: Any, guard: ConnectionGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._guard.admit(transport):
            transport.abort()  # type: ignore[attr-defined]  # RST at once: no descriptor is held
            return
        self._transport = transport
        self._inner.connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._transport is None:
            return
        self._guard.release(self._transport)
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
        return lambda: _Counted(inner(), guard)


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
