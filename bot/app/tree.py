"""The command tree (passed to the bot as `tree_cls`): one place where an error meets a member.

A `MemberError` (bad input, a refusal, an admin's mistake) is the member's to read: it is shown
privately, as written. Anything else is a bug: logged with its traceback, and the member gets a plain
sentence that promises nothing was charged (a job that never started holds no reservation).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.errors import MemberError
from bot.i18n import N_, _, use

__all__ = ["LumaTree", "installed_here", "not_here", "reply_privately"]

log = logging.getLogger(__name__)

BUG = N_("Something went wrong on the bot's side. Nothing was charged; please try again.")
NOT_INSTALLED = N_("luma-bot makes videos only in servers it has been added to.")
NOT_SERVED = N_("This bot makes videos only in the servers its owner chose, so it is leaving this one.")


def installed_here(interaction: discord.Interaction[Any]) -> bool:
    """Whether this interaction comes from a server that added the bot (its guild installation), not from a member's
    own User Install of the app somewhere else: only there may it cost the owner anything."""
    return interaction.guild_id is not None and interaction.is_guild_integration()


def not_here(interaction: discord.Interaction[Any]) -> str | None:
    """Why nothing may be done for this interaction where it comes from (translated), or None: a place that did not
    add the bot, or a server it does not serve (ALLOWED_GUILDS)."""
    if not installed_here(interaction):
        return _(NOT_INSTALLED)
    serves = getattr(interaction.client, "serves", None)
    if serves is not None and not serves(interaction.guild_id):
        return _(NOT_SERVED)
    return None


def speak_to(interaction: discord.Interaction[Any]) -> str:
    """Answer this interaction in its member's language (for the rest of the handler's task); the
    application's owner's language is remembered for the DMs the bot sends them."""
    locale = member_locale(interaction)
    client = interaction.client
    app = getattr(client, "application", None)
    owner = app.team.owner if app is not None and app.team and app.team.owner else getattr(app, "owner", None)
    languages = getattr(client, "services", None) and client.services.languages  # type: ignore[attr-defined]
    if owner is not None and interaction.user.id == owner.id and languages is not None:
        languages.owner = locale
    return use(locale)


def member_locale(interaction: discord.Interaction[Any]) -> str:
    """The language this member is answered in: the one they chose (`/luma settings`), else their client's."""
    services = getattr(interaction.client, "services", None)
    client_locale = str(interaction.locale)
    return (services.languages.member(interaction.user.id, client_locale) if services else None) or client_locale


async def reply_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer only the member: as the first response if still possible, else as a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


def error_text(error: BaseException) -> str | None:
    """What a member reads for this error, or None when it is a bug."""
    original = getattr(error, "original", error)
    if isinstance(original, MemberError):
        return str(original)
    if isinstance(error, app_commands.MissingPermissions):
        return _("You need the Manage Server permission for this.")
    if isinstance(error, app_commands.NoPrivateMessage):
        return _("This works in a server, not in DMs.")
    if isinstance(error, app_commands.CheckFailure):
        return _("You can't use this here.")
    if isinstance(error, app_commands.TransformerError):
        return _("That value is not valid for this option.")
    return None


class LumaTree(app_commands.CommandTree[Any]):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        speak_to(interaction)  # every command answers its member in their language
        refusal = not_here(interaction)
        if refusal is not None:  # the commands are never offered elsewhere; a stale client may try
            log.info("refused a command from %s (context %s)", interaction.guild_id, interaction.context)
            await reply_privately(interaction, refusal)
            return False
        return True

    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        text = error_text(error)
        if text is None:
            name = interaction.command.qualified_name if interaction.command else "?"
            log.error("command %s failed", name, exc_info=getattr(error, "original", error))
            text = _(BUG)
        try:
            await reply_privately(interaction, text)
        except discord.HTTPException:
            log.warning("could not tell the member about an error")
