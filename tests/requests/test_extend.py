"""Extending a video four ways, end to end, and what a foreign or unknown video gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.store import Video

from ..harness import World
from ..helpers import extension_messages, form_fields, make_video

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


def field(message: dict[str, Any], name: str) -> str:
    return next(f["value"] for f in message["embeds"][0]["fields"] if f["name"] == name)


async def ephemeral_text(world: World, interaction) -> str:
    await world.discord.wait_response(interaction)
    assert interaction.response_type == 4 and interaction.response_data["flags"] & 64
    return interaction.response_data["content"]


async def test_slash_extend_by_id_shows_the_lineage(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        _, parent = await make_video(world, "a lighthouse at dusk")
        await world.discord.slash(
            world.guild,
            world.channel,
            world.member,
            ["luma", "extend"],
            {"video": parent, "prompt": "the light turns on", "end_image_url": "https://img.example/end.png"},
        )
        [result] = await world.wait_for(lambda: extension_messages(world))
        body = world.luma.videos_requests()[-1]
        assert body["action"] == "extend" and body["video_id"] == parent and "video_url" not in body
        assert body["prompt"] == "the light turns on" and body["end_image_url"] == "https://img.example/end.png"
        assert field(result, "Extended from") == f"`{parent}`"
        child = field(result, "Video ID").strip("`")
        stored = await world.bot.jobs.videos.get(world.guild, child)  # type: ignore[union-attr]
        assert stored is not None and stored.parent_video_id == parent and stored.action == "extend"


async def test_slash_extend_by_link(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        message, parent = await make_video(world, "waves on rocks")
        await world.wait_for(lambda: world.bot.jobs.stats["delivered"] == 1)  # type: ignore[union-attr]
        video = await world.bot.jobs.videos.get(world.guild, parent)  # type: ignore[union-attr]
        assert video is not None
        # every link of a video is known: the API's, the Discord attachment's (signed anew on each fetch),
        # and the served copy's
        links = [
            video.video_url,
            message["attachments"][0]["url"].replace("ex=", "ex=0"),
            f"https://bot.example.org/media/{video.serve_key}.mp4",
        ]
        for n, link in enumerate(links, start=1):
            await world.discord.slash(
                world.guild,
                world.channel,
                world.member,
                ["luma", "extend"],
                {"video": link, "prompt": "a storm rolls in"},
            )
            await world.wait_for(lambda n=n: len(extension_messages(world)) == n)
            assert world.luma.videos_requests()[-1]["video_id"] == parent, f"a link we know is sent as its id: {link}"

        outside = "https://videos.example.org/clip.mp4"
        await world.discord.slash(
            world.guild,
            world.channel,
            world.member,
            ["luma", "extend"],
            {"video": outside, "prompt": "and then sunshine"},
        )
        await world.wait_for(lambda: len(extension_messages(world)) == 4)
        body = world.luma.videos_requests()[-1]
        assert body["video_url"] == outside and "video_id" not in body
        last = extension_messages(world)[-1]
        assert field(last, "Extended from") == outside


async def test_foreign_and_unknown_videos_are_refused_privately_and_free(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        other_guild = world.discord.add_guild("Elsewhere")
        async with world.bot.db.transaction() as tx:  # type: ignore[union-attr]
            await world.bot.jobs.videos.insert(
                tx,
                Video(  # type: ignore[union-attr]
                    "foreign-video-1", other_guild, 1, 2, "t1", "generate", "theirs", "https://cdn.example/f.mp4"
                ),
            )
        calls = len(world.luma.videos_requests())
        not_here = "No such video in this server's history"
        for video, expected in [
            # point 17: another server's video, by id or by its link, is answered like a missing one
            ("foreign-video-1", not_here),
            ("https://cdn.example/f.mp4", not_here),
            ("no-such-video", not_here),
            ("ftp://x/y.mp4", "must start with http"),
        ]:
            interaction = await world.discord.slash(
                world.guild, world.channel, world.member, ["luma", "extend"], {"video": video, "prompt": "continue it"}
            )
            assert expected in await ephemeral_text(world, interaction)
        assert len(world.luma.videos_requests()) == calls
        row = await world.bot.db.fetchone("SELECT COUNT(*) AS n FROM reservations")  # type: ignore[union-attr]
        assert row["n"] == 0
        video_page = await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "video"], {"id": "foreign-video-1"}
        )
        text = await ephemeral_text(world, video_page)
        assert text.startswith(not_here) and "another server" not in text


async def test_autocomplete_lists_this_guilds_recent_videos(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        other_guild = world.discord.add_guild("Elsewhere")
        async with world.bot.db.transaction() as tx:  # type: ignore[union-attr]
            for i in range(40):
                await world.bot.jobs.videos.insert(
                    tx,
                    Video(  # type: ignore[union-attr]
                        f"vid-{i:02d}",
                        world.guild,
                        world.member,
                        world.channel,
                        f"t{i}",
                        "generate",
                        f"{'dragon' if i % 2 else 'castle'} number {i} " + "with a very long description " * 10,
                        f"https://cdn.example/{i}.mp4",
                    ),
                )
            await world.bot.jobs.videos.insert(
                tx,
                Video(  # type: ignore[union-attr]
                    "vid-foreign", other_guild, 1, 2, "tf", "generate", "dragon elsewhere", "https://cdn.example/f.mp4"
                ),
            )

        async def choices(typed: str) -> list[dict[str, Any]]:
            interaction = await world.discord.slash(
                world.guild,
                world.channel,
                world.member,
                ["luma", "extend"],
                {"video": typed, "prompt": "x"},
                focused="video",
            )
            await world.discord.wait_response(interaction)
            assert interaction.response_type == 8
            return interaction.response_data["choices"]

        everything = await choices("")
        assert len(everything) == 25
        assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in everything)
        assert everything[0]["value"] == "vid-39", "newest first"
        assert "vid-foreign" not in {c["value"] for c in everything}
        dragons = await choices("dragon")
        assert dragons and all(c["name"].startswith("dragon") for c in dragons)
        assert "vid-foreign" not in {c["value"] for c in dragons}
        assert [c["value"] for c in await choices("vid-07")] == ["vid-07"]


async def test_the_extend_button_works_after_a_restart(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        message, parent = await make_video(world, "a paper boat on a river")
        await world.stop_bot()
        await world.start_bot()
        [button] = [c for row in message["components"] for c in row["components"] if c.get("label") == "Extend"]
        click = await world.discord.click(int(message["id"]), button["custom_id"], world.other_member)
        await world.discord.wait_response(click)
        assert click.response_type == 9, "a modal opens"
        inputs = form_fields(click.response_data)
        assert inputs["prompt"]["value"] == "a paper boat on a river", "prefilled with the original prompt"
        submit = await world.discord.submit_modal(
            click, world.other_member, {"prompt": "the boat reaches the sea", "end_image_url": ""}
        )
        await world.discord.wait_response(submit)
        assert submit.response_type == 5
        [result] = await world.wait_for(lambda: extension_messages(world))
        body = world.luma.videos_requests()[-1]
        assert body == {
            "action": "extend",
            "prompt": "the boat reaches the sea",
            "video_id": parent,
            "loop": False,
            "enhancement": True,
            "callback_url": body["callback_url"],
            "async": True,
        }
        assert field(result, "Requested by") == f"<@{world.other_member}>"


async def test_the_context_menu_extends_a_video_message(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        message, parent = await make_video(world, "a snowy forest")
        menu = await world.discord.message_command("Extend video", int(message["id"]), world.member)
        await world.discord.wait_response(menu)
        assert menu.response_type == 9
        submit = await world.discord.submit_modal(
            menu, world.member, {"prompt": "a deer appears", "end_image_url": "https://img.example/d.png"}
        )
        await world.wait_for(lambda: extension_messages(world))
        body = world.luma.videos_requests()[-1]
        assert body["video_id"] == parent and body["prompt"] == "a deer appears"
        assert body["end_image_url"] == "https://img.example/d.png"
        assert submit.response_type == 5

        plain = await world.discord.post_user_message(world.channel, world.member, "just chatting")
        refused = await world.discord.message_command("Extend video", int(plain["id"]), world.member)
        assert "holds no video of mine" in await ephemeral_text(world, refused)


@pytest.mark.parametrize(
    ("intent", "ping", "extends"),
    [(True, False, True), (False, True, True), (False, False, False)],
    ids=["intent", "no-intent-ping", "no-intent-no-ping"],
)
async def test_a_reply_to_a_video_extends_it(tmp_path: Path, intent: bool, ping: bool, extends: bool) -> None:
    async with World(tmp_path, callbacks=False, MESSAGE_CONTENT_INTENT=str(intent).lower()) as world:
        message, parent = await make_video(world, "a hot air balloon")
        reply = await world.discord.post_user_message(
            world.channel, world.other_member, "it rises above the clouds", reply_to=int(message["id"]), ping=ping
        )
        if not extends:
            # a barrier: the listener returns at once for a reply it cannot read, so once a later command
            # has been answered, the reply was handled (and ignored)
            barrier = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "quota"], {})
            await world.discord.wait_response(barrier)
            assert extension_messages(world) == [] and world.discord.reactions == []
            return
        await world.wait_for(lambda: world.discord.reactions)
        assert world.discord.reactions[0][1] == int(reply["id"]) and world.discord.reactions[0][2] == "⏳"
        [result] = await world.wait_for(lambda: extension_messages(world))
        assert result["message_reference"]["message_id"] == reply["id"], "posted as a reply to the reply"
        assert result["content"].startswith(f"<@{world.other_member}>")
        body = world.luma.videos_requests()[-1]
        assert body["action"] == "extend" and body["video_id"] == parent
        assert body["prompt"] == "it rises above the clouds"


async def test_an_extend_form_opened_before_a_restart_works_after_it(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        message, parent = await make_video(world, "a kite over a beach")
        [button] = [c for row in message["components"] for c in row["components"] if c.get("label") == "Extend"]
        click = await world.discord.click(int(message["id"]), button["custom_id"], world.member)
        await world.discord.wait_response(click)
        assert click.response_type == 9
        await world.stop_bot()
        await world.start_bot()
        submit = await world.discord.submit_modal(click, world.member, {"prompt": "the kite string snaps"})
        await world.discord.wait_response(submit)
        assert submit.response_type == 5
        [result] = await world.wait_for(lambda: extension_messages(world))
        body = world.luma.videos_requests()[-1]
        assert body["video_id"] == parent and body["prompt"] == "the kite string snaps"
        assert "end_image_url" not in body
        assert field(result, "Extended from") == f"`{parent}`"


async def test_a_deleted_video_cannot_be_extended_by_any_way_left_open(tmp_path: Path) -> None:
    """#25: Delete hid a video from the history, yet the Extend button of a `/luma video` page, a form opened
    before the Delete and a reply to that page still extended it (and Again of an extension made it again)."""
    from ..helpers import button

    async with World(tmp_path, callbacks=False) as world:
        message, video_id = await make_video(world, "a paper boat")
        shown = await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "video"], {"id": video_id, "public": True}
        )
        await world.discord.wait_response(shown)
        page = world.message(shown.original_message_id)
        opened = await world.discord.click(int(message["id"]), button(message, "Extend"), world.member)
        await world.discord.wait_response(opened)
        assert opened.response_type == 9, "the form is open"
        extended_before = await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "extend"], {"video": video_id, "prompt": "it sails"}
        )
        [extension] = await world.wait_for(lambda: extension_messages(world))
        await world.discord.wait_response(extended_before)

        deleted = await world.discord.click(int(message["id"]), button(message, "Delete"), world.member)
        await world.wait_for(
            lambda: "Deleted" in str(world.discord.messages.get(deleted.original_message_id or 0, {}).get("content"))
        )
        await world.discord.post_user_message(world.channel, world.member, "it sinks", reply_to=int(page["id"]))
        again = await world.discord.click(int(page["id"]), button(page, "Extend"), world.member)
        assert "not in this server's history any more" in await ephemeral_text(world, again)
        form = await world.discord.submit_modal(opened, world.member, {"prompt": "it sinks slowly"})
        assert "not in this server's history" in await ephemeral_text(world, form)
        by_id = await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "extend"], {"video": video_id, "prompt": "it sinks"}
        )
        assert "No such video" in await ephemeral_text(world, by_id)
        rerun = await world.discord.click(int(extension["id"]), button(extension, "Again"), world.member)
        assert "was deleted" in await ephemeral_text(world, rerun)
        assert len(world.luma.videos_requests()) == 2, "the video and its one extension made before the Delete"
        assert [r for r in world.discord.reactions if r[2] == "⏳"] == [], "the reply started nothing"
