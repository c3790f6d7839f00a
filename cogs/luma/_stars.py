"""⭐ on the bot's results: each reaction event handed to the showcase (bot/showcase/service.py). Needs only the
non-privileged Guild Message Reactions intent (in discord.py's default intents)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.showcase.service import STAR

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

__all__ = ["StarsCog"]


class StarsCog(commands.Cog, name="stars"):
    def __init__(self, bot: LumaBot) -> None:
        self.bot = bot

    def _counts(self, guild_id: int | None, emoji: discord.PartialEmoji) -> bool:
        return guild_id is not None and emoji.is_unicode_emoji() and emoji.name == STAR and self.bot.serves(guild_id)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        me = self.bot.user.id if self.bot.user else None
        # MESSAGE_REACTION_ADD names the message's author: only the bot's own messages can be results
        if not self._counts(payload.guild_id, payload.emoji) or payload.message_author_id != me:
            return
        if payload.user_id == me or (payload.member is not None and payload.member.bot):
            return
        assert payload.guild_id is not None
        await self.bot.showcase.starred(payload.guild_id, payload.message_id, payload.user_id)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if self._counts(payload.guild_id, payload.emoji):
            assert payload.guild_id is not None
            await self.bot.showcase.unstarred(payload.guild_id, payload.message_id, payload.user_id)

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        if payload.guild_id is not None and self.bot.serves(payload.guild_id):
            await self.bot.showcase.unstarred(payload.guild_id, payload.message_id)

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        if self._counts(payload.guild_id, payload.emoji):
            assert payload.guild_id is not None
            await self.bot.showcase.unstarred(payload.guild_id, payload.message_id)
