"""The showcase (#23): members' ⭐ on a result, through the fake Discord's gateway, repost it once to the server's
showcase channel; its count follows; restarts, duplicates and a bot that was away change nothing of that."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..fakes.discord import ATTACH_FILES
from ..harness import World
from ..helpers import admin, button, eventually, make_video

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL

FAST = {"SHOWCASE_EDIT_DELAY": "0.2"}


def showcase_posts(world: World, channel: int) -> list[dict[str, Any]]:
    return [m for m in world.discord.channel_messages(channel) if m.get("embeds") and "⭐" in m.get("content", "")]


async def stargazers(world: World, n: int) -> list[int]:
    users = []
    for i in range(n):
        user = world.discord.add_user(f"fan{i}")
        world.discord.add_member(world.guild, user)
        users.append(user)
    return users


async def with_showcase(world: World, stars: int = 3) -> int:
    channel = world.other_channel
    page = await admin(
        world, "settings", {"showcase_channel": world.discord.channel_option(channel), "showcase_stars": stars}
    )
    assert "showcase in" in page["content"], page["content"]
    return channel


async def has_stars(world: World, video_id: str, stars: int) -> bool:
    """The bot counted this many (what only its database shows)."""
    assert world.bot is not None
    video = await world.bot.videos.get(world.guild, video_id)
    return video is not None and video.stars == stars


async def test_three_stars_from_others_showcase_a_result_once(tmp_path: Path, both_shelves: str) -> None:
    async with World(tmp_path, callbacks=True, **FAST) as world:
        showcase = await with_showcase(world)
        message, video_id = await make_video(world, "a lighthouse in a storm")
        mid = int(message["id"])
        fans = await stargazers(world, 3)
        await world.discord.react(mid, world.member)  # the requester's own star does not count
        await world.discord.react(mid, fans[0])
        await world.discord.react(mid, fans[1])
        await eventually(lambda: has_stars(world, video_id, 2), what="the stars counted")
        assert showcase_posts(world, showcase) == [], "two stars from others are not enough"

        # another bot's star never counts (its event names it a bot, and so does Discord's list)
        other_bot = world.discord.add_user("another bot", bot=True)
        world.discord.add_member(world.guild, other_bot)
        await world.discord.react(mid, other_bot)
        # an add that arrives after its own remove (out of order): the events say three, Discord says two
        ghost = world.discord.add_user("ghost")
        world.discord.add_member(world.guild, ghost)
        await world.discord.dispatch("MESSAGE_REACTION_ADD", _event(world, mid, ghost))
        await world.wait_for(lambda: world.discord.calls("GET", r"/reactions/"))  # three by the events: it asks
        await eventually(lambda: has_stars(world, video_id, 2), what="the ghost's star read away from Discord's list")
        assert showcase_posts(world, showcase) == [], "not posted on a count Discord does not confirm"

        await world.discord.react(mid, fans[2])
        [post] = await world.wait_for(lambda: showcase_posts(world, showcase))
        assert post["content"].startswith("⭐ **3**")
        assert post["attachments"], "the video went as a file"
        assert post["attachments"][0]["filename"] == f"luma-{video_id}.mp4"
        embed = post["embeds"][0]
        assert "a lighthouse in a storm" in embed["description"]
        assert f"<@{world.member}>" in str(embed["fields"])
        assert f"/channels/{world.guild}/{world.channel}/{mid}" in str(post["components"]), "a jump to the result"
        assert post["id"] not in {m["id"] for m in world.discord.pings(world.member)}, "nobody is pinged"

        # more stars, one taken back, a duplicate event: the count follows, edited once things settle
        more = await stargazers(world, 2)
        await world.discord.react(mid, more[0])
        await world.discord.react(mid, more[1])
        await world.discord.unreact(mid, fans[0])
        await world.discord.dispatch("MESSAGE_REACTION_ADD", _event(world, mid, more[0]))  # sent twice
        await world.wait_for(lambda: world.message(int(post["id"]))["content"].startswith("⭐ **4**"))
        assert len(showcase_posts(world, showcase)) == 1, "posted once"


def _event(world: World, message_id: int, user_id: int) -> dict[str, Any]:
    return world.discord._reaction_event(world.message(message_id), user_id, "⭐", True)


async def test_stars_that_came_while_the_bot_was_away_are_counted_at_start_once(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, **FAST) as world:
        showcase = await with_showcase(world, stars=2)
        message, video_id = await make_video(world, "a paper boat on a river")
        mid = int(message["id"])
        fans = await stargazers(world, 3)
        await world.discord.react(mid, fans[0])
        await eventually(lambda: has_stars(world, video_id, 1), what="the stars counted")
        await world.stop_bot()
        await world.discord.react(mid, fans[1], tell=False)  # nobody told the bot
        await world.discord.react(mid, fans[2], tell=False)
        await world.start_bot()
        [post] = await world.wait_for(lambda: showcase_posts(world, showcase))
        assert post["content"].startswith("⭐ **3**"), "read again from Discord at start"
        await world.stop_bot()
        await world.start_bot()
        await eventually(lambda: has_stars(world, video_id, 3), what="the stars counted")
        await world.discord.react(mid, world.admin)  # the bot is listening again
        await world.wait_for(lambda: world.message(int(post["id"]))["content"].startswith("⭐ **4**"))
        assert len(showcase_posts(world, showcase)) == 1, "a restart posts nothing twice"
        gets = world.discord.calls("GET", r"/reactions/")
        assert gets and all(r.query.get("limit") == "100" for r in gets)


async def test_private_and_spoilered_results_are_never_showcased(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, **FAST) as world:
        showcase = await with_showcase(world, stars=1)
        spoiled, spoiled_id = await make_video(world, "a secret garden", spoiler=True)
        plain, _plain_id = await make_video(world, "an open field")
        [fan] = await stargazers(world, 1)
        await world.discord.react(int(spoiled["id"]), fan)
        await eventually(lambda: has_stars(world, spoiled_id, 1), what="the stars counted")
        await world.discord.react(int(plain["id"]), fan)
        [post] = await world.wait_for(lambda: showcase_posts(world, showcase))
        assert "an open field" in post["embeds"][0]["description"], "only the plain one"
        # a private result has no message in the channel to star: nothing of it ever reaches the showcase
        private = await world.generate("a diary page", private=True)
        await world.discord.wait_response(private)
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 3)
        assert len(showcase_posts(world, showcase)) == 1


async def test_deleting_a_result_or_an_admin_removes_its_showcase_post_for_good(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, **FAST) as world:
        showcase = await with_showcase(world, stars=1)
        first, _first_id = await make_video(world, "a clock tower")
        second, second_id = await make_video(world, "a windmill")
        [fan, other] = await stargazers(world, 2)
        await world.discord.react(int(first["id"]), fan)
        await world.discord.react(int(second["id"]), fan)
        await world.wait_for(lambda: len(showcase_posts(world, showcase)) == 2)

        pressed = await world.discord.click(int(first["id"]), button(first, "Delete"), world.member)
        await world.discord.wait_response(pressed)
        await world.wait_for(lambda: len(showcase_posts(world, showcase)) == 1)

        page = await admin(world, "showcase remove", {"video": second_id})
        assert "taken out of the showcase" in page["content"] and "post was deleted" in page["content"]
        await world.wait_for(lambda: showcase_posts(world, showcase) == [])
        await world.discord.react(int(second["id"]), other)  # more stars: it never comes back
        await eventually(lambda: has_stars(world, second_id, 2), what="the stars counted")
        assert showcase_posts(world, showcase) == []


async def test_an_age_restricted_channels_result_goes_only_to_an_age_restricted_showcase(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, **FAST) as world:
        showcase = await with_showcase(world, stars=1)
        late = world.discord.add_channel(world.guild, "late-night")
        world.discord.set_age_restricted(late)
        await world.discord.dispatch("CHANNEL_CREATE", dict(world.discord.channels[late]))
        await world.wait_for(lambda: world.bot is not None and world.bot.get_channel(late) is not None)
        before = {m["id"] for m in world.video_messages()}
        await world.generate("a smoky jazz bar", channel=late)
        [message] = await world.wait_for(lambda: [m for m in world.video_messages() if m["id"] not in before])
        video_id = next(f["value"] for f in message["embeds"][0]["fields"] if f["name"] == "Video ID").strip("`")
        first, second = await stargazers(world, 2)
        await world.discord.react(int(message["id"]), first)
        await eventually(lambda: has_stars(world, video_id, 1), what="the star counted")
        assert showcase_posts(world, showcase) == [], "a showcase that is not age-restricted never gets it"
        world.discord.set_age_restricted(showcase)
        await world.discord.channel_updated(showcase)
        await world.wait_for(lambda: world.bot is not None and world.bot.get_channel(showcase).nsfw)  # type: ignore[union-attr]
        await world.discord.react(int(message["id"]), second)
        [post] = await world.wait_for(lambda: showcase_posts(world, showcase))
        assert "a smoky jazz bar" in post["embeds"][0]["description"]


async def test_a_showcase_channel_the_bot_cannot_post_in_is_said_and_tried_again(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, **FAST) as world:
        showcase = world.other_channel
        world.discord.deny_bot(showcase, ATTACH_FILES)
        await world.discord.channel_updated(showcase)
        await world.wait_for(lambda: world.bot is not None and world.bot.get_channel(showcase) is not None)
        page = await admin(
            world, "settings", {"showcase_channel": world.discord.channel_option(showcase), "showcase_stars": 1}
        )
        assert "the showcase can't be posted there in full" in page["content"], "the admin is told at once"

        world.discord.forbid_channel(showcase)  # then the channel closes to the bot entirely
        message, video_id = await make_video(world, "a moth circling a porch light")
        first, second = await stargazers(world, 2)
        await world.discord.react(int(message["id"]), first)
        refused = await world.wait_for(
            lambda: [r for r in world.discord.calls("POST", rf"/channels/{showcase}/messages$") if r.status == 403]
        )
        assert len(refused) == 1
        assert world.bot is not None
        problems = await eventually(world.bot.guild_store.problems, what="the problem noted for luma-bot check")
        assert [(p.channel_id, p.purpose) for p in problems] == [(showcase, "showcase")]

        world.discord.forbidden_channels.discard(showcase)  # an admin fixed it: the next star posts it
        await world.discord.react(int(message["id"]), second)
        [post] = await world.wait_for(lambda: showcase_posts(world, showcase))
        assert post["content"].startswith("⭐ **2**") and not post["attachments"], "the link, without Attach Files"
        assert video_id in post["embeds"][0]["footer"]["text"]


async def test_a_post_interrupted_by_a_stop_is_sent_at_the_next_start_once(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, **FAST) as world:
        showcase = await with_showcase(world, stars=1)
        message, video_id = await make_video(world, "a snow globe being shaken")
        [fan] = await stargazers(world, 1)
        posting = rf"/channels/{showcase}/messages$"
        world.discord.rate_limit("POST", posting, retry_after=30)  # Discord holds the post back…
        await world.discord.react(int(message["id"]), fan)
        await world.wait_for(lambda: [r for r in world.discord.calls("POST", posting) if r.status == 429])
        await world.stop_bot()  # … and the bot stops meanwhile: claimed, never sent
        assert showcase_posts(world, showcase) == []

        await world.start_bot()
        [post] = await world.wait_for(lambda: showcase_posts(world, showcase))
        assert post["content"].startswith("⭐ **1**") and video_id in post["embeds"][0]["footer"]["text"]
        assert post["nonce"] == f"s-{video_id[:23]}", "sent with the result's own nonce"
        await world.stop_bot()
        reads = len(world.discord.calls("GET", r"/reactions/"))
        await world.start_bot()  # and again: its catch-up reads the stars once more, and posts nothing
        await world.wait_for(lambda: len(world.discord.calls("GET", r"/reactions/")) > reads)
        assert len(showcase_posts(world, showcase)) == 1
