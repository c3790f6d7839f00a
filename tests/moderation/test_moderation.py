"""Prompt rules, the mod log, member blocks and Luma's own refusals, as members and moderators meet them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.moderation import Blocklist, fold, parse_duration

from ..harness import World
from ..helpers import admin, answer, make_video, mod_log, reserved

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL

# --- the blocklist's matching, on its own ------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "a lava flow",
        "LAVA!",
        "la\u200bva at night",  # split by a zero-width space
        "l\u200da\u2060v\u00ada",  # zero-width joiner, word joiner, soft hyphen
        "l\u0430v\u0430 in Cyrillic",  # Cyrillic а
        "l\u03b1v\u03b1",  # Greek alpha
        "ｌａｖａ",  # fullwidth
        "lávà",  # accents
        "the red-wine glass",
        "red \u200b wine",
        # #25: what the hand table missed, caught by Unicode's confusables (UTS #39) and letter-only boundaries
        "\u039dUDE",  # Greek capital nu
        "\u029f\u1d00\u1d20\u1d00",  # small capitals ʟᴀᴠᴀ
        "l\u0251v\u0251",  # Latin alpha ɑ
        "n\u057dde",  # Armenian ս
        "la\u3164va",  # Hangul filler
        "la\u2800va",  # braille blank
        "__lava__",
        "lava2",
        "red_wine",
        "BIKINI",
    ],
)
def test_disguised_spellings_are_caught(prompt: str) -> None:
    assert Blocklist(["lava", "red wine", "nude", "bikini"]).match(prompt) is not None, prompt


@pytest.mark.parametrize(
    "prompt", ["a lavatory", "Java islands", "molava", "redwine", "a lav a", "nudes", "a man", "denude"]
)
def test_longer_or_other_words_are_not(prompt: str) -> None:
    assert Blocklist(["lava", "red wine", "nude", "rnan"]).match(prompt) is None, prompt


def test_terms_in_scripts_without_spaces_match_inside_words() -> None:
    assert Blocklist(["暴力"]).match("一段暴力的视频") == "暴力"
    assert fold("Ｔｅｓｔ\u200b") == "test"


def test_block_durations() -> None:
    assert parse_duration("") is None and parse_duration("permanent") is None
    assert parse_duration("1d12h") == timedelta(hours=36) and parse_duration("30m") == timedelta(minutes=30)
    for bad in ("soon", "5", "0m", "400d", "2h soon"):
        with pytest.raises(ValueError):
            parse_duration(bad)


# --- through the fake Discord ---------------------------------------------------------------------


def titled(world: World, title: str) -> list[dict[str, Any]]:
    return [e for e in mod_log(world) if e["title"] == title]


async def test_blocked_words_are_refused_on_every_path_at_no_cost_and_logged(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await admin(world, "settings", {"mod_log_channel": world.discord.channel_option(world.other_channel)})
        added = await world.discord.slash(
            world.guild, world.channel, world.admin, ["luma-admin", "blocklist", "add"], {"terms": "lava, red wine"}
        )
        assert "added 2 terms" in (await answer(world, added))["content"]
        message, _ = await make_video(world, "a quiet mountain lake")
        requests_before = len(world.luma.videos_requests())

        # slash, in three spellings
        for prompt in ("a lava flow", "a la\u200bva flow", "a l\u0430v\u0430 flow"):
            refused = await world.generate(prompt)
            text = await world.private_answer(refused)
            assert "can't be used in this server" in text and "Nothing was charged" in text
            assert "lava" not in text, "no rule detail a troll could probe"
        # the Extend form (button → modal)
        opened = await world.discord.click(
            int(message["id"]), message["components"][0]["components"][0]["custom_id"], world.member
        )
        await world.discord.wait_response(opened)
        form = await world.discord.submit_modal(opened, world.member, {"prompt": "then red wine spills"})
        assert "can't be used in this server" in await world.private_answer(form)
        # a reply to the video
        reply = await world.discord.post_user_message(
            world.channel, world.member, "lava pours in", reply_to=int(message["id"])
        )
        answered = await world.wait_for(
            lambda: [
                m
                for m in world.discord.channel_messages(world.channel)
                if m.get("message_reference", {}).get("message_id") == reply["id"]
            ]
        )
        assert "can't be used in this server" in answered[0]["content"]

        assert len(world.luma.videos_requests()) == requests_before, "nothing reached the API"
        assert await reserved(world) == 1, "only the first video was charged"
        refusals = await world.wait_for(
            lambda: len(titled(world, "🚫 Request refused")) == 5 and titled(world, "🚫 Request refused")
        )
        assert all("blocked term" in next(f["value"] for f in e["fields"] if f["name"] == "Why") for e in refusals)
        assert any(e["title"] == "🎬 Video made" for e in mod_log(world)), "requests are logged too"
        made = next(e for e in mod_log(world) if e["title"] == "🎬 Video made")
        fields = {f["name"]: f["value"] for f in made["fields"]}
        assert fields["Member"] == f"<@{world.member}>" and "quiet mountain lake" in made["description"]
        assert f"/{message['id']})" in fields["Result"], "a jump link to the result"
        assert any(e["title"] == "🛠️ Admin change" for e in mod_log(world)), "admin changes are logged"

        # the longer, innocent word is not caught
        await world.generate("an old lavatory door")
        await world.wait_for(lambda: len(world.luma.videos_requests()) == requests_before + 1)
        listed = await world.discord.slash(
            world.guild, world.channel, world.admin, ["luma-admin", "blocklist", "list"], {}
        )
        assert "`lava`" in (await answer(world, listed))["embeds"][0]["description"]


async def test_a_blocked_member_is_refused_privately_everywhere_and_leaves_the_line(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, LUMA_MAX_IN_FLIGHT="1") as world:
        message, _ = await make_video(world, "a paper boat")
        _, task = await world.held("holds the only slot")
        waiting = await world.generate("waits in line")
        await world.discord.wait_response(waiting)
        await world.wait_for(lambda: world.bot.jobs.line.waiting)  # type: ignore[union-attr]
        assert await reserved(world) == 3

        data = await admin(
            world,
            "block",
            {"member": world.discord.user_option(world.member), "reason": "spamming the channel", "duration": "2d"},
        )
        assert "blocked" in data["content"] and "1 waiting request left the line, refunded" in data["content"]
        await world.wait_for(lambda: not world.bot.jobs.line.waiting)  # type: ignore[union-attr]
        assert await reserved(world) == 2, "the waiting job was refunded"

        refused = await world.generate("one more")
        text = await world.private_answer(refused)
        assert "until <t:" in text and "spamming the channel" in text
        reply = await world.discord.post_user_message(
            world.channel, world.member, "and then it sinks", reply_to=int(message["id"])
        )
        dm = await world.wait_for(lambda: world.discord.dm_messages(world.member))
        assert "spamming the channel" in dm[0]["content"], "the reason goes by DM"
        public = await world.wait_for(
            lambda: [
                m
                for m in world.discord.channel_messages(world.channel)
                if m.get("message_reference", {}).get("message_id") == reply["id"]
            ]
        )
        assert "spamming" not in public[0]["content"], "never said in the channel"

        usage = await admin(world, "usage")
        blocked = next(f for f in usage["embeds"][0]["fields"] if f["name"].startswith("Blocked"))
        assert f"<@{world.member}>" in blocked["value"] and "spamming" in blocked["value"]
        log = await world.bot.guild_store.audit_log(world.guild)  # type: ignore[union-attr]
        assert log[0].action == "block"

        assert (
            "unblocked"
            in (await admin(world, "unblock", {"member": world.discord.user_option(world.member)}))["content"]
        )
        world.luma.finish(task)
        await world.generate("free again")
        await world.wait_for(lambda: any("free again" in r["prompt"] for r in world.luma.videos_requests()))


async def test_lumas_own_refusal_is_private_and_not_counted(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        await admin(world, "settings", {"mod_log_channel": world.discord.channel_option(world.other_channel)})
        interaction = await world.generate("a forbidden-topic scene")
        text = await world.private_answer(interaction)
        assert "refused by Luma's content rules" in text and "Nothing was charged" in text
        assert not [m for m in world.discord.channel_messages(world.channel) if not m["flags"] & 64], "nothing public"
        assert await reserved(world) == 0
        [logged] = await world.wait_for(lambda: titled(world, "❌ Video not made"))
        assert "content rules" in next(f["value"] for f in logged["fields"] if f["name"] == "Why")


async def test_lumas_refusal_after_a_long_wait_goes_by_dm_and_the_placeholder_goes(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, LUMA_MAX_IN_FLIGHT="1") as world:
        _, task = await world.held("holds the only slot", user=world.other_member)
        waiting = await world.generate("a forbidden-topic scene")
        await world.discord.wait_response(waiting)
        await world.wait_for(lambda: world.bot.jobs.line.waiting)  # type: ignore[union-attr]
        placeholder = waiting.original_message_id
        world.discord.age_interaction(waiting.token, 16 * 60)  # its interaction token has expired
        world.clock.advance(16 * 60)
        world.luma.finish(task)
        dm = await world.wait_for(lambda: world.discord.dm_messages(world.member))
        assert "refused by Luma's content rules" in dm[0]["content"] and "Nothing was charged" in dm[0]["content"]
        await world.wait_for(lambda: placeholder not in world.discord.messages)
        assert not [m for m in world.discord.channel_messages(world.channel) if "content rules" in str(m)]
        assert await reserved(world) == 1, "only the other member's video"


async def test_a_members_frame_link_is_shown_to_moderators_as_text_never_as_a_link(tmp_path: Path) -> None:
    """#25: a frame link with a space in it ("https://a.example/x.png https://phish.example") made the mod log show a
    second, live link of the member's choosing to the moderators."""
    async with World(tmp_path, callbacks=False) as world:
        await admin(world, "settings", {"mod_log_channel": world.discord.channel_option(world.other_channel)})
        spaced = "https://a.example/x.png https://phish.example/claim"
        await world.generate("a moving picture", start_image_url=spaced)
        [entry] = await world.wait_for(lambda: [e for e in mod_log(world) if e["title"] != "🛠️ Admin change"])
        frame = next(f["value"] for f in entry["fields"] if f["name"] == "Start frame")
        assert frame == f"`{spaced}`", "inline code: Discord makes no link of it"
