"""#25 point 3: the bot downloads only from the public internet (and the services its owner configured).

A result's or thumbnail's link from the API (or a callback) pointing at loopback, a private network or the
cloud's metadata address, or redirecting there, was fetched, then posted to Discord and served publicly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.media.destinations import Destinations, is_public
from bot.web.serving import free_port

from ..conftest import fixture
from ..harness import World
from ..helpers import make_video


def test_public_addresses_are_the_global_ones() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
                    "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "224.0.0.1", "ff02::1",
                    "not an address"):  # fmt: skip
        assert not is_public(address), address
    for address in ("8.8.8.8", "104.16.0.1", "2606:4700::1111", "::ffff:8.8.8.8"):
        assert is_public(address), address


def test_a_configured_service_is_trusted_wherever_it_is() -> None:
    from yarl import URL

    rule = Destinations(["http://127.0.0.1:8001", None, "https://cdn.example"])
    assert rule.refusal(URL("http://127.0.0.1:8001/cdn/a.mp4")) is None, "the API's own base"
    assert rule.refusal(URL("http://127.0.0.1:8002/a.mp4")) == "127.0.0.1 is not a public address"
    assert rule.refusal(URL("http://[::ffff:7f00:1]:8001/a.mp4")) is not None, "the same address, written otherwise"
    assert rule.refusal(URL("file:///etc/passwd")) == "not an http(s) link"
    assert rule.refusal(URL("https://cdn.example/a.mp4")) is None and rule.refusal(URL("https://8.8.8.8/")) is None


@pytest.fixture
async def internal() -> AsyncIterator[tuple[str, list[str]]]:
    """A service only the bot's machine can reach (an admin panel, a metadata endpoint): counts every request."""
    hits: list[str] = []

    async def secret(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=b"INTERNAL SECRET" * 100, content_type="video/mp4")

    app = web.Application()
    app.router.add_get("/{name}", secret)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", hits
    await runner.cleanup()


async def media_rows(world: World, video_id: str) -> dict[str, Any]:
    assert world.bot is not None
    rows = await world.bot.db.fetchall("SELECT kind, state, error FROM media WHERE video_id = ?", (video_id,))
    return {r["kind"]: (r["state"], r["error"] or "") for r in rows}


async def test_links_to_internal_addresses_are_never_fetched(tmp_path: Path, internal: tuple[str, list[str]]) -> None:
    base, hits = internal
    port = base.rsplit(":", 1)[1]
    async with World(tmp_path, callbacks=False) as world:
        cases = {
            "loopback": (f"{base}/secret.mp4", "http://169.254.169.254/latest/meta-data.jpg"),
            "redirect": (f"{world.luma.url}/cdn/hop.mp4", f"http://[::ffff:127.0.0.1]:{port}/secret.jpg"),
            "by name": (f"http://localhost:{port}/named.mp4", f"http://localhost:{port}/named.jpg"),
        }
        world.luma.media_redirects["hop.mp4"] = f"{base}/redirected.mp4"
        for n, (case, (video_url, thumbnail_url)) in enumerate(cases.items()):
            seed = {**fixture("seed_generate_text"), "task_id": f"task-{n}", "video_id": f"luma-{n}"}
            world.luma.script_next_result({**seed, "video_url": video_url, "thumbnail_url": thumbnail_url})
            message, video_id = await make_video(world, f"a video whose links lead inside ({case})")
            assert "INTERNAL" not in str(message) and not message.get("attachments"), case
            assert world.bot is not None
            await world.bot.archiver.idle()  # every download of it has ended
            rows = await media_rows(world, video_id)
            assert {kind: state for kind, (state, _) in rows.items()} == {"video": "failed", "thumbnail": "failed"}
            assert all("refused" in error for _, error in rows.values()), (case, rows)
        assert hits == [], "nothing inside was reached, on any hop"

        # the API's own CDN is fetched as ever
        message, video_id = await make_video(world, "an ordinary video")
        assert message.get("attachments"), "kept and attached"
        assert {kind: state for kind, (state, _) in (await media_rows(world, video_id)).items()}["video"] == "kept"
