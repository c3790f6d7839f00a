"""Field hardening of the web port: malformed callbacks, a stranger asking for /metrics, a gateway
that goes away, and a flood of half-sent requests against the bot running as its own process."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ..conftest import fixture
from ..harness import World
from ..processes import stage, start, stop, until_healthy, videos


async def post(url: str, body: bytes, *, source: str = "127.0.0.1", **headers: str) -> tuple[int, str]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector) as http, http.post(url, data=body, headers=headers) as r:
        return r.status, await r.text()


async def get(url: str, *, source: str = "127.0.0.1", **headers: str) -> tuple[int, str]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http, http.get(url, headers=headers) as r:
        return r.status, await r.text()


async def test_malformed_callbacks_get_a_4xx_and_one_short_line(tmp_path: Path, caplog: Any) -> None:
    """Point 2: a non-ASCII signature (no secret needed), a deeply nested body and bracketed URLs."""
    caplog.set_level(logging.INFO)
    async with World(tmp_path, callbacks=True) as world:
        _, task_id = await world.held("a callback target")
        url = world.luma.tasks[task_id].request["callback_url"]
        job_id = url.rsplit("/", 2)[1]
        base = f"http://127.0.0.1:{world.web_port}/luma/callback/{job_id}"
        assert (await post(f"{base}/%C3%A9", b"{}"))[0] == 403
        assert (await post(f"{base}/\u00e9\u00e9", b"{}"))[0] == 403
        nested = b"[" * 100_000 + b"]" * 100_000
        assert (await post(url, nested, **{"Content-Type": "application/json"}))[0] in (400, 413)
        deep = b'{"task_id": "x", "a": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
        assert (await post(url, deep))[0] == 400
        bad_video = {**fixture("seed_callback_body"), "task_id": task_id, "video_url": "https://[cdn]/v.mp4"}
        assert (await post(url, json.dumps(bad_video).encode()))[0] == 400
        bad_thumb = {**fixture("seed_callback_body"), "task_id": task_id, "thumbnail_url": "https://[cdn]/a.jpg"}
        status, _ = await post(url, json.dumps(bad_thumb).encode())
        assert status == 200, "a bad thumbnail link is dropped; the video itself is fine"
        [message] = await world.wait_for(lambda: world.video_messages())
        assert message["embeds"][0].get("image") is None
    assert not [r for r in caplog.records if r.exc_info], "no traceback for anything a stranger sent"
    assert not [r for r in caplog.records if r.name.startswith("aiohttp") and r.levelno >= logging.ERROR]


async def test_metrics_are_for_loopback_or_a_token(tmp_path: Path) -> None:
    """Point 3: /metrics is not served to the world by default."""
    async with World(tmp_path, callbacks=False) as world:
        metrics = f"http://127.0.0.1:{world.web_port}/metrics"
        assert (await get(metrics))[0] == 200
        assert world.bot is not None and not world.bot.web.metrics_public  # type: ignore[union-attr]
    (tmp_path / "b").mkdir()
    async with World(tmp_path / "b", callbacks=False, METRICS_TOKEN="scrape-me") as world:
        metrics = f"http://127.0.0.1:{world.web_port}/metrics"
        assert (await get(metrics))[0] == 403, "with a token set, even loopback must present it"
        status, text = await get(metrics, Authorization="Bearer scrape-me")
        assert status == 200 and "luma_bot_events_total" in text
        assert (await get(metrics, Authorization="Bearer wrong"))[0] == 403


async def test_metrics_refuse_a_remote_address(tmp_path: Path) -> None:
    from bot.web.server import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and not _is_loopback("203.0.113.9")
    assert not _is_loopback(None) and not _is_loopback("not an address")


async def test_healthz_fails_when_the_gateway_is_gone_and_recovers(tmp_path: Path) -> None:
    """Point 3: 503 within 15 s of losing Discord's gateway, 200 again once it is back."""
    async with World(tmp_path, callbacks=False) as world:
        await world.wait_for(world.bot.is_ready, timeout=5)  # type: ignore[union-attr]
        health = f"http://127.0.0.1:{world.web_port}/healthz"
        assert (await get(health))[0] == 200
        await world.discord.drop_gateway()
        lost = asyncio.get_running_loop().time()
        while (status := (await get(health))[0]) == 200:
            assert asyncio.get_running_loop().time() - lost < 15, "still 'healthy' 15 s after the gateway went"
            await asyncio.sleep(0.25)
        assert status == 503 and "gateway" in (await get(health))[1]
        world.discord.gateway_down = False
        await world.wait_for(lambda: world.discord.ready.is_set(), timeout=40)
        for _ in range(200):
            if (await get(health))[0] == 200:
                break
            await asyncio.sleep(0.1)
        assert (await get(health))[0] == 200


