"""Baselines measured in the same run: a bare discord.py bot that only defers, and a naive client that
holds the blocking API call open until the video is done (the seed's first example), then posts it.

Also a client that downloads result videos whole into memory (`naive-download N URL`), for the archive.

Run as `python -m bench.baselines bare-bot`, `python -m bench.baselines naive N CHANNEL` or
`python -m bench.baselines naive-download N URL`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import aiohttp


def _point_discord_at_env() -> None:
    import discord
    import yarl

    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])


async def bare_bot() -> None:
    """The least a bot can do: answer /luma generate with a defer, nothing else."""
    import discord
    from discord import app_commands

    _point_discord_at_env()
    client = discord.Client(intents=discord.Intents.default())
    tree = app_commands.CommandTree(client)
    group = app_commands.Group(name="luma", description="bare")

    @group.command(name="generate", description="bare")
    async def generate(interaction: discord.Interaction[Any], prompt: str) -> None:
        await interaction.response.defer(thinking=True)

    tree.add_command(group)
    async with client:
        await client.start(os.environ["DISCORD_TOKEN"])


def rss_mib() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def naive(count: int, channel: int) -> None:
    """`count` blocking generate calls at once, each posted to Discord when it returns.
    Prints its memory once every call is in flight, then waits for all of them."""
    base, token = os.environ["ACEDATACLOUD_API_BASE_URL"], os.environ["ACEDATACLOUD_API_TOKEN"]
    discord_base, discord_token = os.environ["DISCORD_API_BASE"], os.environ["DISCORD_TOKEN"]
    before = rss_mib()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(i: int) -> None:
            body = {
                "action": "generate",
                "prompt": f"naive video {i}",
                "aspect_ratio": "16:9",
                "loop": False,
                "enhancement": True,
                "timeout": 300,
            }
            async with http.post(
                f"{base}/luma/videos",
                json=body,
                headers={"authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=600),
            ) as r:
                result = await r.json()
            async with http.post(
                f"{discord_base}/channels/{channel}/messages",
                json={"content": result["video_url"]},
                headers={"Authorization": f"Bot {discord_token}"},
            ) as r:
                await r.read()

        tasks = [asyncio.create_task(one(i)) for i in range(count)]
        await asyncio.sleep(0)
        print(f"ready {before:.2f}", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "measure"
        print(f"rss {rss_mib():.2f}", flush=True)
        del line
        await asyncio.gather(*tasks)
        print("done", flush=True)


async def naive_download(count: int, url: str) -> None:
    """`count` downloads of `url` at once, each read whole into memory (what `await response.read()` does);
    prints the memory they took."""
    before = rss_mib()
    async with aiohttp.ClientSession() as http:

        async def one() -> bytes:
            async with http.get(url) as r:
                return await r.read()

        bodies = await asyncio.gather(*(one() for _ in range(count)))
        print(f"extra {rss_mib() - before:.2f}", flush=True)
        del bodies


if __name__ == "__main__":
    if sys.argv[1] == "bare-bot":
        asyncio.run(bare_bot())
    elif sys.argv[1] == "naive-download":
        asyncio.run(naive_download(int(sys.argv[2]), sys.argv[3]))
    else:
        asyncio.run(naive(int(sys.argv[2]), int(sys.argv[3])))
