"""Starting an aiohttp app on a TCP port: the bot's web server and the fakes share this."""

from __future__ import annotations

import socket

from aiohttp import web

__all__ = ["free_port", "start_app"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for a server that must know its address before it starts)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


async def start_app(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app`; return its runner (for cleanup) and the port it got (useful when asked for 0)."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    if server is not None and server.sockets:  # type: ignore[union-attr]
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port
