"""/luma settings: a member's own defaults, the same in every server with this bot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.app.tree import speak_to
from bot.store.members import NAMES
from bot.ui.members import member_settings_embed

from ._base import LumaCogPart
from ._choices import ASPECT_CHOICES, language_choices

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

FORGET_CHOICES = [
    app_commands.Choice(name=locale_str("aspect ratio"), value="aspect_ratio"),
    app_commands.Choice(name=locale_str("loop"), value="loop"),
    app_commands.Choice(name=locale_str("enhancement"), value="enhancement"),
    app_commands.Choice(name=locale_str("spoiler"), value="spoiler"),
    app_commands.Choice(name=locale_str("private"), value="private"),
    app_commands.Choice(name=locale_str("language"), value="language"),
    app_commands.Choice(name=locale_str("all of them"), value="all"),
]


class SettingsCommands(LumaCogPart):
    @app_commands.command(
        name="settings", description=locale_str("Your own defaults for every video you make (only you see this)")
    )
    @app_commands.describe(
        aspect_ratio=locale_str("Your default shape"),
        loop=locale_str("Loop your videos by default"),
        enhancement=locale_str("Let Luma improve your prompts by default"),
        spoiler=locale_str("Post your results behind a spoiler by default"),
        private=locale_str("Make your videos private by default: only you see them"),
        language=locale_str("The language of my private answers to you (default: your Discord's)"),
        forget=locale_str("Go back to the server's default for one of these"),
    )
    @app_commands.choices(
        aspect_ratio=ASPECT_CHOICES,
        language=language_choices(locale_str("your Discord's")),
        forget=FORGET_CHOICES,
    )
    async def member_settings(
        self,
        interaction: discord.Interaction[LumaBot],
        aspect_ratio: app_commands.Choice[str] | None = None,
        loop: bool | None = None,
        enhancement: bool | None = None,
        spoiler: bool | None = None,
        private: bool | None = None,
        language: app_commands.Choice[str] | None = None,
        forget: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("aspect_ratio", aspect_ratio.value if aspect_ratio else None),
                ("loop", loop),
                ("enhancement", enhancement),
                ("spoiler", spoiler),
                ("private", private),
            )
            if value is not None
        }
        if language is not None:
            changes["language"] = None if language.value == "auto" else language.value
        if forget is not None:
            changes.update(dict.fromkeys(NAMES if forget.value == "all" else (forget.value,)))
        members = self.bot.members
        prefs = await members.set(interaction.user.id, **changes) if changes else await members.get(interaction.user.id)
        if "language" in changes:
            speak_to(interaction)  # the answer itself comes in the language just chosen
        settings = await self.bot.guild_store.get(interaction.guild_id)
        embed = member_settings_embed(prefs, settings, self.bot.settings.default_aspect_ratio)
        await interaction.response.send_message(embed=embed, ephemeral=True)
