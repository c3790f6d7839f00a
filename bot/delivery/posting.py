"""Posting a job's outcome to Discord: the interaction's follow-up while its token lives, else the channel, else a
DM. The job service calls this once per outcome (through bot/jobs/models.py's JobListener); this module only sends.
Discord layer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.i18n import _, sentences, speaking
from bot.jobs.models import DeliveryReceipt
from bot.luma import LumaError
from bot.media import KeptFile
from bot.store import Job, Video
from bot.ui.messages import Rendered, failure_message, failure_reason, result_message

from .modlog import ModLog
from .outbox import Outbox
from .owner import OwnerMail
from .private import open_private_thread
from .reach import REQUEST_LIMIT, Reach, reach_in
from .responses import PERMANENT, Responses

__all__ = ["Delivery"]

log = logging.getLogger(__name__)

DM_FILE_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES  # 10 MiB: a bot has no Nitro
Send = Callable[..., Awaitable[discord.Message]]
Draw = Callable[[bool], Rendered]


def _only_the_member(job: Job) -> discord.AllowedMentions:
    """A message in the channel pings the member who asked, and nobody else."""
    return discord.AllowedMentions(users=[discord.Object(job.user_id)], roles=False, everyone=False)


def _fits(file: KeptFile | None, limit: int | None) -> KeptFile | None:
    return file if file is not None and limit and file.size <= limit else None


class Delivery:
    """The jobs' listener (bot/jobs/models.py JobListener): progress, outcomes, and what the owner must hear."""

    def __init__(self, outbox: Outbox, owner: OwnerMail, mod_log: ModLog) -> None:
        self.outbox = outbox
        self.owner = owner
        self.mod_log = mod_log
        self.responses = Responses(outbox)
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, job_id: str) -> asyncio.Lock:
        return self._locks.setdefault(job_id, asyncio.Lock())

    # --- the JobListener protocol ------------------------------------------------------------------

    async def job_progress(self, job: Job, waiting: tuple[int, float] | None = None) -> None:
        if not self.responses.editable(job):
            return
        lock = self._lock(job.id)
        if lock.locked():
            return  # an update or the delivery is under way
        async with lock:
            if job.state in ("queued", "submitted"):
                await self.responses.show_progress(job, waiting)

    async def owner_alert(self, job: Job, error: LumaError) -> None:
        await self.owner.alert(job, error)

    async def owner_unknown_outcomes(self, jobs: list[Job], still_waiting: bool) -> None:
        await self.owner.unknown_outcomes(jobs, still_waiting)

    async def owner_budget(self, percent: int) -> None:
        await self.owner.budget(percent)

    async def deliver(self, job: Job, video: Video | None, file: KeptFile | None = None) -> DeliveryReceipt:
        languages = self.outbox.languages
        async with self._lock(job.id):
            try:
                if video is None and job.error_kind == "refused":
                    with speaking(job.member_locale or await languages.public(job.guild_id)):
                        return await self._refused_privately(job)
                public = await languages.public(job.guild_id)
                with speaking((job.member_locale or public) if job.private else public):
                    return await self._deliver(job, video, file)
            finally:
                self._locks.pop(job.id, None)

    async def delivered(self, job: Job, video: Video | None, receipt: DeliveryReceipt) -> None:
        """After the receipt is recorded (so that nothing here can widen the window in which a stop or a crash
        posts the outcome twice): the progress message goes, and the mod log hears of it."""
        where = (receipt.channel_id, receipt.message_id) if receipt.message_id and receipt.channel_id else None
        if where is not None and receipt.via in ("channel", "followup", "dm", "thread") and job.error_kind != "refused":
            await self.responses.remove_placeholder(job, *where)
        # a private video's message is for its member only: the mod log gets the video, not a jump to it
        self.mod_log.job_ended(job, video, where if receipt.via != "private" and not job.private else None)
        self.responses.forget(job)

    # --- Luma's own refusal: for the member's eyes only ------------------------------------------------

    async def _refused_privately(self, job: Job) -> DeliveryReceipt:
        """Luma's own moderation refused the prompt: only the member is told (and it was refunded). The public
        placeholder goes; the answer is ephemeral while the interaction lives, else a DM, else a short-lived
        mention in the channel."""
        text = sentences(failure_reason(job.error_kind, job.error_message), _("Nothing was charged."))
        if self.responses.alive(job) and await self._ephemeral(job, text):
            return DeliveryReceipt("private")
        client = self.outbox.client
        channel = client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        if job.progress_message_id is not None:
            try:
                await channel.get_partial_message(job.progress_message_id).delete()
            except discord.HTTPException as exc:
                log.info("could not remove the placeholder of %r (%s)", job, exc.status)
        try:
            dm = await client.create_dm(discord.Object(job.user_id))  # type: ignore[arg-type]
            message = await dm.send(text)
            return DeliveryReceipt("dm", message.id, dm.id)
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT:
                raise
        try:
            mention = _only_the_member(job)
            await channel.send(f"<@{job.user_id}> {text}", allowed_mentions=mention, delete_after=60)
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT:
                raise
            log.warning("could not tell the member of %r that Luma refused the prompt (%s)", job, exc.status)
        return DeliveryReceipt("private")

    async def _ephemeral(self, job: Job, text: str) -> bool:
        """The placeholder goes and `text` comes in its place, for the member only; False if the token refused."""
        webhook = self.responses.webhook(job)
        try:
            try:
                await webhook.delete_message("@original")
            except discord.NotFound:
                pass
            await webhook.send(text, ephemeral=True)
            return True
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT and exc.status != 401:
                raise
            log.info("could not answer %r privately in its interaction (%s)", job, exc.status)
            return False

    # --- the outcome, as a new message that notifies -----------------------------------------------------

    async def _deliver(self, job: Job, video: Video | None, file: KeptFile | None) -> DeliveryReceipt:
        """The outcome as a NEW message that mentions the member (Discord notifies on new messages, never on edits),
        then the progress message goes: one message, one player. As the interaction's follow-up while its token lives
        (it needs no permission in the channel, and each interaction is its own rate-limit bucket, where a channel's
        posts share one); else in the channel when the bot may post there (with a nonce per outcome: Discord returns
        the first message instead of posting a second, for a few minutes, if a restart sends it again); else by DM.
        A refusal Discord will not change its mind about moves on to the next at once. A private video never goes to
        the channel: the interaction (ephemeral), else a DM, else a private thread with only the member in it."""
        file = file if video is not None else None
        reach = reach_in(self.outbox.client, job.guild_id, job.channel_id)
        if job.private:
            ways = (self._to_followup, self._to_dm, self._to_private_thread)
        else:
            await self._note_reach(job, reach)
            ways = (self._to_followup, self._to_channel, self._to_dm)
        for way in ways:
            receipt = await way(job, video, file, reach)
            if receipt is not None:
                return receipt
        return DeliveryReceipt("none")

    def _draw(self, job: Job, video: Video | None, plain_text: bool = False) -> Draw:
        def draw(attached: bool) -> Rendered:
            if video is None:
                rendered = failure_message(job, mention=True)
            else:
                links = self.outbox.links
                rendered = result_message(video, mention=True, attached=attached, links=links, spoiler=job.spoiler)
            return rendered.as_text() if plain_text else rendered

        return draw

    async def _note_reach(self, job: Job, reach: Reach) -> None:
        """What the bot lacks in the job's channel, noted for `luma-bot check` (and cleared once it works again)."""
        if not reach.known:
            return
        if missing := reach.for_posting(embeds=True):
            await self.outbox.guilds.note_problem(job.guild_id, job.channel_id, "results", missing)
        else:
            await self.outbox.guilds.clear_problem(job.guild_id, job.channel_id, "results")

    async def _to_followup(
        self, job: Job, video: Video | None, file: KeptFile | None, reach: Reach
    ) -> DeliveryReceipt | None:
        if not self.responses.alive(job):
            return None
        webhook = self.responses.webhook(job)

        async def follow_up(rendered: Rendered, upload: discord.File | None, **_: Any) -> discord.Message:
            files = {"file": upload} if upload is not None else {}
            kwargs = rendered.kwargs()
            if kwargs["view"] is None:
                kwargs.pop("view")
            mentions = _only_the_member(job)
            return await webhook.send(  # type: ignore[call-overload,no-any-return]
                wait=True, allowed_mentions=mentions, ephemeral=job.private, **kwargs, **files
            )

        try:
            fits = _fits(file, job.attach_limit)
            message, attachment = await self._post(follow_up, self._draw(job, video), fits, job, video)
            # an ephemeral message's attachment vanishes with it: not a link to keep
            return DeliveryReceipt("followup", message.id, job.channel_id, None if job.private else attachment)
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT and exc.status != 401:
                raise  # a 5xx or a 429 Discord gave up on: the same way again, later
            log.info("the interaction of %r could not take the outcome (%s)", job, exc.status)
            return None

    async def _to_channel(
        self, job: Job, video: Video | None, file: KeptFile | None, reach: Reach
    ) -> DeliveryReceipt | None:
        if not reach.can_post:  # (or nothing is known: Discord will say)
            return None
        # one nonce per outcome (at most 25 characters): a failure and a late result of one job are two messages
        nonce = f"{job.id[:22]}-{'c' if video is not None else 'f'}"
        extra: dict[str, Any] = {"allowed_mentions": _only_the_member(job), "nonce": nonce}
        if job.reply_to_message_id and not reach.lacks("read_message_history"):
            extra["reference"] = discord.MessageReference(
                message_id=job.reply_to_message_id, channel_id=job.channel_id, fail_if_not_exists=False
            )
        fits = _fits(file, channel_limit(self.outbox.client, job, reach))
        channel = self.outbox.client.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        try:
            draw = self._draw(job, video, plain_text=reach.known and not reach.can_embed)
            message, attachment = await self._post(_sender(channel), draw, fits, job, video, **extra)
            return DeliveryReceipt("channel", message.id, job.channel_id, attachment)
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT:
                raise
            log.info("channel of %r refused the outcome (%s %s)", job, exc.status, exc.text)
            return None

    async def _to_dm(
        self, job: Job, video: Video | None, file: KeptFile | None, reach: Reach
    ) -> DeliveryReceipt | None:
        try:
            dm = await self.outbox.client.create_dm(discord.Object(job.user_id))  # type: ignore[arg-type]
            mentions = _only_the_member(job)
            draw, fits = self._draw(job, video), _fits(file, DM_FILE_LIMIT)
            message, attachment = await self._post(_sender(dm), draw, fits, job, video, allowed_mentions=mentions)
            return DeliveryReceipt("dm", message.id, dm.id, attachment)
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT:
                raise
            log.warning("could not deliver %r anywhere (%s %s); it stays in the history", job, exc.status, exc.text)
            return None

    async def _to_private_thread(
        self, job: Job, video: Video | None, file: KeptFile | None, reach: Reach
    ) -> DeliveryReceipt | None:
        """A private video whose member's DMs are closed: a private thread beside its channel, with only them in it."""
        thread = await open_private_thread(self.outbox.client, job, job.request.prompt)
        if thread is None:
            log.warning("could not deliver private %r anywhere; it stays in the member's history", job)
            return None
        draw, fits = self._draw(job, video), _fits(file, channel_limit(self.outbox.client, job, reach))
        mentions = _only_the_member(job)
        message, attachment = await self._post(_sender(thread), draw, fits, job, video, allowed_mentions=mentions)
        return DeliveryReceipt("thread", message.id, thread.id, attachment)

    # --- where the file fits ------------------------------------------------------------------------

    @staticmethod
    async def _post(
        send: Send, render: Draw, file: KeptFile | None, job: Job, video: Video | None, **extra: Any
    ) -> tuple[discord.Message, str | None]:
        """Send the result with the file when one is given, else (or when Discord refuses the file: too
        large, or not allowed here) with the link. Returns the message and the attachment's URL."""
        if file is not None:
            video_id = video.video_id if video is not None else job.id
            try:
                upload = discord.File(file.path, filename=f"luma-{video_id[:60]}.mp4", spoiler=job.spoiler)
                message = await send(render(True), upload, **extra)
                return message, message.attachments[0].url if message.attachments else None
            except discord.HTTPException as exc:
                if exc.status not in (403, 413):
                    raise
                log.info("Discord refused the file (%s %s); posting the link instead", exc.status, exc.text)
            except OSError as exc:  # the copy went missing (pruned, or the disk): the link still works
                log.warning("could not read the kept copy %s (%r); posting the link", file.path, exc)
        return await send(render(False), None, **extra), None


def channel_limit(client: discord.Client, job: Job, reach: Reach) -> int:
    """The largest file the bot may attach in the job's channel: the server's boost tier's, within the 25 MiB a
    message may take in all; 0 without Attach Files there (or when the channel is not in the cache)."""
    guild = client.get_guild(job.guild_id)
    if guild is None or not reach.known or not reach.can_attach:
        return 0
    return min(guild.filesize_limit, REQUEST_LIMIT)


def _sender(target: discord.abc.Messageable) -> Send:
    """Send a rendered message (and its file) to a channel or a DM."""

    async def send(rendered: Rendered, upload: discord.File | None, **extra: Any) -> discord.Message:
        if upload is not None:
            extra["file"] = upload
        return await target.send(**rendered.kwargs(), **extra)

    return send
