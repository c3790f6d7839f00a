"""/luma generate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.luma import PROMPT_MAX, PROMPT_MIN, VideoRequest
from bot.requests.inputs import ImageFile, pick_image

from ._base import LumaCogPart
from ._choices import ASPECT_CHOICES, CAMERA_CHOICES
from ._flow import request_options, start_from_interaction

if TYPE_CHECKING:
    from bot.app.bot import LumaBot


def image_file(attachment: discord.Attachment | None) -> ImageFile | None:
    if attachment is None:
        return None
    return ImageFile(attachment.url, attachment.filename, attachment.content_type, attachment.size)


class GenerateCommands(LumaCogPart):
    @app_commands.command(
        name="generate", description=locale_str("Make a video from a prompt, optionally from a start/end frame")
    )
    @app_commands.describe(
        prompt=locale_str("What should happen in the video"),
        start_image=locale_str("An image for the first frame"),
        end_image=locale_str("An image for the last frame"),
        start_image_url=locale_str("A link to an image for the first frame (instead of uploading one)"),
        end_image_url=locale_str("A link to an image for the last frame (instead of uploading one)"),
        aspect_ratio=locale_str("The shape of the video (default: this server's setting)"),
        loop=locale_str("Make the video loop seamlessly (not with an end frame)"),
        enhancement=locale_str("Let Luma improve the prompt (default: on)"),
        spoiler=locale_str("Post the result behind a spoiler (default: this server's setting)"),
        camera=locale_str("How the camera moves (added to the prompt in Luma's own words)"),
        private=locale_str("Only you see the progress and the result (default: your /luma settings)"),
    )
    @app_commands.choices(aspect_ratio=ASPECT_CHOICES, camera=CAMERA_CHOICES)
    async def generate(
        self,
        interaction: discord.Interaction[LumaBot],
        prompt: app_commands.Range[str, PROMPT_MIN, PROMPT_MAX],
        start_image: discord.Attachment | None = None,
        end_image: discord.Attachment | None = None,
        start_image_url: str | None = None,
        end_image_url: str | None = None,
        aspect_ratio: app_commands.Choice[str] | None = None,
        loop: bool | None = None,
        enhancement: bool | None = None,
        spoiler: bool | None = None,
        camera: app_commands.Choice[str] | None = None,
        private: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        settings, options = await request_options(
            self.bot,
            interaction.guild_id,
            interaction.user.id,
            aspect_ratio=aspect_ratio.value if aspect_ratio else None,
            loop=loop,
            enhancement=enhancement,
            spoiler=spoiler,
            private=private,
        )
        request = VideoRequest.generate(
            prompt,
            start_image_url=pick_image("start_image", image_file(start_image), start_image_url),
            end_image_url=pick_image("end_image", image_file(end_image), end_image_url),
            aspect_ratio=options.aspect_ratio,
            loop=options.loop,
            enhancement=options.enhancement,
            camera=camera.value if camera else None,
        )
        uploads = [f for f in (image_file(start_image), image_file(end_image)) if f is not None]
        await start_from_interaction(self.bot, interaction, request, options, settings=settings, uploads=uploads)
