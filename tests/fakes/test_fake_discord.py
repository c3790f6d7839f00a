"""The fake Discord refuses what Discord refuses, so a bot that passes here behaves there."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from .discord import (
    ATTACH_FILES,
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeDiscord,
    NotOffered,
)
from .discord_files import MIB
from .discord_limits import InvalidForm, check_modal
from .discord_permissions import CREATE_PRIVATE_THREADS, MANAGE_THREADS, SEND_MESSAGES_IN_THREADS


@pytest.fixture
async def fake() -> Any:
    discord = await FakeDiscord(token="t").start()
    yield discord
    await discord.stop()


def a_command(fake: FakeDiscord, guild: int, channel: int, user: int) -> Any:
    """A slash command's interaction, as the fake would send it to a bot."""
    interaction = fake._interaction_base(2, guild, channel, user)
    interaction.payload["data"] = {"id": "1", "name": "x", "type": 1}
    return interaction


async def test_interaction_response_rules(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    user = fake.add_user("u")
    fake.add_member(guild, user)

    def make() -> Any:
        return a_command(fake, guild, channel, user)

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


async def test_private_threads_follow_discords_rules(fake: FakeDiscord) -> None:
    """channel.mdx, Start Thread without Message and Add Thread Member; threads.mdx, private threads: only in text
    channels, with Create Private Threads, seen and written only by their members (or Manage Threads)."""
    guild = fake.add_guild()
    parent = fake.guilds[guild]["channel_ids"][0]
    member = fake.add_user("m")
    fake.add_member(guild, member)
    stranger = fake.add_user("s")
    base = f"{fake.api_base}/channels"
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:

        async def start(channel: int, body: dict[str, Any]) -> tuple[int, Any]:
            async with http.post(f"{base}/{channel}/threads", json=body) as r:
                return r.status, await r.json()

        assert (await start(parent, {"name": ""}))[0] == 400, "a name of 1-100 characters"
        assert (await start(parent, {"name": "x", "auto_archive_duration": 30}))[0] == 400
        assert (await start(parent, {"name": "x", "type": 11, "invitable": False}))[0] == 400, "invitable: private only"
        public = fake.add_thread(parent)
        status, body = await start(public, {"name": "x"})
        assert status == 400 and body["code"] == 50024, "only in a text channel"
        fake.deny_bot(parent, CREATE_PRIVATE_THREADS)
        status, body = await start(parent, {"name": "x"})
        assert status == 403 and body["code"] == 50013
        fake.set_overwrite(parent, int(fake.bot_user["id"]), role=False)
        status, thread = await start(parent, {"name": "a private one", "invitable": False})
        assert status == 201 and thread["type"] == 12, "type defaults to PRIVATE_THREAD"
        thread_id = int(thread["id"])
        async with http.put(f"{base}/{thread_id}/thread-members/{stranger}") as r:
            assert r.status == 404, "only a member of the server"
        for _ in range(2):  # "204 … if the member is successfully added or was already a member"
            async with http.put(f"{base}/{thread_id}/thread-members/{member}") as r:
                assert r.status == 204
        assert sorted(fake.thread_members(thread_id)) == sorted([int(fake.bot_user["id"]), member])

        outsider = fake.add_thread(parent, "someone else's")
        fake.channels[outsider].update(type=12, member_ids=[str(member)])
        async with http.post(f"{base}/{outsider}/messages", json={"content": "x"}) as r:
            assert r.status == 403 and (await r.json())["code"] == 50001, "not in that private thread"
        fake.set_overwrite(parent, int(fake.bot_user["id"]), allow=MANAGE_THREADS, role=False)
        async with http.post(f"{base}/{outsider}/messages", json={"content": "x"}) as r:
            assert r.status == 200, "a moderator of the channel may"


async def test_an_ephemeral_message_is_not_reached_through_its_channel(fake: FakeDiscord) -> None:
    """An ephemeral message lives in its interaction only: the channel's routes answer Unknown Message."""
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    user = fake.add_user("u")
    fake.add_member(guild, user)
    interaction = a_command(fake, guild, channel, user)
    async with aiohttp.ClientSession() as http:
        callback = f"{fake.api_base}/interactions/{interaction.id}/{interaction.token}/callback?with_response=1"
        async with http.post(callback, json={"type": 4, "data": {"content": "only you", "flags": 64}}) as r:
            message_id = (await r.json())["resource"]["message"]["id"]
        route = f"{fake.api_base}/channels/{channel}/messages/{message_id}"
        async with http.delete(route, headers={"Authorization": "Bot t"}) as r:
            assert r.status == 404 and (await r.json())["code"] == 10008
        original = f"{fake.api_base}/webhooks/{fake.application_id}/{interaction.token}/messages/@original"
        async with http.delete(original) as r:
            assert r.status == 204, "its interaction's webhook reaches it"


def test_a_select_in_a_modal_follows_discords_rules() -> None:
    """components/reference.mdx, String Select: in a modal it sits in a label; options 1-25 of at most 100 characters;
    "Using `disabled` in a modal will result in an error"; min_values at least 1 while it is required."""

    def modal(select: dict[str, Any]) -> dict[str, Any]:
        menu = {"type": 3, "custom_id": "camera", "options": [{"label": "Pan", "value": "pan"}], **select}
        return {"title": "t", "custom_id": "m", "components": [{"type": 18, "label": "Camera", "component": menu}]}

    check_modal(modal({}))
    for bad in (
        {"disabled": True},
        {"min_values": 0},
        {"options": []},
        {"options": [{"label": "x" * 101, "value": "v"}]},
        {"options": [{"label": "x", "value": str(i)} for i in range(26)]},
        {"placeholder": "p" * 151},
    ):
        with pytest.raises(InvalidForm):
            check_modal(modal(bad))
    check_modal(modal({"min_values": 0, "required": False}))


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
        assert message["attachments"][0]["url"].startswith(f"{fake.cdn_base}/attachments/")
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
    bot = int(fake.bot_user["id"])
    for _ in range(2500):
        bulk = next(fake._ids)
        fake.guilds[bulk] = {**fake.guilds[first], "id": "0", "channel_ids": []}  # bulk, never sent
        fake.members[(bulk, bot)] = {}
    code, _ = await identify([0, 1])
    assert code == 4011


# --- rules the fake learned for the first-contact issue (#19), each from Discord's docs --------------------------


async def test_permissions_follow_overwrites_and_implicit_denials(fake: FakeDiscord) -> None:
    """topics/permissions.mdx: @everyone's overwrite, then the roles' (an allow beats a deny there), then the member's;
    without View Channel nothing counts (50001 Missing Access); without Send Messages neither Attach Files nor Embed
    Links; a thread takes its parent's overwrites and needs Send Messages in Threads to post."""
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    bot = int(fake.bot_user["id"])
    helpers = fake.add_role(guild, "helpers")
    fake.members[(guild, bot)]["roles"].append(str(helpers))
    assert fake.bot_permissions(channel) & SEND_MESSAGES
    fake.set_overwrite(channel, guild, deny=SEND_MESSAGES)  # @everyone may not post here
    assert not fake.bot_permissions(channel) & (SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES), "implicitly denied"
    fake.set_overwrite(channel, helpers, allow=SEND_MESSAGES)  # ... but the bot's role may
    assert fake.bot_permissions(channel) & (SEND_MESSAGES | EMBED_LINKS) == SEND_MESSAGES | EMBED_LINKS
    fake.deny_bot(channel, SEND_MESSAGES)  # ... and the bot itself may not: the member's overwrite comes last
    assert not fake.bot_permissions(channel) & SEND_MESSAGES
    thread = fake.add_thread(channel)
    assert fake.bot_permissions(thread) & SEND_MESSAGES_IN_THREADS, "a thread takes its parent's overwrites"
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:

        async def post(where: int, body: dict[str, Any]) -> tuple[int, Any]:
            async with http.post(f"{fake.api_base}/channels/{where}/messages", json=body) as r:
                return r.status, await r.json()

        assert (await post(channel, {"content": "x"})) == (403, {"code": 50013, "message": "Missing Permissions"})
        assert (await post(thread, {"content": "x"}))[0] == 200, "Send Messages in Threads is what a thread needs"
        fake.deny_bot(channel, SEND_MESSAGES_IN_THREADS)
        assert (await post(thread, {"content": "x"}))[1]["code"] == 50013
        fake.set_overwrite(channel, guild, deny=VIEW_CHANNEL)
        fake.set_overwrite(channel, helpers, allow=0)
        assert (await post(channel, {"content": "x"})) == (403, {"code": 50001, "message": "Missing Access"})


async def test_embeds_need_embed_links_and_a_request_is_at_most_25_mib(fake: FakeDiscord) -> None:
    """Without Embed Links a bot's embeds are dropped, and a message left empty is refused (400 50006:
    discord-api-docs#5648, #2601); Create Message: "The maximum request size when sending a message is 25 MiB",
    whatever the server's boost tier allows a file to be."""
    guild = fake.add_guild("boosted", premium_tier=3)
    channel = fake.guilds[guild]["channel_ids"][0]
    fake.deny_bot(channel, EMBED_LINKS)
    embed = {"title": "a result", "description": "d"}
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        url = f"{fake.api_base}/channels/{channel}/messages"
        async with http.post(url, json={"embeds": [embed]}) as r:
            assert (r.status, (await r.json())["code"]) == (400, 50006)
        async with http.post(url, json={"content": "text", "embeds": [embed]}) as r:
            assert r.status == 200 and (await r.json())["embeds"] == [], "the embed is silently dropped"
        thirty = b"\0" * (30 * MIB)  # within tier 3's 100 MiB a file, over 25 MiB a request
        async with http.post(url, data=_form({"content": "x", "attachments": [{"id": 0, "filename": "a.mp4"}]},
                                              [("a.mp4", thirty)])) as r:  # fmt: skip
            assert (r.status, (await r.json())["code"]) == (413, 40005)


async def test_reading_a_message_needs_history_and_the_content_intent(fake: FakeDiscord) -> None:
    """Get Channel Message needs View Channel and Read Message History; without the Message Content intent switched
    on in the Portal, another user's message comes with empty content, embeds, attachments and components, over REST
    as over the gateway (events/gateway.mdx, "Message Content Intent"), unless it mentions the app; the app's own
    messages always come whole."""
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    user = fake.add_user("u")
    fake.add_member(guild, user)
    picture = fake.user_attachment(channel, "cat.png")
    theirs = fake._message(channel, fake.users[user], {"content": "look", "embeds": [{"title": "t"}]})
    theirs["attachments"] = [picture]
    pinging = fake._message(channel, fake.users[user], {"content": "hey <@bot>"})
    pinging["mentions"] = [fake.bot_user]
    for message in (theirs, pinging):
        fake.messages[int(message["id"])] = message
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:

        async def get(message: dict[str, Any]) -> tuple[int, Any]:
            async with http.get(f"{fake.api_base}/channels/{channel}/messages/{message['id']}") as r:
                return r.status, await r.json()

        _, seen = await get(theirs)
        assert (seen["content"], seen["embeds"], seen["attachments"], seen["components"]) == ("", [], [], [])
        assert (await get(pinging))[1]["content"] == "hey <@bot>", "it mentions the app"
        fake.message_content_allowed = True
        _, seen = await get(theirs)
        assert seen["content"] == "look" and seen["attachments"][0]["filename"] == "cat.png"
        fake.deny_bot(channel, READ_MESSAGE_HISTORY)
        assert (await get(theirs))[1]["code"] == 50013


async def test_only_new_messages_notify_and_as_allowed_mentions_permit(fake: FakeDiscord) -> None:
    """A mention in a new message notifies (as `allowed_mentions` permits: message.mdx "Allowed Mentions"); an edit
    never does, so the first follow-up after a defer, which Discord turns into an edit, pings nobody."""
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    member, other = fake.add_user("m"), fake.add_user("o")
    for user in (member, other):
        fake.add_member(guild, user)
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        url = f"{fake.api_base}/channels/{channel}/messages"
        only_member = {"parse": [], "users": [str(member)]}
        body = {"content": f"<@{member}> and <@{other}>", "allowed_mentions": only_member}
        async with http.post(url, json=body) as r:
            posted = await r.json()
        assert fake.notifications == [(member, int(posted["id"]))]
        async with http.patch(f"{url}/{posted['id']}", json={"content": f"<@{other}> again"}) as r:
            assert r.status == 200
        assert fake.notifications == [(member, int(posted["id"]))], "an edit notifies nobody"
        interaction = fake._interaction_base(2, guild, channel, member)
        hook = f"{fake.api_base}/webhooks/{fake.application_id}/{interaction.token}"
        async with http.post(f"{fake.api_base}/interactions/{interaction.id}/{interaction.token}/callback",
                             json={"type": 5}) as r:  # fmt: skip
            assert r.status == 204
        async with http.post(f"{hook}?wait=true", json={"content": f"<@{member}>"}) as r:
            assert (await r.json())["id"] == str(interaction.original_message_id), "turned into an edit"
        assert len(fake.notifications) == 1
        async with http.post(f"{hook}?wait=true", json={"content": f"<@{member}> done"}) as r:
            new = await r.json()
        assert fake.notifications[-1] == (member, int(new["id"])), "a real follow-up is a new message"


async def test_commands_carry_contexts_and_a_user_install_is_offered_only_what_allows_it(fake: FakeDiscord) -> None:
    """application-commands.mdx, "Contexts": a global command's integration_types default to the installations the
    application supports and its contexts to all three; a command is offered to a user install only when both allow
    it; integration_types may name only installations the application supports."""
    user = fake.add_user("traveller")
    url = f"{fake.api_base}/applications/{fake.application_id}/commands"
    plain = {"name": "plain", "description": "d", "type": 1, "options": [{"name": "go", "type": 1, "description": "d"}]}
    fenced = {**plain, "name": "fenced", "contexts": [0], "integration_types": [0]}
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        async with http.put(url, json=[{**plain, "integration_types": [0, 1]}]) as r:
            assert r.status == 400, "User Install is off"
        fake.user_install = True
        async with http.put(url, json=[plain, fenced]) as r:
            stored = {c["name"]: c for c in await r.json()}
    assert (stored["plain"]["contexts"], stored["plain"]["integration_types"]) == ([0, 1, 2], [0, 1])
    assert (stored["fenced"]["contexts"], stored["fenced"]["integration_types"]) == ([0], [0])
    with pytest.raises(NotOffered):
        await fake.user_command(user, ["fenced", "go"], context=1)
    assert fake.interactions == {}


async def test_the_cdn_serves_uploads_until_an_ephemeral_one_is_removed(fake: FakeDiscord) -> None:
    """message.mdx, Attachment Object: "Ephemeral attachments will automatically be removed after a set period of
    time"; a command option's file is one. Its signed link answers until then."""
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    upload = fake.user_attachment(channel, "frame.png", data=b"\x89PNG picture", ephemeral=True)
    async with aiohttp.ClientSession() as http:
        async with http.get(upload["url"]) as r:
            assert r.status == 200 and await r.read() == b"\x89PNG picture"
            assert r.headers["Content-Type"] == "image/png"
        fake.expire_upload(upload)
        async with http.get(upload["url"]) as r:
            assert r.status == 404


async def test_an_enforced_nonce_returns_the_first_message(fake: FakeDiscord) -> None:
    """message.mdx, Create Message, `enforce_nonce`: "If true and nonce is present, it will be checked for
    uniqueness in the past few minutes. If another message was created by the same author with the same nonce,
    that message will be returned and no new message will be created." (the fake keeps 2 minutes)"""
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        url = f"{fake.api_base}/channels/{channel}/messages"
        body = {"content": "a result", "nonce": "job-1", "enforce_nonce": True}
        async with http.post(url, json=body) as r:
            first = await r.json()
        async with http.post(url, json=body) as r:
            again = await r.json()
        assert again["id"] == first["id"] and len(fake.channel_messages(channel)) == 1
        fake.clock_offset += 121
        async with http.post(url, json=body) as r:
            assert (await r.json())["id"] != first["id"], "past the window, a new message"


async def test_leaving_a_server_answers_204_and_says_so_over_the_gateway(fake: FakeDiscord) -> None:
    """user.mdx, Leave Guild: 204 and a Guild Delete event (gateway-events.mdx: without `unavailable`, the user was
    removed); a server the bot is not in is Unknown Guild (10004); a server the bot left is not in the next READY."""
    stays, leaves = fake.add_guild("stays"), fake.add_guild("leaves")
    assert fake.guilds[leaves]["system_channel_id"] == fake.guilds[leaves]["channel_ids"][0], "a new server's notices"
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        await ws.receive_json()  # hello
        await ws.send_json({"op": 2, "d": {"token": "t", "intents": 0, "shard": [0, 1], "properties": {}}})
        seen = []
        while len([e for e in seen if e[0] == "GUILD_CREATE"]) < 2:
            data = await ws.receive_json()
            seen.append((data.get("t"), data.get("d", {}).get("id")))
        headers = {"Authorization": "Bot t"}
        async with http.delete(f"{fake.api_base}/users/@me/guilds/{leaves}", headers=headers) as r:
            assert r.status == 204
        events = [(await ws.receive_json()) for _ in range(2)]
        assert [e["t"] for e in events] == ["GUILD_MEMBER_REMOVE", "GUILD_DELETE"]
        assert events[1]["d"] == {"id": str(leaves)}, "no `unavailable`: the bot was removed"
        async with http.delete(f"{fake.api_base}/users/@me/guilds/{leaves}", headers=headers) as r:
            assert r.status == 404 and (await r.json())["code"] == 10004
    assert fake.left_guilds == [leaves] and fake.bot_is_in(stays) and not fake.bot_is_in(leaves)
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        await ws.receive_json()
        await ws.send_json({"op": 2, "d": {"token": "t", "intents": 0, "shard": [0, 1], "properties": {}}})
        ready = await ws.receive_json()
        assert [g["id"] for g in ready["d"]["guilds"]] == [str(stays)]


# --- rules the fake learned for the showcase (#23) ----------------------------------------------------------------


async def test_reactions_reach_a_bot_only_with_the_intent_and_are_listed_by_page(fake: FakeDiscord) -> None:
    """events/gateway.mdx, Gateway Intents: MESSAGE_REACTION_ADD/REMOVE/REMOVE_ALL only under GUILD_MESSAGE_REACTIONS
    (1 << 10); gateway-events.mdx: an add carries the member and the message's author, a remove neither; a user's
    second reaction with one emoji is no reaction. message.mdx, Get Reactions: users by id after `after`, `limit`
    1-100 (default 25), needs Read Message History."""
    guild = fake.add_guild()
    channel = fake.guilds[guild]["channel_ids"][0]
    users = [fake.add_user(f"u{i}") for i in range(30)]
    for user in users:
        fake.add_member(guild, user)
    message = fake._create_message(channel, {"content": "a result"})
    mid = int(message["id"])

    async def events_for(intents: int) -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()  # hello
            await ws.send_json({"op": 2, "d": {"token": "t", "intents": intents, "shard": [0, 1], "properties": {}}})
            await fake.wait_ready()
            assert await fake.react(mid, users[0]) and not await fake.react(mid, users[0]), "once per emoji"
            await fake.unreact(mid, users[0])
            await fake.dispatch("TYPING_START", {"channel_id": str(channel)})  # a marker: all before it arrived
            seen = []
            async for msg in ws:
                data = msg.json()
                if data.get("t") == "TYPING_START":
                    return seen
                if str(data.get("t")).startswith("MESSAGE_REACTION"):
                    seen.append(data)
            return seen

    assert await events_for(0) == [], "no intent, no reaction events"
    added, removed = await events_for(1 << 10)
    assert added["t"] == "MESSAGE_REACTION_ADD" and added["d"]["message_author_id"] == fake.bot_user["id"]
    assert added["d"]["member"]["user"]["id"] == str(users[0]) and added["d"]["emoji"] == {"id": None, "name": "⭐"}
    assert removed["t"] == "MESSAGE_REACTION_REMOVE" and "member" not in removed["d"]
    assert "message_author_id" not in removed["d"]

    for user in users:
        await fake.react(mid, user, tell=False)
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:

        async def listed(**query: Any) -> tuple[int, Any]:
            url = f"{fake.api_base}/channels/{channel}/messages/{mid}/reactions/⭐"
            async with http.get(url, params=query) as r:
                return r.status, await r.json()

        status, first = await listed()
        assert status == 200 and len(first) == 25, "25 by default"
        _, rest = await listed(limit=100, after=first[-1]["id"])
        assert [u["id"] for u in first + rest] == [str(u) for u in sorted(users)]
        assert (await listed(limit=101))[0] == 400
        fake.deny_bot(channel, READ_MESSAGE_HISTORY)
        assert (await listed())[1]["code"] == 50013
    assert fake.messages[mid]["reactions"][0]["count"] == 30
