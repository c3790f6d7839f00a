"""What members see: embeds, the result message, and the persistent Extend button and its modal."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord

from bot.i18n import N_, _, duration, ngettext, sentences
from bot.luma import PROMPT_MAX, PROMPT_MIN, LumaError
from bot.luma.camera import CAMERA_MOVES, camera_label
from bot.media.links import Links
from bot.requests.history import PAGE_SIZE
from bot.store import Job, Video

__all__ = [
    "CANCEL_BUTTON_TEMPLATE",
    "EXTEND_BUTTON_PREFIX",
    "EXTEND_BUTTON_TEMPLATE",
    "ExtendModal",
    "Rendered",
    "extend_button",
    "failure_message",
    "modal_values",
    "progress_message",
    "result_message",
    "shorten",
]

API_LINKS = Links()  # no PUBLIC_BASE_URL: the message that carries the file, else the API's link
COLOR_OK = 0x7C3AED
COLOR_WORKING = 0xF59E0B
COLOR_FAILED = 0xDC2626
DESCRIPTION_BUDGET = 3000  # well under 4096, so the whole embed stays under Discord's 6000
LINK_MAX = 512
EMBED_DESCRIPTION_MAX = 4096  # Discord's limit
HISTORY_BUDGET = 4000  # the history page's description, measured as rendered


def shorten(text: str, limit: int) -> str:
    """Fit `text` into `limit` characters, cutting at a word where possible and marking the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if text[limit - 1] != " " and space > limit * 0.6:  # the cut splits a word: drop its start
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


def plain(text: str, limit: int) -> str:
    """A member's text (a prompt) shown in the bot's own messages: shortened, with Markdown escaped so
    that `[Free Nitro](https://evil.example)` stays text and never becomes a live masked link."""
    budget = limit
    while True:
        escaped = discord.utils.escape_markdown(shorten(text, budget))
        if len(escaped) <= limit or budget <= 1:
            return escaped[:limit]
        budget -= max(1, len(escaped) - limit)


def link_text(text: str, limit: int) -> str:
    """A member's text as the label of the bot's own masked link: escaped, and no brackets to break out."""
    return plain(text, limit).replace("[", "(").replace("]", ")")


def inert(text: str, limit: int) -> str:
    """Text someone else chose (a server's name, a link a member gave) shown exactly as text: inside inline code,
    where Discord makes no link, mention or Markdown of it (its own backticks swapped for a look-alike)."""
    return "`" + (shorten(text, limit).replace("`", "ˋ") or " ") + "`"


def timestamp(moment: datetime | None, style: str = "R") -> str:
    """A Discord timestamp: every member sees it in their own time zone, kept live by the client."""
    return f"<t:{int(moment.timestamp())}:{style}>" if moment else _("just now")


@dataclass(slots=True)
class Rendered:
    """One message as keyword arguments for send/edit."""

    content: str | None
    embed: discord.Embed | None
    view: discord.ui.View | None = None

    def kwargs(self) -> dict[str, Any]:
        return {"content": self.content, "embed": self.embed, "view": self.view}

    def as_text(self) -> Rendered:
        """The same message without its embed, for a channel where the bot lacks Embed Links (Discord would drop the
        embed silently): the embed's title, text and fields become lines of the content."""
        lines = [self.content] if self.content else []
        if (embed := self.embed) is not None:
            lines += [f"**{embed.title}**"] if embed.title else []
            lines += [embed.description] if embed.description else []
            lines += [_("{field}: {value}").format(field=field.name, value=field.value) for field in embed.fields]
        text = "\n".join(lines)
        return Rendered(content=text if len(text) <= 2000 else text[:1999] + "…", embed=None, view=self.view)


def _prompt_block(prompt: str) -> str:
    return f">>> {plain(prompt, DESCRIPTION_BUDGET)}"


def about(seconds: float) -> str:
    """'about 4 minutes', 'under a minute' (in the current language)."""
    if seconds < 60:
        return _("under a minute")
    return _("about {duration}").format(duration=duration(round(seconds / 60) * 60))


