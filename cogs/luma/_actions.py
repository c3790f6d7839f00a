"""One-click actions: Again and Delete on a result, and Apps › Animate image on any message with a picture."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.app.tree import reply_privately, speak_to
from bot.errors import MemberError
from bot.i18n import N_, _
from bot.luma import VideoRequest
from bot.requests.again import FRAMES, again_request
from bot.requests.history import VIDEO_GONE, ExtendTarget
from bot.requests.inputs import image_in_message, pick_image
from bot.store import Job, Video, Viewer
from bot.ui.messages import (
    AGAIN_MODAL_PREFIX,
    ANIMATE_MODAL_PREFIX,
    ANIMATE_MODAL_TEMPLATE,
    AgainModal,
    AnimateModal,
    again_form_button,
    modal_values,
)

from ._base import LumaCogPart
from ._flow import request_options, start_from_interaction, viewer_of
from ._generate import image_file

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

log = logging.getLogger(__name__)

PARENT_GONE = N_("The video this one extends was deleted, so it can't be extended again.")
PICTURE_GONE = N_("I can't use that picture any more. Use Apps › Animate image on its message again.")
NOT_YOURS = N_("Only the member who asked for this video, or someone with Manage Messages, can delete it.")


GONE_FRAMES = {
    ("start_frame",): N_(
        "The start frame of this video is gone (Discord keeps links to uploaded images for about a day). Open the "
        "form to make it again with a new link, or without it."
    ),
    ("end_frame",): N_(
        "The end frame of this video is gone (Discord keeps links to uploaded images for about a day). Open the "
        "form to make it again with a new link, or without it."
    ),
    ("start_frame", "end_frame"): N_(
        "The start and end frames of this video are gone (Discord keeps links to uploaded images for about a day). "
        "Open the form to make it again with new links, or without them."
    ),
}


class ActionCommands(LumaCogPart):
    if TYPE_CHECKING:  # from ExtendCommands, beside it in the cog

        async def _link_now(self, target: ExtendTarget) -> str | None: ...

    async def _video(self, interaction: discord.Interaction[LumaBot], video_id: str, elsewhere: str) -> Video | None:
        """This server's video (not deleted), or None after telling the member why not (`elsewhere`: pressed in
        a DM, where the result reached them)."""
        if interaction.guild_id is None:
            await reply_privately(interaction, elsewhere)
            return None
        video = await self.bot.videos.shown(interaction.guild_id, video_id, viewer_of(interaction))
        if video is None:
            await reply_privately(interaction, _(VIDEO_GONE))
            return None
        return video

    async def _result(self, interaction: discord.Interaction[LumaBot], video_id: str) -> tuple[Video, Job] | None:
        """The video and the request it was made from, or None after telling the member why not."""
        video = await self._video(
            interaction, video_id, _("Use it in the server where the video was made: the button works there.")
        )
        if video is None:
            return None
        job = await self.bot.job_store.get(video.job_id) if video.job_id else None
        if job is None:
            await reply_privately(
                interaction, _("The request behind this video is not known any more: use `/luma generate`.")
            )
            return None
        parent = job.parent_video_id
        if parent and await self.bot.videos.shown(video.guild_id, parent, Viewer(job.user_id)) is None:
            await reply_privately(interaction, _(PARENT_GONE))  # it would extend a deleted video again
            return None
        return video, job

    async def _video_link(self, job: Job) -> str | None:
        """For an extension the API knows by link: a link to that video that works now."""
        request = job.request
        if request.action != "extend" or request.video_id or not job.parent_video_id:
            return None
        parent = await self.bot.videos.shown(job.guild_id, job.parent_video_id, Viewer(job.user_id))
        return await self._link_now(ExtendTarget(video=parent)) if parent is not None else None

    # --- Again ----------------------------------------------------------------------------------

    async def run_again(self, interaction: discord.Interaction[LumaBot], video_id: str) -> None:
        """The same prompt and options as a new request: a new quota unit and the same checks as any request.
        A frame whose link is gone is not sent blind: the member gets the form instead."""
        found = await self._result(interaction, video_id)
        if found is None:
            return
        job = found[1]
        usable, gone = await self.bot.frames.usable(job.guild_id, job.request)
        if gone:
            view = discord.ui.View(timeout=None)
            view.add_item(again_form_button(video_id))
            await interaction.response.send_message(
                _(GONE_FRAMES[tuple(gone)]),
                view=view,
                ephemeral=True,
            )
            return
        request = again_request(usable, video_url=await self._video_link(job))
        await self._start_again(interaction, job, request)

    async def _start_again(self, interaction: discord.Interaction[LumaBot], job: Job, request: VideoRequest) -> None:
        """Again and Remix: a private video's rerun is private, one behind a spoiler stays behind it."""
        assert interaction.guild_id is not None
        settings, options = await request_options(
            self.bot, interaction.guild_id, interaction.user.id, spoiler=job.spoiler, private=job.private or None
        )
        await start_from_interaction(
            self.bot, interaction, request, options, parent_video_id=job.parent_video_id, settings=settings
        )

    async def open_again_form(self, interaction: discord.Interaction[LumaBot], video_id: str) -> None:
        """Remix (and Again when a frame is gone): the form with the prompt and the camera move filled in."""
        found = await self._result(interaction, video_id)
        if found is None:
            return
        job = found[1]
        usable, gone = await self.bot.frames.usable(job.guild_id, job.request)
        working = {f: getattr(usable, f) for f, label in FRAMES.items() if label not in gone}
        await interaction.response.send_modal(AgainModal(video_id, job.request, working))

    async def _again_submitted(self, interaction: discord.Interaction[LumaBot], video_id: str, data: Any) -> None:
        found = await self._result(interaction, video_id)
        if found is None:
            return
        job = found[1]
        values = modal_values(data)
        frames = {
            field: pick_image(label, None, values.get(field) or None)
            for field, label in FRAMES.items()
            if field in values
        }
        request = again_request(
            job.request,
            prompt=values.get("prompt", ""),
            frames=frames,
            video_url=await self._video_link(job),
            camera=values.get("camera"),
        )
        await self._start_again(interaction, job, request)

    # --- Animate image --------------------------------------------------------------------------

    async def animate_message(self, interaction: discord.Interaction[LumaBot], message: discord.Message) -> None:
        """Apps › Animate image: the message's picture becomes the start frame of a new video. The picture is read
        from the message as the interaction carries it: the one place Discord gives its content whole without the
        Message Content intent (reading the message again later would find it empty). It is recorded (and kept, so
        a link to it still works later); the form carries only its id, so it survives a restart."""
        assert interaction.guild_id is not None
        image = image_in_message(*_images_of(message))  # no picture: said privately, before any form
        kind = next((a.content_type for a in message.attachments if a.url == image), None)
        frame = await self.bot.frames.record(interaction.guild_id, image, ephemeral=False, content_type=kind)
        await interaction.response.send_modal(AnimateModal(frame.id))

    async def _animate_submitted(self, interaction: discord.Interaction[LumaBot], frame_id: str, data: Any) -> None:
        assert interaction.guild_id is not None
        frame = await self.bot.frames.get(interaction.guild_id, frame_id)
        image = await self.bot.frames.working(interaction.guild_id, frame.url) if frame is not None else None
        if image is None:
            await reply_privately(interaction, _(PICTURE_GONE))
            return
        settings, options = await request_options(self.bot, interaction.guild_id, interaction.user.id)
        values = modal_values(data)
        request = VideoRequest.generate(
            values.get("prompt", ""),
            start_image_url=image,
            aspect_ratio=options.aspect_ratio,
            loop=options.loop,
            enhancement=options.enhancement,
            camera=values.get("camera") or None,
        )
        await start_from_interaction(self.bot, interaction, request, options, settings=settings)

    @commands.Cog.listener("on_interaction")
    async def action_form_submitted(self, interaction: discord.Interaction[LumaBot]) -> None:
        """The Again and Animate forms, handled by custom_id: no memory, so they survive restarts."""
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is not discord.InteractionType.modal_submit or interaction.guild_id is None:
            return
        if not custom_id.startswith((AGAIN_MODAL_PREFIX, ANIMATE_MODAL_PREFIX)):
            return
        speak_to(interaction)
        try:
            if custom_id.startswith(AGAIN_MODAL_PREFIX):
                await self._again_submitted(interaction, custom_id.removeprefix(AGAIN_MODAL_PREFIX), data)
            elif match := ANIMATE_MODAL_TEMPLATE.fullmatch(custom_id):
                await self._animate_submitted(interaction, match["frame_id"], data)
            else:  # a form opened before an upgrade (it named the message, which the bot may not read again)
                await reply_privately(interaction, _(PICTURE_GONE))
        except MemberError as exc:  # a listener, not a command: the tree's handler does not see it
            await reply_privately(interaction, str(exc))

    # --- Delete ---------------------------------------------------------------------------------

    async def delete_result(self, interaction: discord.Interaction[LumaBot], video_id: str) -> None:
        """Its requester, or anyone with Manage Messages, removes the result message; the history row stays,
        marked deleted (hidden from members), and the bot's copy goes."""
        video = await self._video(interaction, video_id, _("Delete it in the server where it was made."))
        if video is None:
            return
        if interaction.user.id != video.user_id and not interaction.permissions.manage_messages:
            await reply_privately(interaction, _(NOT_YOURS))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.videos.mark_deleted(video_id, interaction.user.id)
        await self.bot.showcase.deleted(video, interaction.user.id)  # its showcase post goes too, for good
        message: discord.Message | discord.PartialMessage | None = interaction.message  # the pressed one
        if video.message_id and video.message_channel_id:  # the result message, wherever it was pressed
            channel = self.bot.get_partial_messageable(video.message_channel_id, guild_id=video.guild_id)
            message = channel.get_partial_message(video.message_id)
        if message is not None:
            try:
                await message.delete()
            except discord.NotFound:
                pass
            except discord.HTTPException as exc:
                log.warning("could not delete the result message of %s (%s)", video_id, exc.status)
        await self.bot.archiver.forget(video_id)
        self.bot.mod_log.deleted(video, interaction.user.id)
        await interaction.followup.send(_("🗑️ Deleted. It no longer shows in `/luma history`."), ephemeral=True)


def _images_of(message: discord.Message) -> tuple[list[Any], list[str]]:
    files = [f for f in (image_file(a) for a in message.attachments) if f is not None]
    embeds = [u for e in message.embeds for u in (e.image.url, e.thumbnail.url) if u]
    return files, embeds
