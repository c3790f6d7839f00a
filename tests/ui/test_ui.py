"""Rendering rules that are easier to see without Discord: shortening, limits, the history pager's timeout."""

from __future__ import annotations

from typing import Any

import discord

from bot.store import Video
from bot.ui.messages import HistoryView, result_message, shorten


def test_shorten_cuts_at_a_word_and_marks_the_cut() -> None:
    assert shorten("a  b\nc", 10) == "a b c"
    cut = shorten("the quick brown fox jumps over the lazy dog", 20)
    assert cut == "the quick brown fox…" and len(cut) <= 20


def test_a_result_fits_discord_limits_whatever_the_prompt_and_link() -> None:
    long_url = "https://cdn.example/" + "x" * 600 + ".mp4"
    video = Video("v" * 36, 1, 2, 3, "t", "extend", "word " * 1000, long_url, parent_video_url=long_url)
    rendered = result_message(video, mention=True)
    embed = rendered.embed.to_dict()
    assert len(embed["description"]) <= 4096 and len(rendered.embed) <= 6000
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
    assert rendered.content is not None and len(rendered.content) <= 2000
    assert rendered.view is not None
    labels = [getattr(getattr(c, "item", c), "label", None) for c in rendered.view.children]
    assert labels == ["Extend", "Again", "Remix", "Delete"], (
        "a link too long for a button is left out, not sent to be refused"
    )


class _Message:
    def __init__(self) -> None:
        self.edits: list[dict[str, Any]] = []

    async def edit(self, **kwargs: Any) -> None:
        self.edits.append(kwargs)


async def test_the_history_pager_disables_its_buttons_when_it_times_out() -> None:
    # discord.py starts the timeout clock once the view is attached to a sent message; this drives
    # what the bot does when it fires.
    async def load(page: int) -> tuple[discord.Embed, int, int]:
        return discord.Embed(title=str(page)), page, 3

    view = HistoryView(owner_id=1, page=1, pages=3, load=load, timeout=180)
    message = _Message()
    view.message = message  # type: ignore[assignment]
    assert [b.disabled for b in view.children] == [True, False]  # type: ignore[attr-defined]
    await view.on_timeout()
    assert message.edits and all(b.disabled for b in message.edits[-1]["view"].children)


def test_only_member_errors_reach_members_as_written() -> None:
    """The tree shows a MemberError as written; a ValueError (a programmer's) is a bug, not a message."""
    from discord import app_commands

    from bot.app.tree import error_text
    from bot.errors import InputError
    from bot.guilds.admin import AdminError
    from bot.guilds.quota import QuotaExceeded

    class Command:
        name = "x"

    def invoke(error: Exception) -> app_commands.CommandInvokeError:
        return app_commands.CommandInvokeError(Command(), error)  # type: ignore[arg-type]

    assert error_text(invoke(InputError("Give the image as a file or as a link."))) == (
        "Give the image as a file or as a link."
    )
    assert error_text(invoke(AdminError("A limit must be between 0 and 1,000,000."))) is not None
    assert error_text(invoke(ValueError("invalid literal for int() with base 10: 'x'"))) is None
    assert error_text(invoke(KeyError("guild"))) is None
    assert not issubclass(QuotaExceeded, ValueError)


def test_repeated_log_lines_are_bounded() -> None:
    import logging

    from bot.logs import RepeatLimit

    limit = RepeatLimit(burst=3, window=60)
    records = [logging.LogRecord("asyncio", logging.ERROR, "f", 1, "socket.accept() failed", None, None)] * 50
    assert sum(limit.filter(r) for r in records) == 3
    other = logging.LogRecord("asyncio", logging.ERROR, "f", 1, "another kind", None, None)
    assert limit.filter(other)
