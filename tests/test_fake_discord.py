"""The fake Discord refuses what Discord refuses, so a bot that passes here behaves there."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from .fakes.discord import ATTACH_FILES, FakeDiscord
from .fakes.discord_files import MIB


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


# --- rules the fake learned for the hardening issue (each from Discord's docs) ----------------------


async def test_a_follow_up_after_a_defer_edits_the_loading_message_and_ignores_ephemeral(fake: FakeDiscord) -> None:
    """receiving-and-responding: "When using this endpoint directly after responding … with
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE … the loading message will be edited instead. The ephemeral flag
    will be ignored." Once the loading message is gone, a follow-up is a new message again."""
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    user = fake.add_user("u")
    fake.add_member(guild, user)
    interaction = fake._interaction_base(2, guild, channel, user)
    interaction.payload["data"] = {"id": "1", "name": "x", "type": 1}
    base = f"{fake.api_base}/webhooks/{fake.application_id}/{interaction.token}"
    async with aiohttp.ClientSession() as http:
        url = f"{fake.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
        async with http.post(url, json={"type": 5}) as r:
            assert r.status == 204
        async with http.post(f"{base}?wait=true", json={"content": "secret", "flags": 64}) as r:
            edited = await r.json()
        assert edited["id"] == str(interaction.original_message_id) and not edited["flags"] & 64  # public!
        async with http.delete(f"{base}/messages/@original") as r:
            assert r.status == 204
        async with http.post(f"{base}?wait=true", json={"content": "private", "flags": 64}) as r:
            fresh = await r.json()
        assert fresh["id"] != edited["id"] and fresh["flags"] & 64


async def test_options_names_and_order_and_4014(fake: FakeDiscord) -> None:
    headers = {"Authorization": "Bot t"}
    url = f"{fake.api_base}/applications/{fake.application_id}/commands"

    def command(options: list[dict[str, Any]], name: str = "ok") -> list[dict[str, Any]]:
        return [{"name": name, "description": "d", "type": 1, "options": options}]

    opt = {"type": 3, "description": "d"}
    async with aiohttp.ClientSession() as http:
        for body in (
            command([], name="Has Space"),
            command([{**opt, "name": "Bad"}]),
            command([{**opt, "name": "a", "required": False}, {**opt, "name": "b", "required": True}]),
        ):
            async with http.put(url, json=body, headers=headers) as r:
                assert r.status == 400 and (await r.json())["code"] == 50035, body
        good = command([{**opt, "name": "b", "required": True}, {**opt, "name": "a"}])
        async with http.put(url, json=good, headers=headers) as r:
            assert r.status == 200
        menu = [{"name": "Extend video", "type": 3}]
        async with http.put(url, json=menu, headers=headers) as r:
            assert r.status == 200, "context-menu names may have capitals and spaces"
        fake.message_content_allowed = False
        async with http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()  # HELLO
            await ws.send_json({"op": 2, "d": {"token": "t", "intents": 1 << 15, "properties": {}}})
            closing = await ws.receive()
            assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4014


