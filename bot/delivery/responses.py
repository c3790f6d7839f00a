"""A job's interaction: its token while it lives (15 minutes), its original response (the "thinking…", then the
progress message) and what becomes of that placeholder once the outcome is posted. Discord layer."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

import discord

from bot.i18n import _, speaking
from bot.media import jump_url
from bot.store import Job
from bot.ui.messages import progress_message

from .outbox import Outbox

__all__ = ["PERMANENT", "Responses"]

log = logging.getLogger(__name__)

INTERACTION_TTL = timedelta(minutes=15)  # how long Discord accepts an interaction's token
TOKEN_MARGIN = timedelta(seconds=30)
# Discord's answers that sending the same message again cannot change: invalid form, missing access or
# permission, unknown channel or message, too large. They end that way of delivering at once.
PERMANENT = frozenset({400, 403, 404, 413})


class Responses:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.gone: set[str] = set()  # jobs whose original response Discord answered 404 for: never edit again
        self.refused: set[str] = set()  # jobs whose token Discord answered 401 for: never use it again

    def alive(self, job: Job) -> bool:
        """Whether the job's interaction token may still be used (for follow-ups even when the original is gone)."""
        if job.id in self.refused:
            return False
        if not job.interaction_token or not job.application_id or job.interaction_at is None:
            return False
        return self.outbox.clock() - job.interaction_at < INTERACTION_TTL - TOKEN_MARGIN

    def editable(self, job: Job) -> bool:
        """Whether the original response (the progress message) may still be edited."""
        return job.id not in self.gone and self.alive(job)

    def forget(self, job: Job) -> None:
        """The job has ended: what was learned about its interaction is no longer needed."""
        self.gone.discard(job.id)
        self.refused.discard(job.id)

    def webhook(self, job: Job) -> discord.Webhook:
        """The interaction's own webhook (as discord.py's `Interaction.followup` builds it: an application
        webhook, the only kind that may send ephemeral messages)."""
        assert job.application_id is not None and job.interaction_token is not None
        data = {"id": job.application_id, "type": 3, "token": job.interaction_token}
        return discord.Webhook.from_state(data=data, state=self.outbox.client._connection)  # type: ignore[arg-type]

    async def show_progress(self, job: Job, waiting: tuple[int, float] | None) -> None:
        """Edit the original response to show where the job stands (its place in line, or the render's time)."""
        with speaking(await self.outbox.languages.public(job.guild_id)):
            rendered = progress_message(job, self.outbox.clock(), waiting)
        try:
            await self.webhook(job).edit_message("@original", **rendered.kwargs())  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            if exc.status in PERMANENT or exc.status == 401:
                # the message was deleted (or cannot be edited): Discord counts every further try against the
                # bot, so stop here; the token still takes the result as a follow-up, unless it was refused too
                self.gone.add(job.id)
                if exc.status == 401:
                    self.refused.add(job.id)
                log.info("progress message of %r is gone (%s); no more edits", job, exc.status)
            else:
                log.debug("progress edit of %r failed: %s", job, exc)

    async def remove_placeholder(self, job: Job, channel_id: int, message_id: int) -> None:
        """The progress message goes once the outcome is posted: through the interaction's webhook while its token
        lives, else as the bot's own message in the channel (it needs no permission but View Channel there); if it
        cannot go, it points to the outcome."""
        placeholder = job.progress_message_id
        if placeholder is None or placeholder == message_id or job.id in self.gone:
            return
        channel = self.outbox.client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        ways = [channel.get_partial_message(placeholder).delete]
        if self.alive(job):  # the interaction's own webhook first: its own rate-limit bucket
            ways.insert(0, functools.partial(self.webhook(job).delete_message, placeholder))
        for delete in ways:
            try:
                await delete()
                return
            except discord.NotFound:
                return  # already gone
            except discord.HTTPException as exc:
                log.info("could not remove the progress message of %r (%s)", job, exc.status)
        where = jump_url(job.guild_id if channel_id == job.channel_id else None, channel_id, message_id)
        await _point_to(channel.get_partial_message(placeholder), where, job.state == "completed")


async def _point_to(placeholder: discord.PartialMessage, jump_url: str, done: bool) -> None:
    """Turn a placeholder whose interaction token has expired into a pointer to where the outcome went
    (a bot may edit its own non-ephemeral interaction response through the channel endpoint)."""
    text = (_("✅ The video is ready: {link}") if done else _("❌ This video could not be made: {link}")).format(
        link=jump_url
    )
    try:
        await placeholder.edit(content=text, embed=None, view=None)
    except discord.HTTPException as exc:
        log.info("could not update the old progress message: %s", exc.text)
