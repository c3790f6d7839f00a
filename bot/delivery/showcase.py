"""The showcase channel as Discord has it (bot/showcase/service.py's Board): post a starred result (the video as a
file where it fits, else its lasting link), edit its star count, delete it, and read who starred a message. In the
server's language; nobody is pinged. Discord layer."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot.i18n import speaking
from bot.media import KeptFile
from bot.showcase.service import STAR
from bot.store import Video
from bot.ui.showcase import showcase_message

from .outbox import Outbox
from .posting import Send, _fits, _sender
from .reach import REQUEST_LIMIT, reach_in
from .responses import PERMANENT

__all__ = ["DiscordBoard"]

log = logging.getLogger(__name__)

NOBODY = discord.AllowedMentions.none()
REASON = "luma-bot: its result was deleted, or taken out of the showcase"  # i18n: not text (the audit log's)
PAGE = 100  # Get Reactions: at most 100 users a request


class DiscordBoard:
    def __init__(self, outbox: Outbox, copy: Callable[[Video, float], Awaitable[KeptFile | None]]) -> None:
        self.outbox = outbox
        self.copy = copy  # the kept mp4 of a video, if it is kept (bot/media/archive.py Archiver.copy)

    async def post(self, channel_id: int, video: Video, stars: int, nonce: str) -> tuple[int, bool] | None:
        client = self.outbox.client
        reach = reach_in(client, video.guild_id, channel_id)
        guild = client.get_guild(video.guild_id)
        limit = min(guild.filesize_limit, REQUEST_LIMIT) if guild is not None and reach.can_attach else 0
        file = _fits(await self.copy(video, 0.0), limit) if reach.known else None
        send = _sender(client.get_partial_messageable(channel_id, guild_id=video.guild_id))
        with speaking(await self.outbox.languages.public(video.guild_id)):
            try:
                if file is not None and (message := await self._with_file(send, file, video, stars, nonce)):
                    return message.id, True
                rendered = showcase_message(video, stars, self.outbox.links, attached=False)
                return (await send(rendered, None, nonce=nonce, allowed_mentions=NOBODY)).id, False
            except discord.HTTPException as exc:
                if exc.status not in PERMANENT:
                    raise
                log.warning("the showcase channel %s refused %s (%s)", channel_id, video.video_id, exc.status)
                await self.outbox.guilds.note_problem(video.guild_id, channel_id, "showcase", ["send_messages"])
                return None

    async def _with_file(
        self, send: Send, file: KeptFile, video: Video, stars: int, nonce: str
    ) -> discord.Message | None:
        """The post with the video as a file; None when Discord refuses the file (then the link goes)."""
        try:
            upload = discord.File(file.path, filename=f"luma-{video.video_id[:60]}.mp4")
            rendered = showcase_message(video, stars, self.outbox.links, attached=True)
            return await send(rendered, upload, nonce=nonce, allowed_mentions=NOBODY)
        except discord.HTTPException as exc:
            if exc.status not in (403, 413):
                raise
        except OSError as exc:
            log.warning("could not read the kept copy %s (%r); showcasing the link", file.path, exc)
        return None

    async def edit(self, channel_id: int, message_id: int, video: Video, stars: int, attached: bool) -> None:
        """Only the content (the count, and the link when no file went): the embed and the file stay."""
        message = self.outbox.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        rendered = showcase_message(video, stars, self.outbox.links, attached=attached)
        try:
            await message.edit(content=rendered.content, allowed_mentions=NOBODY)
        except discord.NotFound:
            log.info("the showcase post of %s is gone", video.video_id)

    async def delete(self, channel_id: int, message_id: int) -> None:
        try:
            await self.outbox.client.http.delete_message(channel_id, message_id, reason=REASON)
        except discord.NotFound:
            pass

    async def stargazers(self, channel_id: int, message_id: int) -> set[int] | None:
        http, people, after = self.outbox.client.http, set(), None
        try:
            while True:
                page = await http.get_reaction_users(channel_id, message_id, STAR, PAGE, after=after)
                people |= {int(u["id"]) for u in page if not u.get("bot")}
                if len(page) < PAGE:
                    return people
                after = int(page[-1]["id"])
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT:
                raise
            return None

    def age_restricted(self, channel_id: int) -> bool:
        channel = self.outbox.client.get_channel(channel_id)
        return bool(getattr(channel, "nsfw", False))
