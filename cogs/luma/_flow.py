"""The one path every video request takes from Discord: access rules, options, quota, defer, submit."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.app.tree import member_locale, not_here, reply_privately
from bot.delivery.reach import reach_in
from bot.guilds.access import access_refusal
from bot.guilds.quota import QuotaExceeded
from bot.i18n import N_, _, sentences
from bot.jobs.service import LineFull, NewJob
from bot.luma import VideoRequest
from bot.moderation.wallet import BudgetSpent
from bot.requests.inputs import ImageFile
from bot.requests.options import PRIVATE_REFUSED, VideoOptions, resolve_options
from bot.store import GuildSettings, Viewer
from bot.ui.messages import block_refusal, timestamp

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

log = logging.getLogger(__name__)

NOT_STARTED = N_("⏹️ This request was not started.")


Refused = QuotaExceeded | LineFull | BudgetSpent  # decided at the reservation, refused at no cost


def refusal_sentence(exc: Refused) -> str:
    """A refusal at the moment of the request, with when to try again; nothing is ever charged for it."""
    if isinstance(exc, LineFull):
        again = discord.utils.utcnow() + timedelta(seconds=exc.retry_in)
        return sentences(str(exc), _("Please try again {when}. Nothing was charged.").format(when=timestamp(again)))
    parts = [exc.describe()]
    if exc.frees_at is not None:
        parts.append(_("You can make another video {when}.").format(when=timestamp(exc.frees_at)))
    elif not exc.closed:
        parts.append(_("You can make another as soon as one in progress finishes."))
    return sentences(*parts, _("Nothing was charged."))


def member_roles(member: discord.abc.User | discord.Member) -> list[int]:
    return [role.id for role in getattr(member, "roles", [])]


def parent_channel_id(channel: Any) -> int | None:
    """A thread's parent channel (threads of an allowed channel are allowed), else None."""
    return getattr(channel, "parent_id", None) if isinstance(channel, discord.Thread) else None


def age_restricted(channel: Any) -> bool:
    """Whether the channel is age-restricted; a thread has no flag of its own: its parent's counts
    (discord.py's Thread.is_nsfw reads the parent)."""
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw is not None and is_nsfw())


def viewer_of(interaction: discord.Interaction[LumaBot], *, public: bool = False, history: bool = False) -> Viewer:
    """Who looks at the server's videos through this interaction: their own private videos (never in a `public`
    answer), and everyone's in the history for Manage Server; made in age-restricted channels only from one."""
    return Viewer(
        user_id=None if public else interaction.user.id,
        manager=history and not public and interaction.permissions.manage_guild,
        age_ok=age_restricted(interaction.channel),
    )


async def request_refusal(
    bot: LumaBot,
    settings: GuildSettings,
    *,
    user_id: int,
    channel: Any,
    roles: list[int],
    is_admin: bool,
    prompt: str,
) -> tuple[str, bool] | None:
    """Every rule a request meets before anything is reserved, the same for every path (slash, button, form,
    reply): the server's access rules, a member block, the prompt blocklist. None, or a sentence for the
    member and whether it is personal (a block's reason: never said in a channel). Blocks and blocked
    prompts are logged for the moderators; the member's sentence names no rule."""
    refusal = access_refusal(
        settings,
        channel_id=channel.id,
        parent_id=parent_channel_id(channel),
        role_ids=roles,
        is_admin=is_admin,
        age_restricted=age_restricted(channel),
    )
    if refusal:
        return refusal, False
    guild_id = settings.guild_id
    block = await bot.moderation.block_of(guild_id, user_id)
    if block is not None:
        log.info("refused a request of blocked member %s in guild %s", user_id, guild_id)
        bot.mod_log.refused(guild_id, user_id, channel.id, prompt, lambda: _("the member is blocked"))
        bot.jobs.stats["refused_blocked_member"] += 1
        return block_refusal(block), True
    found = await bot.moderation.prompt_refusal(guild_id, prompt)
    if found is not None:
        log.info("refused a prompt in guild %s: it matched a blocked term", guild_id)
        term = found.term
        bot.mod_log.refused(
            guild_id, user_id, channel.id, prompt, lambda: _("matched the blocked term “{term}”").format(term=term)
        )
        bot.jobs.stats["refused_blocked_term"] += 1
        return found.text, False
    return None


