"""The web gallery: a server's videos as pages, for whoever holds a member's signed link. No Discord here: the names
of members and servers come through `People`, the server's language through `language`.

GET /gallery/{pass}                     the grid: newest (or most starred) first, paged; ?q= words of the prompt,
                                        ?member= one member's, ?sort=stars
GET /gallery/{pass}/video/{video_id}    one video with its whole lineage (what it extends, what extends it)
GET /gallery-static/{name}              the page's own stylesheet

Every page is rendered on the server from templates (autoescaped), uses no script at all, and is sent with a
Content-Security-Policy that names only the hosts the page plays from; no referrer leaves it (the pass is in its
address). What a member sees is the store's one rule (bot/store/videos.py `_SHOWN`): no deleted video, private ones
only their own, age-restricted channels' only where the server allows it in the gallery.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, Protocol
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from bot.i18n import _, catalog_for, current, ngettext, speaking
from bot.media import Links
from bot.store import GuildStore, MediaStore, Video, VideoStore, Viewer
from bot.web.headers import page_policy

from .cards import make_cards, origin
from .passes import Pass, Passes, PassRefused

__all__ = ["Gallery", "People"]

log = logging.getLogger(__name__)

PER_PAGE = 24
MAX_WORDS = 8
MAX_PAGE = 400  # 9,600 videos deep: past that, search
LINEAGE_MAX = 50  # videos in one chain shown (ancestors, then descendants)
STATIC = {"gallery.css": "text/css; charset=utf-8"}  # i18n: not text (a content type)


class People(Protocol):
    """Names, as Discord has them (bot/delivery/people.py)."""

    async def names(self, guild_id: int, user_ids: set[int]) -> dict[int, str]: ...

    def server_name(self, guild_id: int) -> str | None: ...


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.gallery", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(_=_, ngettext=ngettext)
    return env


class Gallery:
    def __init__(
        self,
        passes: Passes,
        videos: VideoStore,
        media: MediaStore,
        guilds: GuildStore,
        people: People,
        language: Callable[[int], Awaitable[str | None]],
        links: Links,
        *,
        media_origins: tuple[str, ...] = (),
    ) -> None:
        self.passes = passes
        self.videos = videos
        self.media = media
        self.guilds = guilds
        self.people = people
        self.language = language
        self.links = links
        self.media_origins = media_origins  # where served copies may redirect (a bucket's presigned links)
        self.env = _environment()
        self.css = resources.files("bot.gallery").joinpath("static", "gallery.css").read_bytes()

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/gallery/{token}", self.grid)
        app.router.add_get("/gallery/{token}/video/{video_id}", self.lineage)
        app.router.add_get("/gallery-static/{name}", self.static)

    def link(self, token: str) -> str:
        return f"{(self.links.base_url or '').rstrip('/')}/gallery/{token}"

    # --- the pass --------------------------------------------------------------------------------------------

    async def _admit(self, request: web.Request) -> tuple[Pass, Viewer] | web.Response:
        """The member the link was signed for, and what they may see; else the page that says why not."""
        try:
            held = self.passes.read(request.match_info["token"])
        except PassRefused as refused:
            return await self._refused(request, refused.reason, None)
        settings = await self.guilds.get(held.guild_id)
        if held.epoch != settings.gallery_epoch:
            return await self._refused(request, "revoked", held.guild_id)
        if self.people.server_name(held.guild_id) is None:
            return await self._refused(request, "gone", held.guild_id)
        return held, Viewer(held.user_id, manager=False, age_ok=settings.gallery_age_restricted)

    async def _refused(self, request: web.Request, reason: str, guild_id: int | None) -> web.Response:
        """Why not, in the server's language when the link names one, else the browser's."""
        language = await self.language(guild_id) if guild_id is not None else _accepted(request)
        with speaking(language):
            html = self.env.get_template("refused.html").render(reason=reason, **self._common())
        return self._page(html, status=403 if reason != "gone" else 404)

    # --- pages --------------------------------------------------------------------------------------------------

    async def grid(self, request: web.Request) -> web.StreamResponse:
        admitted = await self._admit(request)
        if isinstance(admitted, web.Response):
            return admitted
        held, viewer = admitted
        query = request.rel_url.query
        words = query.get("q", "").split()[:MAX_WORDS]
        words = [w[:40] for w in words]
        member = _number(query.get("member"))
        by_stars = query.get("sort") == "stars"
        page = min(max(_number(query.get("page")) or 1, 1), MAX_PAGE)
        videos = await self.videos.recent(
            held.guild_id,
            viewer,
            user_id=member,
            words=words,
            by_stars=by_stars,
            limit=PER_PAGE + 1,
            offset=(page - 1) * PER_PAGE,
        )
        more, videos = len(videos) > PER_PAGE, videos[:PER_PAGE]
        token = request.match_info["token"]
        typed = " ".join(words)  # i18n: not text (the member's own words, back in the search box)
        state = {"q": typed, "member": member, "sort": "stars" if by_stars else "new"}
        return await self._render(
            held,
            viewer,
            token,
            "grid.html",
            videos,
            names_also=set() if member is None else {member},
            page=page,
            state=state,
            pages=_pager(self.link(token), state, page, more),
        )

    async def lineage(self, request: web.Request) -> web.StreamResponse:
        admitted = await self._admit(request)
        if isinstance(admitted, web.Response):
            return admitted
        held, viewer = admitted
        video = await self.videos.shown(held.guild_id, request.match_info["video_id"][:100], viewer)
        if video is None:
            return await self._refused(request, "missing", held.guild_id)
        chain = await self._chain(held.guild_id, video, viewer)
        token = request.match_info["token"]
        return await self._render(held, viewer, token, "lineage.html", chain, focus=video.video_id)

    async def _chain(self, guild_id: int, video: Video, viewer: Viewer) -> list[Video]:
        """What it extends (oldest first), itself, then what extends it (breadth first), at most LINEAGE_MAX."""
        before: list[Video] = []
        parent = video.parent_video_id
        while parent and len(before) < LINEAGE_MAX // 2:
            found = await self.videos.shown(guild_id, parent, viewer)
            if found is None:
                break
            before.insert(0, found)
            parent = found.parent_video_id
        after: list[Video] = []
        waiting = [video.video_id]
        while waiting and len(before) + 1 + len(after) < LINEAGE_MAX:
            children = await self.videos.children(guild_id, waiting.pop(0), viewer)
            after += children
            waiting += [c.video_id for c in children]
        return [*before, video, *after][:LINEAGE_MAX]

    async def _render(
        self,
        held: Pass,
        viewer: Viewer,
        token: str,
        template: str,
        videos: list[Video],
        names_also: set[int] = frozenset(),
        **more: Any,
    ) -> web.Response:
        ids = [v.video_id for v in videos]
        kept = await self.media.kept_among(ids)
        extended = await self.videos.extended(held.guild_id, ids, viewer)  # a Lineage link only to what they may see
        names = await self.people.names(held.guild_id, {v.user_id for v in videos} | {held.user_id} | set(names_also))
        cards = make_cards(videos, kept, names, self.links, extended)
        with speaking(await self.language(held.guild_id)):
            html = self.env.get_template(template).render(
                cards=cards,
                names=names,
                me=held.user_id,
                server=self.people.server_name(held.guild_id) or "",
                expires=held.expires.isoformat(timespec="minutes"),
                home=self.link(token),
                **self._common(),
                **more,
            )
        hosts = {origin(c.src) for c in cards} | {origin(c.poster) for c in cards}
        return self._page(html, media=hosts)

    def _common(self) -> dict[str, Any]:
        base = (self.links.base_url or "").rstrip("/")
        return {"lang": _html_lang(), "css": f"{base}/gallery-static/gallery.css"}

    def _page(self, html: str, *, status: int = 200, media: set[str | None] = frozenset()) -> web.Response:
        own = origin(self.links.base_url)
        headers = {
            "Content-Security-Policy": page_policy(own, {h for h in (own, *media, *self.media_origins) if h}),
            "Referrer-Policy": "no-referrer",  # the pass is in the address
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
        return web.Response(text=html, content_type="text/html", charset="utf-8", status=status, headers=headers)

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}  # i18n: not text
        return web.Response(body=self.css, headers={"Content-Type": STATIC[name], **headers})


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 21 else None


def _pager(home: str, state: dict[str, Any], page: int, more: bool) -> dict[str, str | None]:
    def at(n: int) -> str:
        params = {k: v for k, v in (("q", state["q"]), ("member", state["member"]), ("sort", state["sort"])) if v}
        if params.get("sort") == "new":
            params.pop("sort")
        if n > 1:
            params["page"] = n
        return home + ("?" + urlencode(params) if params else "")

    return {"newer": at(page - 1) if page > 1 else None, "older": at(page + 1) if more else None}


def _html_lang() -> str:
    """The page's language tag: the catalog's name the other way round (zh_CN → zh-CN; the source, en)."""
    return current().replace("_", "-")


def _accepted(request: web.Request) -> str | None:
    """The browser's language, for a page that knows no server (a damaged link)."""
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip()
        if tag and catalog_for(tag) != catalog_for(None):
            return tag
    return None
