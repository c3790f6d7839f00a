"""The owner's DMs: what only the person who pays can fix (a refused token, an empty balance), the requests whose
outcome a restart left unknown, and the monthly budget. Discord layer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import discord

from bot.guilds.quota import QuotaService
from bot.i18n import N_, _, ngettext, sentences, speaking
from bot.luma import LumaError
from bot.store import Job
from bot.ui.messages import inert, shorten, timestamp

from .outbox import Outbox

__all__ = ["OwnerMail"]

log = logging.getLogger(__name__)

ALERT_EVERY = timedelta(minutes=30)  # at most one DM per kind of problem in this window
OWNER_ACTIONS = {
    "auth": N_(
        "The API token was refused: set a valid ACEDATACLOUD_API_TOKEN and restart (`luma-bot check` tests it)."
    ),
    "balance": N_("Your AceDataCloud balance is used up: top it up; videos work again at once."),
    "not_found": N_("The API address is wrong: check ACEDATACLOUD_API_BASE_URL (`luma-bot check` tests it)."),
    "protocol": N_("The API (or something in front of it) answered in an unexpected way; the details are below."),
}


class OwnerMail:
    def __init__(self, outbox: Outbox, quota: QuotaService) -> None:
        self.outbox = outbox
        self.quota = quota
        self._alerted: dict[str, datetime] = {}

    def _server(self, guild_id: int) -> str:
        """A server's name as text (a name is anyone's to choose: never a link in the owner's DMs)."""
        guild = self.outbox.client.get_guild(guild_id)
        return inert(guild.name if guild else str(guild_id), 100)

    async def send(self, write: Callable[[], str]) -> None:
        """DM the application's owner what `write()` says, in their language when known (else English)."""
        client = self.outbox.client
        with speaking(self.outbox.languages.owner):
            text = write()
        app = client.application or await client.application_info()
        owner = app.team.owner if app.team and app.team.owner else app.owner
        dm = await client.create_dm(owner)  # type: ignore[arg-type]
        await dm.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())

    async def alert(self, job: Job, error: LumaError) -> None:
        """Members are only told "the bot is not set up"; the person who pays gets the details, by DM."""
        now = self.outbox.clock()
        last = self._alerted.get(error.kind)
        if last is not None and now - last < ALERT_EVERY:
            return
        self._alerted[error.kind] = now
        where = self._server(job.guild_id)

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
            await self.send(write)
        except discord.HTTPException as exc:
            log.warning("could not alert the bot's owner (%s): %s", exc.text, error.detail)

    async def unknown_outcomes(self, jobs: list[Job], still_waiting: bool) -> None:
        """Jobs stopped while being sent: the API may have made (and billed) them, and has no way to ask."""

        def write() -> str:
            lines = []
            for job in jobs[:15]:
                sent = timestamp(job.submit_started_at, "f") if job.submit_started_at else "?"
                line = _("• {server}, sent {when}: “{prompt}”").format(
                    server=self._server(job.guild_id), when=sent, prompt=shorten(job.request.prompt, 80)
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
            return sentences(head, then, console) + "\n" + "\n".join(lines) + more

        try:
            await self.send(write)
        except discord.HTTPException as exc:
            log.warning("could not tell the bot's owner about %d unknown outcomes (%s)", len(jobs), exc.text)

    async def backup_failed(self, detail: str) -> None:
        """The nightly backup failed (told once, until one works again: bot/backups/nightly.py)."""

        def write() -> str:
            return _(
                "🗄️ **luma-bot's nightly backup failed**: {detail}. The bot goes on working; check BACKUP_DIR (that "
                "it exists, is writable and has room). You will hear again only after a backup has worked."
            ).format(detail=detail[:500])

        try:
            await self.send(write)
        except discord.HTTPException as exc:
            log.warning("could not tell the owner that the nightly backup failed (%s)", exc.status)

    async def budget(self, percent: int) -> None:
        """The bot-wide monthly budget reached 80% or 100% (each sent once a month: bot/guilds/quota.py records it)."""
        wallet = self.quota.wallet
        videos, month = await self.quota.month_spend()

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
            await self.send(write)
        except discord.HTTPException as exc:
            log.warning("could not tell the bot's owner about the budget (%s, %d%%)", exc.text, percent)