async def browse_refusal(bot: LumaBot, interaction: discord.Interaction[LumaBot]) -> str | None:
    """Why this member may not browse the server's videos here, or None: the rules that hold for making one (a
    paused server, its channels, its role rule) and a member block, so that the history is no way around them."""
    assert interaction.guild_id is not None and interaction.channel is not None
    settings = await bot.guild_store.get(interaction.guild_id)
    refusal = access_refusal(
        settings,
        channel_id=interaction.channel.id,
        parent_id=parent_channel_id(interaction.channel),
        role_ids=member_roles(interaction.user),
        is_admin=interaction.permissions.manage_guild,
        age_restricted=age_restricted(interaction.channel),
    )
    if refusal:
        return refusal
    block = await bot.moderation.block_of(interaction.guild_id, interaction.user.id)
    return block_refusal(block) if block is not None else None


async def request_options(
    bot: LumaBot, guild_id: int, user_id: int, **chosen: Any
) -> tuple[GuildSettings, VideoOptions]:
    """The server's settings and the request's options, resolved the one way every path uses (what the member
    typed, their own defaults, the server's, the bot's). Both reads are from memory (no wait before the defer)."""
    settings = await bot.guild_store.get(guild_id)
    prefs = await bot.members.get(user_id)
    return settings, resolve_options(settings, bot.settings.default_aspect_ratio, prefs, **chosen)


async def _tell_once(bot: LumaBot, interaction: discord.Interaction[LumaBot], options: VideoOptions) -> None:
    """A default of the member's this server does not allow is said once (per member, server and run of the bot)."""
    if not options.private_refused or interaction.guild_id is None:
        return
    key = ("private", interaction.guild_id, interaction.user.id)
    if key in bot.services.told:  # type: ignore[union-attr]
        return
    bot.services.told.add(key)  # type: ignore[union-attr]
    with contextlib.suppress(discord.HTTPException):
        await interaction.followup.send(_(PRIVATE_REFUSED), ephemeral=True)


async def _refuse_after_defer(interaction: discord.Interaction[LumaBot], text: str) -> None:
    """Tell the member privately after a public defer. While the deferred "thinking…" message stands,
    Discord turns the first follow-up into an edit of it and ignores the ephemeral flag: so it is
    deleted first, or, if that fails, made into a neutral public line before the private answer."""
    try:
        await interaction.delete_original_response()
    except discord.NotFound:
        pass  # already gone: a follow-up is a new message
    except discord.HTTPException as exc:
        log.info("could not remove the deferred message (%s); neutralising it", exc.text)
        await interaction.edit_original_response(content=_(NOT_STARTED), embed=None, view=None)
    await interaction.followup.send(text, ephemeral=True)


async def start_from_interaction(
    bot: LumaBot,
    interaction: discord.Interaction[LumaBot],
    request: VideoRequest,
    options: VideoOptions,
    *,
    parent_video_id: str | None = None,
    settings: GuildSettings | None = None,
    uploads: Sequence[ImageFile] = (),
) -> None:
    """Refuse privately, or defer (well within Discord's 3 s; only the member sees it for a private video), reserve +
    persist, and submit. `uploads`: the frames the member attached to the command (Discord removes them after a
    while: they are kept)."""
    if (elsewhere := not_here(interaction)) is not None:  # a button or form from elsewhere: nothing is made there
        await reply_privately(interaction, elsewhere)
        return
    assert interaction.guild_id is not None and interaction.channel_id is not None
    assert interaction.channel is not None
    settings = settings or await bot.guild_store.get(interaction.guild_id)
    roles = member_roles(interaction.user)
    if await _refused(bot, interaction, settings, roles, request.prompt):
        return
    # Acknowledge first: Discord allows 3 s, and a busy database must not eat into them. The quota is
    # reserved right after; a refusal then removes the public "thinking…" and answers privately.
    callback = await interaction.response.defer(thinking=True, ephemeral=options.private)
    bot.metrics.ack_seconds.observe(max(0.0, (discord.utils.utcnow() - interaction.created_at).total_seconds()))
    progress_message_id = callback.message_id if callback is not None else None
    new = _new_job(interaction, request, roles, progress_message_id, parent_video_id, options)
    try:
        job = await bot.jobs.accept(new)
    except (QuotaExceeded, LineFull, BudgetSpent) as exc:
        await _refuse_after_defer(interaction, refusal_sentence(exc))
        return
    except Exception:
        # nothing was saved or charged; leave no public "thinking…" behind, then the error handler
        # tells the member privately
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
        raise
    for upload in uploads:
        try:
            await bot.frames.record(interaction.guild_id, upload.url, ephemeral=True, content_type=upload.content_type)
        except Exception:  # the job goes on with the Discord link; only a later Again could miss the copy
            log.exception("could not record an uploaded frame of %r", job)
    await bot.jobs.line_up(job)
    await _tell_once(bot, interaction, options)