def progress_message(job: Job, now: datetime, waiting: tuple[int, float] | None = None) -> Rendered:
    """ "Generating…" while Luma renders; while the job waits for a slot, its place and a rough wait, with
    a Cancel button (nothing is charged for a job that leaves the line)."""
    working = _("⏳ Extending your video…") if job.action == "extend" else _("⏳ Generating your video…")
    title = _("🕒 Waiting for a free slot…") if waiting is not None else working
    embed = discord.Embed(title=title, description=_prompt_block(job.request.prompt), color=COLOR_WORKING)
    started = job.created_at or now
    elapsed = max(0, int((now - started).total_seconds()))
    if waiting is not None:
        ahead, wait = waiting
        state = _("Waiting for a free slot · {ahead} ahead · {wait}").format(ahead=ahead, wait=about(wait))
    else:
        state = _("Luma is rendering · {minutes}m {seconds}s elapsed").format(
            minutes=elapsed // 60, seconds=f"{elapsed % 60:02d}"
        )
    embed.add_field(name=_("Status"), value=state, inline=True)
    embed.add_field(name=_("Started"), value=timestamp(started), inline=True)
    if job.parent_video_id or job.request.video_id:
        embed.add_field(name=_("Continuing"), value=f"`{job.parent_video_id or job.request.video_id}`", inline=True)
    if move := camera_label(job.request.camera):
        embed.add_field(name=_("Camera move"), value=move, inline=True)
    if waiting is not None:
        embed.set_footer(text=_("Luma takes a few videos at a time; yours starts when a slot frees up."))
        view = discord.ui.View(timeout=None)
        view.add_item(cancel_button(job.id))
        return Rendered(content=None, embed=embed, view=view)
    embed.set_footer(text=_("Videos usually take 1–2 minutes, sometimes up to 5. You'll be notified here."))
    return Rendered(content=None, embed=embed, view=None)


def result_message(
    video: Video,
    *,
    mention: bool = False,
    attached: bool = False,
    links: Links = API_LINKS,
    spoiler: bool = False,
    deletable: bool = True,
) -> Rendered:
    """The finished video and an embed. Attached (the mp4 travels with the message): Discord plays the file,
    and no link is shown beside it. Else the link in the content, where Discord shows its player. One
    message, one player. Behind a spoiler: the file is marked (by the sender), the link and the prompt are
    wrapped, and no preview image is shown."""
    link = links.lasting(video)
    title = _("🎬 Extended video") if video.action == "extend" else _("🎬 Your Luma video")
    description = f">>> ||{plain(video.prompt, DESCRIPTION_BUDGET)}||" if spoiler else _prompt_block(video.prompt)
    embed = discord.Embed(title=title, description=description, color=COLOR_OK)
    if len(link) <= 2048:
        embed.url = link
    thumbnail = links.thumbnail(video)
    if thumbnail and not attached and not spoiler:
        embed.set_image(url=thumbnail)
    if video.width and video.height:
        embed.add_field(name=_("Size"), value=f"{video.width}×{video.height}", inline=True)
    embed.add_field(name=_("Requested by"), value=f"<@{video.user_id}>", inline=True)
    if move := camera_label(video.camera):
        embed.add_field(name=_("Camera move"), value=move, inline=True)
    if video.private:
        embed.add_field(name=_("Private"), value=_("🔒 Only you can see this video."), inline=True)
    embed.add_field(name=_("Video ID"), value=f"`{video.video_id}`", inline=False)
    if video.parent_video_id:
        embed.add_field(name=_("Extended from"), value=f"`{video.parent_video_id}`", inline=False)
    elif video.parent_video_url:
        embed.add_field(name=_("Extended from"), value=shorten(video.parent_video_url, 1000), inline=False)
    embed.set_footer(text=_("Reply to this message with a prompt, or press Extend, to continue it."))
    view = discord.ui.View(timeout=None)
    view.add_item(extend_button(video.video_id))
    view.add_item(again_button(video.video_id))
    view.add_item(remix_button(video.video_id))
    if not attached and len(link) <= LINK_MAX:
        view.add_item(discord.ui.Button(label=_("Open video"), style=discord.ButtonStyle.link, url=link))
    if deletable:
        view.add_item(delete_button(video.video_id))
    if attached:
        return Rendered(content=f"<@{video.user_id}>" if mention else None, embed=embed, view=view)
    shown = f"||{link}||" if spoiler else link
    content = f"<@{video.user_id}> {shown}" if mention else shown
    return Rendered(content=shorten(content, 2000) if len(content) > 2000 else content, embed=embed, view=view)


