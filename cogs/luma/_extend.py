"""Extending a video four ways: /luma extend, the Extend button, Apps › Extend video, a reply."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.app.tree import reply_privately, speak_to
from bot.errors import MemberError
from bot.i18n import N_, _, use
from bot.luma import PROMPT_MAX, PROMPT_MIN
from bot.requests.history import VIDEO_GONE, ExtendTarget, age, resolve_extend_target
from bot.requests.inputs import pick_image
from bot.store import Video, Viewer
from bot.ui.messages import EXTEND_BUTTON_PREFIX, EXTEND_MODAL_PREFIX, ExtendModal, modal_values, shorten

from ._base import LumaCogPart
from ._choices import CAMERA_CHOICES
from ._flow import answer_reply, request_options, start_from_interaction, start_from_reply, viewer_of
from ._generate import image_file

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

log = logging.getLogger(__name__)

NOT_A_VIDEO = N_("That message holds no video of mine. Use it on one of my results, or try `/luma extend`.")


async def video_autocomplete(interaction: discord.Interaction[LumaBot], current: str) -> list[app_commands.Choice[str]]:
    """This server's most recent videos matching what the member typed (prompt or id), at most 25."""
    bot = interaction.client
    if interaction.guild_id is None:
        return []
    videos = await bot.videos.recent(
        interaction.guild_id, viewer_of(interaction), search=current.strip() or None, limit=25
    )
    now = bot.clock()
    return [
        app_commands.Choice(
            name=shorten(f"{shorten(v.prompt, 70)} · {age(v.created_at, now)}", 100), value=v.video_id[:100]
        )
        for v in videos
    ]


