"""The /luma-admin cog: its parts (server settings, member rules, tiers and grants) over one command group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from ._admin_base import ADMIN
from ._admin_members import MemberRules
from ._admin_settings import ServerSettings
from ._admin_showcase import ShowcaseAdmin
from ._admin_tiers import MemberTiers

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

__all__ = ["AdminCog"]


class AdminCog(ServerSettings, MemberRules, MemberTiers, ShowcaseAdmin, commands.Cog, name="luma-admin"):
    admin = ADMIN

    def __init__(self, bot: LumaBot) -> None:
        self.bot = bot