def failure_message(job: Job, *, mention: bool = False) -> Rendered:
    reason = failure_reason(job.error_kind, job.error_message)
    embed = discord.Embed(title=_("❌ The video could not be made"), description=reason, color=COLOR_FAILED)
    embed.add_field(name=_("Prompt"), value=plain(job.request.prompt, 1000), inline=False)
    embed.set_footer(text=_("You were not charged for this video."))
    return Rendered(content=f"<@{job.user_id}>" if mention else None, embed=embed, view=None)


_BY_KIND = {cls.kind: cls for cls in LumaError.__subclasses__()}


def failure_reason(kind: str | None, message: str | None) -> str:
    """A member-facing sentence for a failure kind; the API's own words only where they help the member."""
    cls = _BY_KIND.get(kind or "", LumaError)
    text = _(cls.member_message)
    if kind in ("bad_request", "task_failed") and message:
        text = _("{reason}: {api_message}").format(reason=text.rstrip(".。"), api_message=plain(message, 300))
    return text


# --- the Extend button and its modal ----------------------------------------------------------------
# The button is drawn here; the cog owns what pressing it does (cogs/luma/_views.py), matched by this
# custom_id after any restart.

CANCEL_BUTTON_TEMPLATE = r"luma:cancel:(?P<job_id>[\w-]{8,40})"


def cancel_button(job_id: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=_("Cancel"), style=discord.ButtonStyle.secondary, custom_id=f"luma:cancel:{job_id}")


EXTEND_BUTTON_PREFIX = "luma:extend:"
EXTEND_BUTTON_TEMPLATE = r"luma:extend:(?P<video_id>[\w:.-]{1,80})"


def extend_button(video_id: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=_("Extend"), style=discord.ButtonStyle.primary, emoji="➕", custom_id=f"{EXTEND_BUTTON_PREFIX}{video_id}"
    )


AGAIN_BUTTON_TEMPLATE = r"luma:again:(?P<video_id>[\w:.-]{1,80})"
AGAIN_FORM_TEMPLATE = r"luma:again-form:(?P<video_id>[\w:.-]{1,80})"
REMIX_BUTTON_TEMPLATE = r"luma:remix:(?P<video_id>[\w:.-]{1,80})"
AGAIN_MODAL_PREFIX = "luma:again-modal:"
DELETE_BUTTON_TEMPLATE = r"luma:delete:(?P<video_id>[\w:.-]{1,80})"


def again_button(video_id: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=_("Again"), style=discord.ButtonStyle.secondary, emoji="🔁", custom_id=f"luma:again:{video_id}"
    )


def again_form_button(video_id: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=_("Open the form"), style=discord.ButtonStyle.primary, emoji="📝", custom_id=f"luma:again-form:{video_id}"
    )


def remix_button(video_id: str) -> discord.ui.Button[Any]:
    """Beside Again: the form with the prompt and the camera move filled in, to change a word and rerun."""
    return discord.ui.Button(
        label=_("Remix"), style=discord.ButtonStyle.secondary, emoji="✏️", custom_id=f"luma:remix:{video_id}"
    )


def delete_button(video_id: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=_("Delete"), style=discord.ButtonStyle.secondary, emoji="🗑️", custom_id=f"luma:delete:{video_id}"
    )


EXTEND_MODAL_PREFIX = "luma:extend-modal:"


class ExtendModal(discord.ui.Modal):
    """Asks for the prompt (prefilled with the original) and, optionally, an end-frame link.

    Only a form: its submission is handled by custom_id (which carries the video id) in the cog, so
    a form opened before a restart still works after it.
    """

    def __init__(self, video: Video) -> None:
        super().__init__(title=_("Extend this video"), timeout=900, custom_id=f"{EXTEND_MODAL_PREFIX}{video.video_id}")
        self.add_item(_prompt_input(_("What happens next?"), video.prompt))
        self.add_item(_frame_input(_("End frame image link (optional)"), "end_image_url", None))
        self.add_item(camera_input(video.camera))


NO_CAMERA = "none"  # the camera menu's "no move" (a custom_id value; the stored move is then None)


