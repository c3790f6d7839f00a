"""The showcase post: a starred result reposted to a server's showcase channel, and its star count. Discord layer."""

from __future__ import annotations

import discord

from bot.i18n import _
from bot.media import Links
from bot.store import Video

from .messages import COLOR_OK, LINK_MAX, Rendered, _prompt_block, camera_label

__all__ = ["showcase_message"]


def _count(stars: int) -> str:
    return f"⭐ **{stars}**"  # i18n: not text (a star and a number)


def showcase_message(video: Video, stars: int, links: Links, *, attached: bool) -> Rendered:
    """The star count, the prompt, who asked (named, never pinged), a jump to the result; the file when attached,
    else the lasting link (which Discord plays)."""
    jump = links.result_jump(video)
    embed = discord.Embed(title=_("🌟 From the showcase"), description=_prompt_block(video.prompt), color=COLOR_OK)
    embed.add_field(name=_("Requested by"), value=f"<@{video.user_id}>", inline=True)
    if move := camera_label(video.camera):
        embed.add_field(name=_("Camera move"), value=move, inline=True)
    embed.set_footer(text=_("Video ID {id}").format(id=video.video_id))
    view = discord.ui.View(timeout=None)
    if jump and len(jump) <= LINK_MAX:
        view.add_item(discord.ui.Button(label=_("Jump to the result"), style=discord.ButtonStyle.link, url=jump))
    if attached:
        return Rendered(content=_count(stars), embed=embed, view=view)
    content = f"{_count(stars)} {links.lasting(video)}"  # i18n: not text (a count, then the link Discord plays)
    return Rendered(content=content, embed=embed, view=view)
