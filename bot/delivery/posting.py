"""Posting a job's outcome to Discord: the original response while its token lives, else the channel,
else a DM. The job tracker calls this once per outcome (see bot/jobs.py); this module only sends."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.delivery.reach import REQUEST_LIMIT, Reach, reach_in
from bot.i18n import N_, _, ngettext, sentences, speaking
from bot.jobs.service import DeliveryReceipt
from bot.luma import LumaError
from bot.media import KeptFile, jump_url
from bot.store import Job, Video
from bot.ui.messages import (
    Rendered,
    failure_message,
    failure_reason,
    inert,
    progress_message,
    result_message,
    shorten,
    timestamp,
)

if TYPE_CHECKING:
    from bot.app.running import LumaBot

__all__ = ["Delivery"]

log = logging.getLogger(__name__)

INTERACTION_TTL = timedelta(minutes=15)  # how long Discord accepts an interaction's token
TOKEN_MARGIN = timedelta(seconds=30)
ALERT_EVERY = timedelta(minutes=30)
DM_FILE_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES  # 10 MiB: a bot has no Nitro
# Discord's answers that sending the same message again cannot change: invalid form, missing access or
# permission, unknown channel or message, too large. They end that way of delivering at once.
PERMANENT = frozenset({400, 403, 404, 413})  # at most one DM per kind of problem in this window
OWNER_ACTIONS = {
    "auth": N_(
        "The API token was refused: set a valid ACEDATACLOUD_API_TOKEN and restart (`luma-bot check` tests it)."
    ),
    "balance": N_("Your AceDataCloud balance is used up: top it up; videos work again at once."),
    "not_found": N_("The API address is wrong: check ACEDATACLOUD_API_BASE_URL (`luma-bot check` tests it)."),
    "protocol": N_("The API (or something in front of it) answered in an unexpected way; the details are below."),
}


def _only_the_member(job: Job) -> discord.AllowedMentions:
    """A message in the channel pings the member who asked, and nobody else."""
    return discord.AllowedMentions(users=[discord.Object(job.user_id)], roles=False, everyone=False)


class Delivery:
    def __init__(self, bot: LumaBot) -> None:
        self.bot = bot
        self._locks: dict[str, asyncio.Lock] = {}
        self._alerted: dict[str, datetime] = {}
        self._gone: set[str] = set()  # jobs whose original response Discord answered 404 for: never edit again

    def _lock(self, job_id: str) -> asyncio.Lock:
        return self._locks.setdefault(job_id, asyncio.Lock())

    def _token_alive(self, job: Job) -> bool:
        if job.id in self._gone:
            return False
        if not job.interaction_token or not job.application_id or job.interaction_at is None:
            return False
        return self.bot.clock() - job.interaction_at < INTERACTION_TTL - TOKEN_MARGIN

    def _webhook(self, job: Job) -> discord.Webhook:
        """The interaction's own webhook (as discord.py's `Interaction.followup` builds it: an application
        webhook, the only kind that may send ephemeral messages)."""
        assert job.application_id is not None and job.interaction_token is not None
        data = {"id": job.application_id, "type": 3, "token": job.interaction_token}
        return discord.Webhook.from_state(data=data, state=self.bot._connection)  # type: ignore[arg-type]

    async def job_progress(self, job: Job, waiting: tuple[int, float] | None = None) -> None:
        if not self._token_alive(job):
            return
        lock = self._lock(job.id)
        if lock.locked():
            return  # an update or the delivery is under way
        async with lock:
            if job.state not in ("queued", "submitted"):
                return
            with speaking(await self.bot.public_locale(job.guild_id)):
                rendered = progress_message(job, self.bot.clock(), waiting)
            try:
                await self._webhook(job).edit_message("@original", **rendered.kwargs())  # type: ignore[arg-type]
            except discord.HTTPException as exc:
                if exc.status in PERMANENT or exc.status == 401:
                    # the message was deleted (or cannot be edited): Discord counts every further try
                    # against the bot, so stop here; the result goes to the channel instead
                    self._gone.add(job.id)
                    log.info("progress message of %r is gone (%s); no more edits", job, exc.status)
                else:
                    log.debug("progress edit of %r failed: %s", job, exc)

    @staticmethod
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

    async def dm_owner(self, write: Callable[[], str]) -> None:
        """DM the application's owner what `write()` says, in their language when known (else English)."""
        with speaking(self.bot.owner_locale):
            text = write()
        app = self.bot.application or await self.bot.application_info()
        owner = app.team.owner if app.team and app.team.owner else app.owner
        dm = await self.bot.create_dm(owner)
        await dm.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())

    async def owner_alert(self, job: Job, error: LumaError) -> None:
        """Members are only told "the bot is not set up"; the person who pays gets the details, by DM."""
        now = self.bot.clock()
        last = self._alerted.get(error.kind)
        if last is not None and now - last < ALERT_EVERY:
            return
        self._alerted[error.kind] = now
        guild = self.bot.get_guild(job.guild_id)
        where = inert(guild.name if guild else str(job.guild_id), 100)  # a name is anyone's to choose: never a link

        def write() -> str:
            action = _(OWNER_ACTIONS[error.kind]) if error.kind in OWNER_ACTIONS else _("Check the settings.")
            return (
                _(
                    "⚠️ **luma-bot needs you.** A video requested in **{server}** failed, and members are being told "
                    "the bot is not set up correctly."
                ).format(server=where)
                + f"\n{action}\n"
                + _("Details: `{details}`").format(details=error.detail[:1500])
            )

        try:
            await self.dm_owner(write)
        except discord.HTTPException as exc:
            log.warning("could not alert the bot's owner (%s): %s", exc.text, error.detail)

    async def owner_unknown_outcomes(self, jobs: list[Job], still_waiting: bool) -> None:
        """Jobs stopped while being sent: the API may have made (and billed) them, and has no way to ask."""

        def write() -> str:
            lines = []
            for job in jobs[:15]:
                guild = self.bot.get_guild(job.guild_id)
                sent = timestamp(job.submit_started_at, "f") if job.submit_started_at else "?"
                line = _("• {server}, sent {when}: “{prompt}”").format(
                    server=inert(guild.name if guild else str(job.guild_id), 100),
                    when=sent,
                    prompt=shorten(job.request.prompt, 80),
                )
                lines.append(line)
            more = "\n" + _("…and {n} more").format(n=len(jobs) - 15) if len(jobs) > 15 else ""
            then = (
                _("Their results are still delivered if Luma calls back.")
                if still_waiting
                else _("The members were told and not charged; any such video is not in the bot's history.")
            )
            head = ngettext(
                "⚠️ **luma-bot restarted while sending {n} video request to Luma**, so it cannot know whether Luma "
                "made it (and billed you).",
                "⚠️ **luma-bot restarted while sending {n} video requests to Luma**, so it cannot know whether Luma "
                "made them (and billed you).",
                len(jobs),
            ).format(n=len(jobs))
            console = _("Your AceDataCloud console lists the tasks:")
            return f"{head} {then} {console}\n" + "\n".join(lines) + more

        try:
            await self.dm_owner(write)
        except discord.HTTPException as exc:
            log.warning("could not tell the bot's owner about %d unknown outcomes (%s)", len(jobs), exc.text)

    async def owner_budget(self, percent: int) -> None:
        """The bot-wide monthly budget reached 80% or 100% (each sent once a month: bot/quota.py records it)."""
        wallet = self.bot.quota.wallet
        videos, month = await self.bot.quota.month_spend()

        def write() -> str:
            values = {
                "month": month,
                "spent": wallet.shown(wallet.spend(videos) or 0.0),
                "budget": wallet.shown(wallet.budget or 0.0),
                "videos": ngettext("{n} video", "{n} videos", videos).format(n=videos),
                "percent": percent,
            }
            if percent >= 100:
                return _(
                    "💸 **luma-bot has spent its budget for {month}**: {spent} of {budget} ({videos}). New requests "
                    "are refused politely until the month turns. Raise MONTHLY_BUDGET and restart to allow more."
                ).format(**values)
            return _(
                "💰 **luma-bot's spending for {month} is at {percent}%** of its budget: {spent} of {budget} "
                "({videos}). At 100% new requests are refused until the month turns."
            ).format(**values)

        try:
            await self.dm_owner(write)
        except discord.HTTPException as exc:
            log.warning("could not tell the bot's owner about the budget (%s, %d%%)", exc.text, percent)

    async def deliver(self, job: Job, video: Video | None, file: KeptFile | None = None) -> DeliveryReceipt:
        async with self._lock(job.id):
            try:
                if video is None and job.error_kind == "refused":
                    with speaking(job.member_locale or await self.bot.public_locale(job.guild_id)):
                        receipt = await self._refused_privately(job)
                else:
                    with speaking(await self.bot.public_locale(job.guild_id)):
                        receipt = await self._deliver(job, video, file)
            finally:
                self._locks.pop(job.id, None)
        return receipt

    async def delivered(self, job: Job, video: Video | None, receipt: DeliveryReceipt) -> None:
        """After the receipt is recorded (so that nothing here can widen the window in which a stop or a crash
        posts the outcome twice): the progress message goes, and the mod log hears of it."""
        where = (receipt.channel_id, receipt.message_id) if receipt.message_id and receipt.channel_id else None
        if where is not None and receipt.via in ("channel", "followup", "dm") and job.error_kind != "refused":
            await self._remove_placeholder(job, *where)
        self.bot.mod_log.job_ended(job, video, where if receipt.via != "private" else None)

    async def _refused_privately(self, job: Job) -> DeliveryReceipt:
        """Luma's own moderation refused the prompt: only the member is told (and it was refunded). The public
        placeholder goes; the answer is ephemeral while the interaction lives, else a DM, else a short-lived
        mention in the channel."""
        text = sentences(failure_reason(job.error_kind, job.error_message), _("Nothing was charged."))
        if self._token_alive(job):
            webhook = self._webhook(job)
            try:
                try:
                    await webhook.delete_message("@original")
                except discord.NotFound:
                    pass
                await webhook.send(text, ephemeral=True)
                return DeliveryReceipt("private")
            except discord.HTTPException as exc:
                if exc.status not in PERMANENT and exc.status != 401:
                    raise
                log.info("could not answer %r privately in its interaction (%s)", job, exc.status)
        channel = self.bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        if job.progress_message_id is not None:
            try:
                await channel.get_partial_message(job.progress_message_id).delete()
            except discord.HTTPException as exc:
                log.info("could not remove the placeholder of %r (%s)", job, exc.status)
        try:
            dm = await self.bot.create_dm(discord.Object(job.user_id))  # type: ignore[arg-type]
            message = await dm.send(text)
            return DeliveryReceipt("dm", message.id, dm.id)
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT:
                raise
        mention = _only_the_member(job)
        try:
            await channel.send(f"<@{job.user_id}> {text}", allowed_mentions=mention, delete_after=60)
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT:
                raise
            log.warning("could not tell the member of %r that Luma refused the prompt (%s)", job, exc.status)
        return DeliveryReceipt("private")

    # --- where the file fits ------------------------------------------------------------------------

    @staticmethod
    def _fits(file: KeptFile | None, limit: int | None) -> KeptFile | None:
        return file if file is not None and limit and file.size <= limit else None

    def _channel_limit(self, job: Job, reach: Reach) -> int:
        """The largest file the bot may attach in the job's channel: the server's boost tier's, within the 25 MiB a
        message may take in all; 0 without Attach Files there (or when the channel is not in the cache)."""
        guild = self.bot.get_guild(job.guild_id)
        if guild is None or not reach.known or not reach.can_attach:
            return 0
        return min(guild.filesize_limit, REQUEST_LIMIT)

    async def _post(
        self,
        send: Callable[..., Awaitable[discord.Message]],
        render: Callable[[bool], Rendered],
        file: KeptFile | None,
        video_id: str,
        spoiler: bool = False,
        **extra: Any,
    ) -> tuple[discord.Message, str | None]:
        """Send the result with the file when one is given, else (or when Discord refuses the file: too
        large, or not allowed here) with the link. Returns the message and the attachment's URL."""
        if file is not None:
            try:
                upload = discord.File(file.path, filename=f"luma-{video_id[:60]}.mp4", spoiler=spoiler)
                message = await send(render(True), upload, **extra)
                return message, message.attachments[0].url if message.attachments else None
            except discord.HTTPException as exc:
                if exc.status not in (403, 413):
                    raise
                log.info("Discord refused the file (%s %s); posting the link instead", exc.status, exc.text)
            except OSError as exc:  # the copy went missing (pruned, or the disk): the link still works
                log.warning("could not read the kept copy %s (%r); posting the link", file.path, exc)
        return await send(render(False), None, **extra), None

    async def _deliver(self, job: Job, video: Video | None, file: KeptFile | None) -> DeliveryReceipt:
        """The outcome as a NEW message that mentions the member (Discord notifies on new messages, never on edits),
        then the progress message goes: one message, one player. As the interaction's follow-up while its token lives
        (it needs no permission in the channel, and each interaction is its own rate-limit bucket, where a channel's
        posts share one); else in the channel when the bot may post there (with a nonce per outcome: Discord returns
        the first message instead of posting a second, for a few minutes, if a restart sends it again); else by DM.
        A refusal Discord will not change its mind about moves on to the next at once."""

        def render(plain_text: bool) -> Callable[[bool], Rendered]:
            def draw(attached: bool) -> Rendered:
                if video is None:
                    rendered = failure_message(job, mention=True)
                else:
                    rendered = result_message(
                        video, mention=True, attached=attached, links=self.bot.links, spoiler=job.spoiler
                    )
                return rendered.as_text() if plain_text else rendered

            return draw

        if video is None:
            file = None
        video_id = video.video_id if video is not None else job.id
        mentions = _only_the_member(job)
        channel = self.bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        reach = reach_in(self.bot, job.guild_id, job.channel_id)
        if reach.known:  # noted for `luma-bot check` (and cleared once the channel works again)
            if missing := reach.for_posting(embeds=True):
                await self.bot.guild_store.note_problem(job.guild_id, job.channel_id, "results", missing)
            else:
                await self.bot.guild_store.clear_problem(job.guild_id, job.channel_id, "results")
        if self._token_alive(job):
            webhook = self._webhook(job)

            async def follow_up(rendered: Rendered, upload: discord.File | None, **_: Any) -> discord.Message:
                files = {"file": upload} if upload is not None else {}
                kwargs = rendered.kwargs()
                if kwargs["view"] is None:
                    kwargs.pop("view")
                return await webhook.send(wait=True, allowed_mentions=mentions, **kwargs, **files)  # type: ignore[arg-type]

            try:
                fits = self._fits(file, job.attach_limit)
                message, attachment = await self._post(follow_up, render(False), fits, video_id, job.spoiler)
                return DeliveryReceipt("followup", message.id, job.channel_id, attachment)
            except discord.HTTPException as exc:
                if exc.status not in PERMANENT and exc.status != 401:
                    raise  # a 5xx or a 429 Discord gave up on: the same way again, later
                log.info("the interaction of %r could not take the outcome (%s)", job, exc.status)
        if reach.can_post:  # (or nothing is known: Discord will say)
            # one nonce per outcome (at most 25 characters): a failure and a late result of one job are two messages
            nonce = f"{job.id[:22]}-{'c' if video is not None else 'f'}"
            extra: dict[str, Any] = {"allowed_mentions": mentions, "nonce": nonce}
            if job.reply_to_message_id and not reach.lacks("read_message_history"):
                extra["reference"] = discord.MessageReference(
                    message_id=job.reply_to_message_id, channel_id=job.channel_id, fail_if_not_exists=False
                )
            fits = self._fits(file, self._channel_limit(job, reach))
            try:
                draw = render(reach.known and not reach.can_embed)
                message, attachment = await self._post(_sender(channel), draw, fits, video_id, job.spoiler, **extra)
                return DeliveryReceipt("channel", message.id, job.channel_id, attachment)
            except discord.HTTPException as exc:
                if exc.status not in PERMANENT:
                    raise
                log.info("channel of %r refused the outcome (%s %s)", job, exc.status, exc.text)
        try:
            dm = await self.bot.create_dm(discord.Object(job.user_id))  # type: ignore[arg-type]
            fits = self._fits(file, DM_FILE_LIMIT)
            send = _sender(dm)
            message, attachment = await self._post(
                send, render(False), fits, video_id, job.spoiler, allowed_mentions=mentions
            )
            return DeliveryReceipt("dm", message.id, dm.id, attachment)
        except discord.HTTPException as exc:
            if exc.status not in PERMANENT:
                raise
            log.warning("could not deliver %r anywhere (%s %s); it stays in the history", job, exc.status, exc.text)
        return DeliveryReceipt("none")

    async def _remove_placeholder(self, job: Job, channel_id: int, message_id: int) -> None:
        """The progress message goes once the outcome is posted: through the interaction's webhook while its token
        lives, else as the bot's own message in the channel (it needs no permission but View Channel there); if it
        cannot go, it points to the outcome."""
        placeholder = job.progress_message_id
        if placeholder is None or placeholder == message_id or job.id in self._gone:
            return
        channel = self.bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        ways = [channel.get_partial_message(placeholder).delete]
        if self._token_alive(job):  # the interaction's own webhook first: its own rate-limit bucket
            ways.insert(0, functools.partial(self._webhook(job).delete_message, placeholder))
        for delete in ways:
            try:
                await delete()
                return
            except discord.NotFound:
                return  # already gone
            except discord.HTTPException as exc:
                log.info("could not remove the progress message of %r (%s)", job, exc.status)
        where = jump_url(job.guild_id if channel_id == job.channel_id else None, channel_id, message_id)
        await self._point_to(channel.get_partial_message(placeholder), where, job.state == "completed")


def _sender(target: discord.abc.Messageable) -> Callable[..., Awaitable[discord.Message]]:
    """Send a rendered message (and its file) to a channel or a DM."""

    async def send(rendered: Rendered, upload: discord.File | None, **extra: Any) -> discord.Message:
        if upload is not None:
            extra["file"] = upload
        return await target.send(**rendered.kwargs(), **extra)

    return send