def camera_input(current: str | None) -> discord.ui.Label[Any]:
    """A form's camera menu, with the current move chosen (components.mdx: a string select inside a label)."""
    options = [discord.SelectOption(label=_("No camera move"), value=NO_CAMERA, default=current is None)]
    options += [
        discord.SelectOption(label=_(label), value=key, default=key == current)
        for key, (label, _phrase) in CAMERA_MOVES.items()
    ]
    menu: discord.ui.Select[Any] = discord.ui.Select(custom_id="camera", options=options, min_values=1, max_values=1)
    return discord.ui.Label(text=_("Camera move"), component=menu)


def _prompt_input(label: str, default: str | None = None) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        label=label,
        style=discord.TextStyle.paragraph,
        default=shorten(default, 4000) if default else None,
        min_length=PROMPT_MIN,
        max_length=min(PROMPT_MAX, 4000),
        custom_id="prompt",
    )


def _frame_input(label: str, custom_id: str, default: str | None) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        label=label,
        required=False,
        default=default if default and len(default) <= 1000 else None,
        placeholder=_("https://…/frame.png (leave empty for none)"),
        max_length=1000,
        custom_id=custom_id,
    )


class AgainModal(discord.ui.Modal):
    """Remix (and Again when a frame's link is gone): the prompt and the camera move filled in, and the frame links
    that still work, to change a word and run it again. Handled by custom_id in the cog, like the Extend form."""

    def __init__(self, video_id: str, request: Any, working: dict[str, str | None]) -> None:
        super().__init__(title=_("Remix"), timeout=900, custom_id=f"{AGAIN_MODAL_PREFIX}{video_id}")
        self.add_item(_prompt_input(_("Prompt"), request.prompt))
        if request.action == "generate":
            start = working.get("start_image_url")
            self.add_item(_frame_input(_("Start frame image link"), "start_image_url", start))
        self.add_item(_frame_input(_("End frame image link"), "end_image_url", working.get("end_image_url")))
        self.add_item(camera_input(request.camera))


ANIMATE_MODAL_PREFIX = "luma:animate-modal:"
ANIMATE_MODAL_TEMPLATE = re.compile(rf"{ANIMATE_MODAL_PREFIX}(?P<frame_id>[\w-]{{16,40}})")


class AnimateModal(discord.ui.Modal):
    """Apps › Animate image: what should happen. The picture was recorded when the menu was used (bot/media/frames.py);
    the form carries its id, so it survives a restart."""

    def __init__(self, frame_id: str) -> None:
        super().__init__(title=_("Animate this image"), timeout=900, custom_id=f"{ANIMATE_MODAL_PREFIX}{frame_id}")
        self.add_item(_prompt_input(_("What should happen?")))
        self.add_item(camera_input(None))


def modal_values(data: dict[str, Any]) -> dict[str, str]:
    """custom_id -> value of a submitted modal's text inputs and menus (action rows or labels); the camera menu's
    "no move" is ""."""
    values: dict[str, str] = {}
    for row in data.get("components") or []:
        for child in row.get("components") or [row.get("component") or {}]:
            if not child.get("custom_id"):
                continue
            if "values" in child:  # a select: its one chosen value
                chosen = (child.get("values") or [""])[0]
                values[child["custom_id"]] = "" if chosen == NO_CAMERA else chosen
            else:
                values[child["custom_id"]] = child.get("value") or ""
    return values


# --- history ---------------------------------------------------------------------------------------