async def test_replies_need_read_message_history_and_404d_webhooks_are_not_reused(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    headers = {"Authorization": "Bot t"}
    messages = f"{fake.api_base}/channels/{channel}/messages"
    async with aiohttp.ClientSession() as http:
        async with http.post(messages, json={"content": "hi"}, headers=headers) as r:
            first = await r.json()
        fake.deny_bot(channel, 1 << 16)
        reply = {"content": "re", "message_reference": {"message_id": first["id"]}}
        async with http.post(messages, json=reply, headers=headers) as r:
            assert r.status == 403 and (await r.json())["code"] == 50013
        async with http.post(messages, json={"content": "ok"}, headers=headers) as r:
            assert r.status == 200, "a plain message needs no history permission"
        assert fake.invalid_requests == 1
        user = fake.add_user("u")
        fake.add_member(guild, user)
        interaction = fake._interaction_base(2, guild, channel, user)
        gone = f"{fake.api_base}/webhooks/{fake.application_id}/{interaction.token}/messages/@original"
        for _ in range(2):
            async with http.patch(gone, json={"content": "x"}) as r:
                assert r.status == 404
        assert len(fake.violations) == 1 and "again after Discord answered 404" in fake.violations[0]
    fake.violations.clear()


async def test_threads_arrive_with_their_guild_and_take_messages(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    parent = fake.guilds[guild]["channel_ids"][0]
    thread = fake.add_thread(parent)
    payload = fake.guild_payload(guild)
    assert [t["id"] for t in payload["threads"]] == [str(thread)]
    assert payload["threads"][0]["parent_id"] == str(parent) and payload["threads"][0]["type"] == 11
    assert str(thread) not in {c["id"] for c in payload["channels"]}


# --- rules the fake learned for the archive issue (docs/reference "Uploading Files", opcodes 40005) -----


def _form(payload: dict[str, Any], files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    for index, (name, data) in enumerate(files):
        form.add_field(f"files[{index}]", data, filename=name, content_type="application/octet-stream")
    return form


async def test_uploads_follow_discords_rules(fake: FakeDiscord) -> None:
    """multipart with payload_json and files[n]; at most the limit where the file goes (413, 40005: 10 MiB
    unboosted, 50 MiB at tier 2, the interaction's attachment_size_limit); Attach Files needed; an edit's
    `attachments` lists what stays; attachment URLs are signed anew on every fetch."""
    plain = fake.add_guild("plain")
    boosted = fake.add_guild("boosted", premium_tier=2)
    channel, boosted_channel = fake.guilds[plain]["channel_ids"][0], fake.guilds[boosted]["channel_ids"][0]
    eleven = b"\0" * (11 * MIB)
    attach = {"attachments": [{"id": 0, "filename": "a.mp4"}]}
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:

        async def post(where: int, payload: dict[str, Any], files: list[tuple[str, bytes]]) -> tuple[int, Any]:
            url = f"{fake.api_base}/channels/{where}/messages"
            async with http.post(url, data=_form(payload, files)) as r:
                return r.status, await r.json()

        status, message = await post(channel, {"content": "x", **attach}, [("a.mp4", b"video bytes")])
        assert status == 200 and message["attachments"][0]["size"] == 11
        assert message["attachments"][0]["content_type"] == "video/mp4"
        assert message["attachments"][0]["url"].startswith("https://cdn.discordapp.com/attachments/")
        assert (await post(channel, {"content": "x", **attach}, [("a.mp4", eleven)])) == (
            413,
            {"code": 40005, "message": "Request entity too large"},
        )
        assert (await post(boosted_channel, {"content": "x", **attach}, [("a.mp4", eleven)]))[0] == 200
        ghost = {"attachments": [{"id": 3, "filename": "b.mp4"}]}
        assert (await post(channel, {"content": "x", **ghost}, [("a.mp4", b"v")]))[0] == 400, "no files[3] sent"
        raw = (
            b'--b\r\nContent-Disposition: form-data; name="payload_json"\r\n\r\n{"content": "x"}\r\n'
            b'--b\r\nContent-Disposition: form-data; name="files[0]"\r\n\r\nv\r\n--b--\r\n'
        )  # a file part without a filename
        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        async with http.post(f"{fake.api_base}/channels/{channel}/messages", data=raw, headers=headers) as r:
            assert r.status == 400

        url = f"{fake.api_base}/channels/{channel}/messages/{message['id']}"
        fake.clock_offset = 0
        await asyncio.sleep(1.1)  # the signature carries the second it was issued
        async with http.get(url) as r:
            again = await r.json()
        assert again["attachments"][0]["url"] != message["attachments"][0]["url"], "signed anew"
        assert again["attachments"][0]["url"].split("?")[0] == message["attachments"][0]["url"].split("?")[0]
        async with http.patch(url, json={"attachments": []}) as r:
            assert (await r.json())["attachments"] == [], "an edit's attachments list what stays"

        fake.deny_bot(channel, ATTACH_FILES)
        assert (await post(channel, {"content": "x", **attach}, [("a.mp4", b"v")]))[1]["code"] == 50013
        assert (await post(channel, {"content": "no file"}, []))[0] == 200, "only the upload needs it"

    user = fake.add_user("u")
    fake.add_member(plain, user)
    interaction = fake._interaction_base(2, plain, channel, user)
    assert int(interaction.payload["app_permissions"]) & ATTACH_FILES == 0, "the interaction says so too"
    assert interaction.payload["attachment_size_limit"] == 10 * MIB


async def test_deleting_others_messages_needs_manage_messages_and_spoiler_files_are_flagged(fake: FakeDiscord) -> None:
    """Delete Message: a message another user sent needs Manage Messages (the bot's own never does); a file
    named SPOILER_… carries the IS_SPOILER attachment flag (1 << 3)."""
    guild = fake.add_guild("g")
    channel = fake.guilds[guild]["channel_ids"][0]
    user = fake.add_user("u")
    fake.add_member(guild, user)
    theirs = fake._message(channel, fake.users[user], {"content": "hello"})  # a member's message
    fake.messages[int(theirs["id"])] = theirs
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        base = f"{fake.api_base}/channels/{channel}/messages"
        async with http.delete(f"{base}/{theirs['id']}") as r:
            assert r.status == 403 and (await r.json())["code"] == 50013
        async with http.post(
            base,
            data=_form(
                {"content": "x", "attachments": [{"id": 0, "filename": "SPOILER_a.mp4"}]}, [("SPOILER_a.mp4", b"v")]
            ),
        ) as r:
            mine = await r.json()
        assert mine["attachments"][0]["flags"] & (1 << 3)
        async with http.delete(f"{base}/{mine['id']}") as r:
            assert r.status == 204, "its own message"
        moderators = fake.add_role(guild, "bot role", permissions=1 << 13)
        fake.members[(guild, int(fake.bot_user["id"]))]["roles"].append(str(moderators))
        async with http.delete(f"{base}/{theirs['id']}") as r:
            assert r.status == 204, "with Manage Messages"


async def test_command_localizations_follow_discords_rules(fake: FakeDiscord) -> None:
    """docs/interactions "Localization": only Discord's locales as keys; a localised description is 1-100
    characters; a chat-input name keeps the name rule in every locale; choice names up to 100."""
    guild = fake.add_guild("g")
    base = {"name": "luma", "type": 1, "description": "Make AI videos with Luma"}
    url = f"{fake.api_base}/applications/{fake.application_id}/guilds/{guild}/commands"
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:

        async def put(command: dict[str, Any]) -> int:
            async with http.put(url, json=[command]) as r:
                return r.status

        assert await put({**base, "description_localizations": {"zh-CN": "用 Luma 制作 AI 视频"}}) == 200
        assert await put({**base, "description_localizations": {"zh": "用 Luma"}}) == 400, "zh is not a locale"
        assert await put({**base, "description_localizations": {"zh-TW": "長" * 101}}) == 400
        assert await put({**base, "name_localizations": {"zh-CN": "生成 视频"}}) == 400, "no spaces in a name"
        option = {"name": "ratio", "type": 3, "description": "d", "choices": [{"name": "16:9", "value": "16:9"}]}
        option["choices"][0]["name_localizations"] = {"zh-CN": "横" * 101}
        assert await put({**base, "options": [option]}) == 400
        option["choices"][0]["name_localizations"] = {"zh-CN": "16:9（横屏）"}
        assert await put({**base, "options": [option]}) == 200
    user = fake.add_user("小明", locale="zh-CN")
    fake.add_member(guild, user)
    fake.guilds[guild]["locale"] = "zh-TW"
    interaction = fake._interaction_base(2, guild, fake.guilds[guild]["channel_ids"][0], user)
    assert interaction.payload["locale"] == "zh-CN" and interaction.payload["guild_locale"] == "zh-TW"
    assert fake.guild_payload(guild)["preferred_locale"] == "zh-TW"


async def test_the_gateway_follows_discords_shard_rules(fake: FakeDiscord) -> None:
    """docs/events "Sharding": a shard id below num_shards (4010 Invalid shard), at most 2,500 servers on a shard
    (4011 Sharding required), each server's events on shard (guild_id >> 22) % num_shards."""
    first, second = fake.add_guild("a"), fake.add_guild("b")
    assert fake.shard_of(first, 2) != fake.shard_of(second, 2)

    async def identify(shard: list[int]) -> tuple[int | None, list[str]]:
        async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()  # hello
            await ws.send_json({"op": 2, "d": {"token": "t", "intents": 0, "shard": shard, "properties": {}}})
            events: list[str] = []
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data = msg.json()
                if data.get("t") == "GUILD_CREATE":
                    events.append(data["d"]["id"])
                if data.get("t") == "GUILD_CREATE" and len(events) == 1:
                    await ws.close()
            return ws.close_code, events

    code, _ = await identify([2, 2])
    assert code == 4010
    _, servers = await identify([fake.shard_of(second, 2), 2])
    assert servers == [str(second)], "a shard is sent its own servers only"
    for _ in range(2500):
        fake.guilds[next(fake._ids)] = {**fake.guilds[first], "id": "0", "channel_ids": []}  # bulk, never sent
    code, _ = await identify([0, 1])
    assert code == 4011