async def _refused(
    bot: LumaBot, interaction: discord.Interaction[LumaBot], settings: GuildSettings, roles: list[int], prompt: str
) -> bool:
    """The checks that need nothing saved (channel, role, block, blocklist…): a refusal is told privately."""
    refusal = await request_refusal(
        bot,
        settings,
        user_id=interaction.user.id,
        channel=interaction.channel,
        roles=roles,
        is_admin=interaction.permissions.manage_guild,
        prompt=prompt,
    )
    if refusal:
        await reply_privately(interaction, refusal[0])
    return bool(refusal)


def _new_job(
    interaction: discord.Interaction[LumaBot],
    request: VideoRequest,
    roles: list[int],
    progress_message_id: int | None,
    parent_video_id: str | None,
    options: VideoOptions,
) -> NewJob:
    """The job a member's command asks for, with what its delivery needs of the interaction."""
    assert interaction.guild_id is not None and interaction.channel_id is not None
    return NewJob(
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        user_id=interaction.user.id,
        request=request,
        parent_video_id=parent_video_id,
        application_id=interaction.application_id,
        interaction_token=interaction.token,
        progress_message_id=progress_message_id,
        roles=tuple(roles),
        # the response may carry the mp4 up to Discord's limit for this interaction, if the bot may attach here
        attach_limit=interaction.filesize_limit if interaction.app_permissions.attach_files else 0,
        spoiler=options.spoiler,
        member_locale=member_locale(interaction),
        age_restricted=age_restricted(interaction.channel),
        private=options.private,
    )


async def answer_reply(bot: LumaBot, message: discord.Message, text: str, personal: bool = False) -> None:
    """Answer a member's plain message: as a reply; without Read Message History (a reply needs it) as a
    channel message mentioning them; else by DM; else only in the log. Gone after 30 s in a channel.
    A personal answer (a block and its reason) goes by DM first, and a channel only hears that one was sent."""
    mention = discord.AllowedMentions(users=[message.author], everyone=False, roles=False)
    if personal:
        try:
            await message.author.send(text)
            text = _("I can't start this; I sent you a DM saying why.")
        except discord.HTTPException as exc:
            log.info("could not DM a member (%s); answering in the channel without details", exc.text)
            text = _("I can't start videos for you in this server right now.")
    try:
        await message.reply(text, delete_after=30, mention_author=False)
        return
    except discord.HTTPException as exc:
        log.info("could not reply to a member's message (%s); posting in the channel", exc.text)
    try:
        said = _("{member} {text}").format(member=message.author.mention, text=text)
        await message.channel.send(said, delete_after=30, allowed_mentions=mention)
        return
    except discord.HTTPException as exc:
        log.info("could not post in the channel (%s); sending a DM", exc.text)
    try:
        await message.author.send(text)
    except discord.HTTPException as exc:
        log.warning("could not answer a member anywhere (%s): %s", exc.text, text)


async def start_from_reply(
    bot: LumaBot,
    message: discord.Message,
    request: VideoRequest,
    parent_video_id: str,
    settings: GuildSettings,
    options: VideoOptions,
) -> None:
    """A plain reply to a video: react at once, answer in the thread of replies (a private one: by DM)."""
    assert message.guild is not None
    roles = member_roles(message.author)
    perms = message.channel.permissions_for(message.author) if isinstance(message.author, discord.Member) else None
    refusal = await request_refusal(
        bot,
        settings,
        user_id=message.author.id,
        channel=message.channel,
        roles=roles,
        is_admin=bool(perms and perms.manage_guild),
        prompt=request.prompt,
    )
    if refusal:
        await answer_reply(bot, message, *refusal)
        return
    new = NewJob(
        guild_id=message.guild.id,
        channel_id=message.channel.id,
        user_id=message.author.id,
        request=request,
        parent_video_id=parent_video_id,
        reply_to_message_id=message.id,
        roles=tuple(roles),
        spoiler=options.spoiler,
        age_restricted=age_restricted(message.channel),
        private=options.private,
        member_locale=bot.languages.member(message.author.id, None),
    )
    try:
        job = await bot.jobs.accept(new)
    except (QuotaExceeded, LineFull, BudgetSpent) as exc:
        await answer_reply(bot, message, refusal_sentence(exc))
        return
    if not reach_in(bot, message.guild.id, message.channel.id).lacks("add_reactions", "read_message_history"):
        try:
            await message.add_reaction("⏳")
        except discord.HTTPException as exc:
            log.info("could not react to a reply: %s", exc)
    await bot.jobs.line_up(job)