def history_embed(
    videos: list[Video], *, page: int, pages: int, total: int, member_id: int | None, links: Links = API_LINKS
) -> discord.Embed:
    scope = _("<@{member}>'s videos").format(member=member_id) if member_id else _("This server's videos")
    if not videos:
        return discord.Embed(
            title=_("📼 Video history"),
            description=_("{scope}: none yet. Try `/luma generate`!").format(scope=scope),
            color=COLOR_OK,
        )

    def line(index: int, video: Video, linked: bool) -> str:
        prompt = link_text(video.prompt, 80)
        label = f"[{prompt}]({links.lasting(video)})" if linked else prompt
        label = f"||{label}||" if video.spoiler else label  # behind a spoiler where it was made, here too
        label = f"🔒 {label}" if video.private else label  # seen here by its member and Manage Server only
        lineage = " ↪ " + _("extension") if video.parent_video_id or video.parent_video_url else ""
        return f"**{index}.** {label}{lineage}\n<@{video.user_id}> · {timestamp(video.created_at)} · `{video.video_id}`"

    numbered = list(enumerate(videos, start=(page - 1) * PAGE_SIZE + 1))
    linked = {index for index, video in numbered if len(links.lasting(video)) <= LINK_MAX}
    head = f"{scope}\n\n"

    def render() -> str:
        return head + "\n".join(line(index, video, index in linked) for index, video in numbered)

    # measure the page as rendered: long links (signed CDN URLs run past 200 characters) are dropped,
    # longest first, until it fits Discord's 4,096; the video id on each line still leads to it
    by_length = sorted(((len(links.lasting(v)), i) for i, v in numbered if i in linked), reverse=True)
    description = render()
    while len(description) > HISTORY_BUDGET and by_length:
        linked.discard(by_length.pop(0)[1])
        description = render()
    embed = discord.Embed(title=_("📼 Video history"), description=description[:EMBED_DESCRIPTION_MAX], color=COLOR_OK)
    videos_count = ngettext("{n} video", "{n} videos", total).format(n=total)
    embed.set_footer(
        text=_("Page {page} of {pages} · {videos} · /luma video <id> shows one").format(
            page=page, pages=pages, videos=videos_count
        )
    )
    return embed


class HistoryView(discord.ui.View):
    """Previous/next buttons that only the member who asked can press; disabled when it times out."""

    def __init__(
        self,
        owner_id: int,
        page: int,
        pages: int,
        load: Callable[[int], Awaitable[tuple[discord.Embed, int, int]]],
        *,
        timeout: float = 180,
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.page = page
        self.pages = pages
        self.load = load
        self.message: discord.InteractionMessage | None = None
        self.previous.label, self.next.label = _("◀ Newer"), _("Older ▶")  # the decorators' are English
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 1
        self.next.disabled = self.page >= self.pages

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                _("Only the member who asked can turn these pages. Use `/luma history` for your own."), ephemeral=True
            )
            return False
        return True

    async def _turn(self, interaction: discord.Interaction[Any], delta: int) -> None:
        embed, self.page, self.pages = await self.load(self.page + delta)
        self._sync_buttons()
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label=N_("◀ Newer"), style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label=N_("Older ▶"), style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, +1)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                pass  # the message is gone or the token expired: nothing to tidy


def video_page(video: Video, parent: Video | None, children: list[Video], links: Links = API_LINKS) -> Rendered:
    """One video's page: the result with its lasting link, its parent and its extensions; each behind a spoiler
    where it was made behind one."""
    rendered = result_message(video, links=links, deletable=False, spoiler=video.spoiler)

    def entry(other: Video, budget: int) -> str:
        text = f"[{link_text(other.prompt, budget)}]({links.lasting(other)})"
        return f"{'||' + text + '||' if other.spoiler else text} · `{other.video_id}`"

    embed = rendered.embed
    assert embed is not None
    if parent is not None:
        embed.set_field_at(
            next(i for i, f in enumerate(embed.fields) if f.name == _("Extended from")),
            name=_("Extended from"),
            value=entry(parent, 60)[:1024],
            inline=False,
        )
    if children:
        lines = [entry(child, 50) for child in children[:8]]
        more = "\n" + _("…and {n} more").format(n=len(children) - 8) if len(children) > 8 else ""
        title = _("Extensions ({n})").format(n=len(children))
        embed.add_field(name=title, value=("\n".join(lines) + more)[:1024], inline=False)
    if video.created_at:
        embed.add_field(name=_("Made"), value=timestamp(video.created_at), inline=True)
    return rendered


# --- quotas and admin ------------------------------------------------------------------------------


_VERBS = {
    "used": N_("{used} used · no limit"),
    "rendering": N_("{used} rendering · no limit"),
    "waiting": N_("{used} waiting · no limit"),
}
_VERBS_OF = {
    "used": N_("{used} of {value} used · **{left} left**"),
    "rendering": N_("{used} of {value} rendering · **{left} left**"),
    "waiting": N_("{used} of {value} waiting · **{left} left**"),
}


def _usage(status: Any, limit: str, used: int, verb: str = "used") -> str:
    value = getattr(status.limits, limit)
    if value is None:
        return _(_VERBS[verb]).format(used=used)
    if value == 0:
        return _("closed")
    return _(_VERBS_OF[verb]).format(used=used, value=value, left=status.left(limit, used))


