"""The choices several commands offer: aspect ratios, camera moves, and the languages (with the one that follows
someone else's: the server's own, or the member's Discord's)."""

from __future__ import annotations

from discord import app_commands
from discord.app_commands import locale_str

from bot.luma import ASPECT_RATIOS
from bot.luma.camera import CAMERA_MOVES
from bot.ui.notes import LANGUAGE_NAMES

__all__ = ["ASPECT_CHOICES", "CAMERA_CHOICES", "language_choices"]

ASPECT_CHOICES = [
    app_commands.Choice(name=name, value=ratio)
    for ratio, name in zip(
        ASPECT_RATIOS,
        (
            locale_str("16:9 (landscape)"),
            locale_str("9:16 (portrait)"),
            locale_str("1:1 (square)"),
            "4:3",
            "3:4",
            locale_str("21:9 (cinema)"),
            locale_str("9:21 (tall)"),
        ),
        strict=True,
    )
]

# each move's label is a msgid of the camera module (N_), translated by the command tree's translator
CAMERA_CHOICES = [app_commands.Choice(name=locale_str(label), value=key) for key, (label, _) in CAMERA_MOVES.items()]


def language_choices(auto: locale_str) -> list[app_commands.Choice[str]]:
    """Each language by its own name, after `auto` (value "auto": no language of one's own)."""
    return [
        app_commands.Choice(name=auto, value="auto"),
        *(app_commands.Choice(name=name, value=code) for code, name in LANGUAGE_NAMES.items()),
    ]