class ExtendCommands(LumaCogPart):
    @app_commands.command(name="extend", description=locale_str("Continue one of this server's videos"))
    @app_commands.describe(
        video=locale_str("The video: pick from the list, or paste its id or link"),
        prompt=locale_str("What happens next"),
        end_image=locale_str("An image for the last frame"),
        end_image_url=locale_str("A link to an image for the last frame (instead of uploading one)"),
        camera=locale_str("How the camera moves (default: the video's own move)"),
        private=locale_str("Only you see the progress and the result (default: your /luma settings)"),
    )
    @app_commands.autocomplete(video=video_autocomplete)
    @app_commands.choices(camera=CAMERA_CHOICES)
    async def extend(
        self,
        interaction: discord.Interaction[LumaBot],
        video: app_commands.Range[str, 1, 2000],
        prompt: app_commands.Range[str, PROMPT_MIN, PROMPT_MAX],
        end_image: discord.Attachment | None = None,
        end_image_url: str | None = None,
        camera: app_commands.Choice[str] | None = None,
        private: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        target = await resolve_extend_target(self.bot.videos, interaction.guild_id, video, viewer_of(interaction))
        upload = image_file(end_image)
        end = pick_image("end_image", upload, end_image_url)
        settings, options = await request_options(
            self.bot,
            interaction.guild_id,
            interaction.user.id,
            spoiler=target.spoiler,
            private=target.private or private,
        )
        move = camera.value if camera else target.camera
        request = target.request(prompt, options, end, await self._link_now(target), move)
        await start_from_interaction(
            self.bot,
            interaction,
            request,
            options,
            parent_video_id=target.parent_id,
            settings=settings,
            uploads=[upload] if upload else [],
        )

    # --- the button and the context menu open the same modal -----------------------------------

    async def open_extend_modal(self, interaction: discord.Interaction[LumaBot], video_id: str) -> None:
        if interaction.guild_id is None:  # the result reached the member by DM
            await reply_privately(
                interaction, _("Extend it from the server where it was made: the button works there.")
            )
            return
        video = await self.bot.videos.shown(interaction.guild_id, video_id, viewer_of(interaction))
        if video is None:
            await reply_privately(interaction, _(VIDEO_GONE))
            return
        await interaction.response.send_modal(ExtendModal(video))

    @commands.Cog.listener("on_interaction")
    async def extend_modal_submitted(self, interaction: discord.Interaction[LumaBot]) -> None:
        """The Extend form, handled by its custom_id: no in-memory state, so it survives restarts."""
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is not discord.InteractionType.modal_submit or not custom_id.startswith(
            EXTEND_MODAL_PREFIX
        ):
            return
        if interaction.guild_id is None:
            return
        speak_to(interaction)
        video = await self.bot.videos.shown(
            interaction.guild_id, custom_id.removeprefix(EXTEND_MODAL_PREFIX), viewer_of(interaction)
        )  # a form opened before its video was deleted is refused when sent
        if video is None:
            await reply_privately(interaction, _(VIDEO_GONE))
            return
        values = modal_values(data)
        target = ExtendTarget(video=video)
        try:
            settings, options = await request_options(
                self.bot, interaction.guild_id, interaction.user.id, spoiler=target.spoiler, private=target.private
            )
            end = pick_image("end_frame", None, values.get("end_image_url") or None)
            move = values.get("camera", target.camera or "")
            request = target.request(values.get("prompt", ""), options, end, await self._link_now(target), move)
        except MemberError as exc:  # a listener, not a command: the tree's handler does not see it
            await reply_privately(interaction, str(exc))
            return
        await start_from_interaction(
            self.bot, interaction, request, options, parent_video_id=video.video_id, settings=settings
        )

    async def extend_message(self, interaction: discord.Interaction[LumaBot], message: discord.Message) -> None:
        """Apps › Extend video, on any message of the bot that holds a video."""
        assert interaction.guild_id is not None
        video = await self._video_of(interaction.guild_id, message)
        if video is None:
            await reply_privately(interaction, _(NOT_A_VIDEO))
            return
        await interaction.response.send_modal(ExtendModal(video))

    async def _link_now(self, target: ExtendTarget) -> str | None:
        """A link to the video that works now, for one the API knows only by its link (which expires): the
        served copy while it is kept (once pruned, its link leads on to the Discord message: a web page, no video
        for the API), else its Discord attachment's URL, fetched afresh (those are signed for a day)."""
        video = target.video
        if video is None or not target.needs_link:
            return None
        served = self.bot.links.served(video)
        if served is not None and await self.bot.media.is_kept(video.video_id, "video"):
            return served
        if video.attachment_url and video.message_id and video.message_channel_id:
            channel = self.bot.get_partial_messageable(video.message_channel_id, guild_id=video.guild_id)
            try:
                message = await channel.fetch_message(video.message_id)
            except discord.HTTPException as exc:
                log.info("could not fetch the message carrying %s (%s)", video.video_id, exc.status)
                return None
            if message.attachments:
                return message.attachments[0].url
        return None

    async def _video_of(self, guild_id: int, message: discord.Message) -> Video | None:
        if self.bot.user is None or message.author.id != self.bot.user.id:
            return None
        video = await self.bot.videos.by_message(guild_id, message.id)
        if video is not None:
            return video
        for row in message.components:  # e.g. a result re-posted by /luma video
            for child in getattr(row, "children", []):
                custom_id = getattr(child, "custom_id", None) or ""
                if custom_id.startswith(EXTEND_BUTTON_PREFIX):
                    video_id = custom_id.removeprefix(EXTEND_BUTTON_PREFIX)
                    return await self.bot.videos.shown(guild_id, video_id, Viewer())  # a public result
        return None

    # --- a plain reply to a video ----------------------------------------------------------------

    @commands.Cog.listener("on_message")
    async def extend_on_reply(self, message: discord.Message) -> None:
        if message.guild is None or message.author.bot or message.reference is None:
            return
        if not self.bot.serves(message.guild.id):
            return  # a server ALLOWED_GUILDS does not list: the bot is on its way out
        reference = message.reference
        if reference.message_id is None or reference.channel_id != message.channel.id:
            return
        prompt = message.content
        if self.bot.user is not None:  # a reply that pings the bot may carry its mention
            prompt = prompt.replace(f"<@{self.bot.user.id}>", "").replace(f"<@!{self.bot.user.id}>", "")
        prompt = prompt.strip()
        if not prompt:
            return  # no text (or no Message Content intent and no ping): nothing to do
        resolved = reference.resolved
        if isinstance(resolved, discord.Message):  # also right in the instant before the result's id is saved
            video = await self._video_of(message.guild.id, resolved)
        else:
            video = await self.bot.videos.by_message(message.guild.id, reference.message_id)
        if video is None:
            return
        use(await self.bot.languages.public(message.guild.id))  # a message carries no locale: the server's
        if not PROMPT_MIN <= len(prompt) <= PROMPT_MAX:
            text = _("To extend a video, reply with a prompt of {min} to {max} characters.").format(
                min=PROMPT_MIN, max=PROMPT_MAX
            )
            await answer_reply(self.bot, message, text)
            return
        target = ExtendTarget(video=video)
        try:
            settings, options = await request_options(
                self.bot, message.guild.id, message.author.id, spoiler=target.spoiler, private=target.private
            )
            request = target.request(prompt, options, link_now=await self._link_now(target), camera=target.camera)
        except MemberError as exc:
            await answer_reply(self.bot, message, str(exc))
            return
        await start_from_reply(self.bot, message, request, video.video_id, settings, options)