def quota_embed(status: Any, line: Any = None) -> discord.Embed:
    """A member's view of the quotas: theirs and the server's, with when each resets; with `line` (a
    QueueView), what renders and what waits."""
    usage = status.usage
    embed = discord.Embed(title=_("🎟️ Your video quota"), color=COLOR_OK)

    def resets(moment: datetime) -> str:
        return _("resets {when}").format(when=timestamp(moment))

    embed.add_field(
        name=_("You, today"),
        value=f"{_usage(status, 'member_daily', usage.member_day)}\n{resets(status.day_resets)}",
        inline=False,
    )
    if status.limits.member_monthly is not None:
        month = f"{_usage(status, 'member_monthly', usage.member_month)}\n{resets(status.month_resets)}"
        embed.add_field(name=_("You, this month"), value=month, inline=False)
    embed.add_field(
        name=_("This server, today"),
        value=f"{_usage(status, 'guild_daily', usage.guild_day)}\n{resets(status.day_resets)}",
        inline=True,
    )
    embed.add_field(
        name=_("This server, this month"),
        value=f"{_usage(status, 'guild_monthly', usage.guild_month)}\n{resets(status.month_resets)}",
        inline=True,
    )
    mine_waiting = len(line.mine) if line is not None else 0
    guild_waiting = line.guild_waiting if line is not None else 0
    running = [
        _("yours: {rendering} · {waiting}").format(
            rendering=_usage(status, "member_concurrent", usage.member_held - mine_waiting, "rendering"),
            waiting=_usage(status, "member_waiting", mine_waiting, "waiting"),
        ),
        _("server: {rendering} · {waiting}").format(
            rendering=_usage(status, "guild_concurrent", usage.guild_held - guild_waiting, "rendering"),
            waiting=_usage(status, "guild_waiting", guild_waiting, "waiting"),
        ),
    ]
    embed.add_field(name=_("In progress now"), value="\n".join(running), inline=False)
    if status.cooldown_until is not None:
        embed.add_field(
            name=_("Cooldown"),
            value=_("you can start another {when}").format(when=timestamp(status.cooldown_until)),
            inline=False,
        )
    embed.set_footer(text=_("Failed videos are refunded. Days are UTC days; months are calendar months."))
    return embed


def queue_embed(view: Any) -> discord.Embed:
    """/luma queue: the bot-wide slots, this server's share, and the member's own places in line."""
    embed = discord.Embed(title=_("🕒 The line for Luma"), color=COLOR_OK)
    slots = _("{used} of {cap} in use").format(used=view.rendering, cap=view.cap)
    if view.cap < view.max_in_flight:
        slots += _(" (lowered from {usual} while Luma is busy)").format(usual=view.max_in_flight)
    waiting = _("{n} waiting").format(n=view.waiting)
    embed.add_field(name=_("Slots (the whole bot)"), value=f"{slots} · {waiting}", inline=False)
    embed.add_field(
        name=_("This server"),
        value=_("{rendering} rendering · {waiting} waiting").format(
            rendering=view.guild_rendering, waiting=view.guild_waiting
        ),
        inline=False,
    )
    if view.mine:
        lines = [
            f"**{i}.** {plain(prompt, 60)} · " + _("{ahead} ahead · {wait}").format(ahead=ahead, wait=about(wait))
            for i, (prompt, ahead, wait) in enumerate(view.mine[:10], start=1)
        ]
        embed.add_field(name=_("Yours, waiting"), value="\n".join(lines)[:1024], inline=False)
    else:
        embed.add_field(name=_("Yours, waiting"), value=_("none"), inline=False)
    embed.set_footer(text=_("Free slots go round the servers in turn, then round their members, oldest request first."))
    return embed


def block_refusal(block: Any) -> str:
    """What a blocked member is told (privately): when the block ends, and the moderators' reason."""
    if block.until:
        text = _("You can't make videos in this server until {when} ({relative}).").format(
            when=timestamp(block.until, "f"), relative=timestamp(block.until)
        )
    else:
        text = _("You can't make videos in this server until a moderator lifts the block.")
    if block.reason:
        text = sentences(text, _("Reason: {reason}").format(reason=plain(block.reason, 300)))
    return text