def _low_file_limit() -> None:  # runs in the bot's process before it starts
    resource.setrlimit(resource.RLIMIT_NOFILE, (400, 400))


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
async def test_a_flood_of_half_sent_requests_leaves_discord_and_healthz_working(tmp_path: Path) -> None:
    """Point 1: 1,100 connections that send one header and go silent, from a stranger's address, against
    `luma-bot run` limited to 400 open files: /healthz keeps answering, a member's video is still made,
    the stranger's connections are dropped after the request deadline, and the log stays short."""
    async with stage(tmp_path) as s:
        env = s.env(WEB_REQUEST_TIMEOUT="2")
        port = int(env["WEB_PORT"])
        proc = await start(env, preexec_fn=_low_file_limit)
        held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        try:
            await until_healthy(env, proc)

            async def half_sent() -> None:
                try:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0)), 3
                    )
                    writer.write(b"POST /luma/callback/a/b HTTP/1.1\r\nHost: bot\r\n")
                    await writer.drain()
                    held.append((reader, writer))
                except (OSError, TimeoutError):
                    pass  # refused at once: what the cap is for

            for _ in range(11):
                await asyncio.gather(*(half_sent() for _ in range(100)))
            assert len(held) >= 10, "the stranger really did open connections"
            assert (await get(f"http://127.0.0.1:{port}/healthz"))[0] == 200, "/healthz answers during the flood"
            open_files = len(os.listdir(f"/proc/{proc.pid}/fd"))
            assert open_files < 200, f"the bot holds {open_files} descriptors"
            prompt = {"prompt": "made under fire"}
            interaction = await s.discord.slash(s.guild, s.channel, s.member, ["luma", "generate"], prompt)
            await s.discord.wait_response(interaction)
            await s.discord.wait_for(lambda: videos(s.discord))
            # the connections that got in are dropped once the request deadline (2 s here) passes
            alive = [(r, w) for r, w in held if not w.transport.is_closing()]
            closed = 0
            for reader, _ in alive[:20]:
                try:
                    data = await asyncio.wait_for(reader.read(), 6)
                except (ConnectionError, TimeoutError):
                    data = None
                closed += data is not None
            assert closed == min(20, len(alive)), "every half-sent request was dropped within the deadline"
        finally:
            for _, writer in held:
                writer.close()
            code, output = await stop(proc)
    assert code == 0
    assert "Too many open files" not in output and "Traceback" not in output
    assert len(output.splitlines()) < 60, output[-3000:]


async def test_readers_that_stall_over_a_served_copy_leave_the_port_to_callbacks(tmp_path: Path, caplog: Any) -> None:
    """#25: clients that ask for a served mp4 and never read it (or read it slowly) held every web connection
    until /healthz and callbacks were refused; every copy served from the disk logged a traceback, and a 416 was
    never ended (aiohttp prepared the file response twice). Now: a cap of its own on copies sent at once (503 and
    Retry-After past it), a deadline for each, and one clean answer per request."""
    import socket

    from ..fakes.discord_files import MIB
    from ..helpers import kept, make_video

    caplog.set_level(logging.INFO)
    async with World(tmp_path, callbacks=True, MEDIA_MAX_STREAMS="2", MEDIA_SEND_TIMEOUT="2") as world:
        assert world.bot is not None and world.bot.web is not None and world.bot.web.media is not None
        route = world.bot.web.media
        world.luma.video_bytes = 24 * MIB  # more than the sockets' buffers hold
        _, video_id = await make_video(world, "a large video")
        await kept(world, video_id)
        video = await world.bot.jobs.videos.get(world.guild, video_id)
        assert video is not None
        path = f"/media/{video.serve_key}.mp4"
        base = f"http://127.0.0.1:{world.web_port}"
        await world.wait_for(lambda: world.bot is not None and world.bot.is_ready(), timeout=15)  # /healthz: ready

        stalled: list[socket.socket] = []
        for _ in range(2):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a reader that takes nothing
            sock.connect(("127.0.0.1", world.web_port))
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bot\r\n\r\n".encode())
            stalled.append(sock)
        await world.wait_for(lambda: route.streaming == 2)
        status, _ = await get(base + path)
        assert status == 503 and route.refused == 1, "a third is turned away at once, not queued"
        health = await get(base + "/healthz")
        assert health[0] == 200, health
        await world.generate("made while the copies stall")  # its callback gets through
        await world.wait_for(lambda: len(world.video_messages()) == 2)

        def drained(sock: socket.socket) -> int:
            sock.setblocking(True)
            sock.settimeout(15)
            total = 0
            try:
                while chunk := sock.recv(1 << 20):
                    total += len(chunk)
            except OSError:
                pass
            sock.close()
            return total

        await world.wait_for(lambda: route.cut_off == 2, timeout=10)  # MEDIA_SEND_TIMEOUT passed
        received = [await asyncio.to_thread(drained, sock) for sock in stalled]
        assert all(n < 24 * MIB for n in received), "cut off at the deadline, not served to the end"
        assert route.streaming == 0

        async with aiohttp.ClientSession() as http:
            async with http.get(base + path) as response:
                assert response.status == 200 and len(await response.read()) == 24 * MIB
                assert response.headers["Cache-Control"] == "private, max-age=3600", "no shared cache keeps it"
            async with http.get(base + path, headers={"Range": f"bytes={30 * MIB}-"}) as response:
                assert response.status == 416 and await response.read() == b"", "ended, not left hanging"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
