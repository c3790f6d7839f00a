"""Which servers the bot serves (ALLOWED_GUILDS), and leaving the others politely.

A Discord application is public by default: anyone with its id can add the bot to a server of their own and make
videos on the owner's credits. With ALLOWED_GUILDS set, the bot serves those servers only: added to another, it says
why in the server's system channel (where it may), leaves it, and tells its owner once by DM; an interaction or a
reply from such a server meanwhile is refused (bot/app/tree.py `not_here`).
"""

from __future__ import annotations

import logging

import discord

from bot.app.tree import NOT_SERVED
from bot.delivery.outbox import Languages
from bot.delivery.owner import OwnerMail
from bot.delivery.reach import reach_in
from bot.i18n import _, speaking
from bot.ui.messages import inert

__all__ = ["serves", "turn_away"]

log = logging.getLogger(__name__)


def serves(allowed: frozenset[int], guild_id: int | None) -> bool:
    """Whether the bot serves this server: any server when ALLOWED_GUILDS is empty, else those it lists."""
    return guild_id is not None and (not allowed or guild_id in allowed)


async def turn_away(client: discord.Client, guild: discord.Guild, languages: Languages, owner: OwnerMail) -> None:
    """Say why (in the server's system channel, where the bot may post), leave, and tell the owner."""
    channel = guild.system_channel
    if channel is not None and reach_in(client, guild.id, channel.id).can_post:
        with speaking(await languages.public(guild.id)):
            text = _(NOT_SERVED)
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.info("could not say goodbye in %s (%s)", guild.id, exc.status)
    try:
        await guild.leave()
    except discord.HTTPException as exc:
        log.warning("could not leave server %s, which ALLOWED_GUILDS does not list (%s)", guild.id, exc.status)
        return
    log.warning("left server %s (%s members): ALLOWED_GUILDS does not list it", guild.id, guild.member_count)

    def write() -> str:
        return _(
            "Your bot was added to the server {server} (id {id}), which ALLOWED_GUILDS does not list, so it left. "
            "To let it in, add that id to ALLOWED_GUILDS; to stop strangers adding it, switch Public Bot off in the "
            "Developer Portal (Bot page)."
        ).format(server=inert(guild.name, 100), id=guild.id)

    try:
        await owner.send(write)
    except discord.HTTPException as exc:
        log.warning("could not tell the bot's owner that it left server %s (%s)", guild.id, exc.status)
