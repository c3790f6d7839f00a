"""The fake Discord refuses what Discord refuses, so a bot that passes here behaves there."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from .fakes.discord import FakeDiscord


@pytest.fixture
async def fake() -> Any:
    discord = await FakeDiscord(token="t").start()
    yield discord
    await discord.stop()


async def test_interaction_response_rules(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    user = fake.add_user("u")
    fake.add_member(guild, user)

    def make() -> Any:
        interaction = fake._interaction_base(2, guild, channel, user)
        interaction.payload["data"] = {"id": "1", "name": "x", "type": 1}
        return interaction

    async with aiohttp.ClientSession() as http:

        async def respond(interaction: Any, body: dict[str, Any]) -> tuple[int, Any]:
            url = f"{fake.api_base}/interactions/{interaction.id}/{interaction.token}/callback?with_response=1"
            async with http.post(url, json=body) as r:
                return r.status, await r.json() if r.status != 204 else None

        late = make()
        late.created -= 3.5
        assert (await respond(late, {"type": 5}))[1]["code"] == 10062

        first = make()
        status, body = await respond(first, {"type": 5})
        assert status == 200 and body["interaction"]["response_message_loading"] is True
        assert (await respond(first, {"type": 5}))[1]["code"] == 40060

        too_long = make()
        status, body = await respond(too_long, {"type": 4, "data": {"content": "x" * 2001}})
        assert status == 400 and body["code"] == 50035

        for embed in (
            {"title": "t" * 257},
            {"description": "d" * 4097},
            {"fields": [{"name": "n", "value": "v" * 1025}]},
            {"footer": {"text": "f" * 2049}},
            {"fields": [{"name": "n", "value": "v"}] * 26},
        ):
            status, body = await respond(make(), {"type": 4, "data": {"embeds": [embed]}})
            assert status == 400, embed
        status, _ = await respond(make(), {"type": 4, "data": {"embeds": [{"description": "d" * 3000}] * 3}})
        assert status == 400, "over 6000 characters in all"

        button = {"type": 2, "style": 1, "label": "x", "custom_id": "c" * 101}
        status, _ = await respond(make(), {"type": 4, "data": {"components": [{"type": 1, "components": [button]}]}})
        assert status == 400
        row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": "c"}]}
        status, _ = await respond(make(), {"type": 4, "data": {"content": "x", "components": [row] * 6}})
        assert status == 400

        auto = fake._interaction_base(4, guild, channel, user)
        choices = [{"name": f"c{i}", "value": str(i)} for i in range(26)]
        status, _ = await respond(auto, {"type": 8, "data": {"choices": choices}})
        assert status == 400

        # follow-ups die with the token after 15 minutes
        first.created -= 15 * 60 + 1
        async with http.patch(
            f"{fake.api_base}/webhooks/{fake.application_id}/{first.token}/messages/@original", json={"content": "late"}
        ) as r:
            assert r.status == 401 and (await r.json())["code"] == 50027


async def test_channels_messages_and_rate_limits(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    headers = {"Authorization": "Bot t"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{fake.api_base}/channels/1/messages", json={"content": "x"}) as r:
            assert r.status == 404 and (await r.json())["code"] == 10003
        async with http.get(f"{fake.api_base}/channels/{channel}/messages/1") as r:
            assert r.status == 404 and (await r.json())["code"] == 10008
        fake.forbid_channel(channel)
        async with http.post(f"{fake.api_base}/channels/{channel}/messages", json={"content": "x"}) as r:
            assert r.status == 403 and (await r.json())["code"] == 50013
        fake.rate_limit("GET", r"/users/@me", retry_after=0.05)
        async with http.get(f"{fake.api_base}/users/@me") as r:
            assert r.status == 429 and (await r.json())["retry_after"] == 0.05
        async with http.get(f"{fake.api_base}/users/@me") as r:
            assert r.status == 200
    async with aiohttp.ClientSession() as http, http.get(f"{fake.api_base}/users/@me") as r:
        assert r.status == 401, "REST needs the bot token"
    await asyncio.sleep(0)
