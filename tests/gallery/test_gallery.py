"""The web gallery (#23) in a real browser: the link a member got from /luma gallery, opened in Debian's Chromium
against the running bot; thumbnails, a video that plays, search, member and star order, a lineage, a phone, and
links that are refused (expired, changed, revoked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.store import Video

from ..harness import World
from ..helpers import SAMPLE, admin, button, eventually, extend, gallery_link, make_video
from .browser import PageWatch, chromium

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


async def prompts(page: Any) -> list[str]:
    return [t.strip() for t in await page.locator("article .prompt").all_inner_texts()]


async def test_a_member_browses_plays_searches_and_is_refused_a_bad_link(tmp_path: Path, both_shelves: str) -> None:
    async with World(tmp_path, callbacks=True) as world:
        _, fox = await make_video(world, "a red fox in fresh snow")
        await extend(world, fox, "the fox runs into the forest")
        whale, _ = await make_video(world, "a blue whale under the ice", user=world.other_member)
        await make_video(world, "my secret diary page", private=True)
        await world.discord.react(int(whale["id"]), world.admin)  # one star: first by stars
        link = await gallery_link(world)

        async with chromium() as browser:
            page = await browser.new_page()
            watch = PageWatch(page)
            await page.goto(link)
            assert await page.title() == "Creators: gallery"
            assert await prompts(page) == [
                "my secret diary page",
                "a blue whale under the ice",
                "the fox runs into the forest",
                "a red fox in fresh snow",
            ], "newest first, the member's own private one too"
            posters = await page.locator("article video").evaluate_all("vs => vs.map(v => v.poster)")
            assert all(p.endswith(".jpg") for p in posters)
            await eventually(lambda: watch.loaded("image/jpeg").count(200) >= 4, what="the thumbnails loaded")

            first = page.locator("article video").nth(1)
            await first.focus()
            await page.keyboard.press("Space")  # the player's own control: play
            await eventually(lambda: first.evaluate("v => v.currentTime > 0.3"), what="the video played")
            assert await first.evaluate("v => v.error === null && v.duration > 0.9")
            assert 206 in watch.loaded("video/mp4"), "played by Range from the kept copy (the disk, or the bucket)"

            await page.fill("input[type=search]", "fox")
            await page.press("input[type=search]", "Enter")
            await page.wait_for_url("**q=fox**")
            assert await prompts(page) == ["the fox runs into the forest", "a red fox in fresh snow"]

            await page.select_option("select[name=sort]", "stars")
            await page.fill("input[type=search]", "")
            await page.click("button[type=submit]")
            await page.wait_for_url("**sort=stars**")
            assert (await prompts(page))[0] == "a blue whale under the ice"
            assert await page.locator("article").first.locator(".stars").inner_text() == "⭐ 1"

            await page.get_by_role("link", name="Only mine").click()
            await page.wait_for_url("**member=**")
            assert "a blue whale under the ice" not in await prompts(page)

            await page.goto(link)
            fox_card = page.locator("article", has_text="a red fox in fresh snow")
            await fox_card.get_by_role("link", name="Lineage").click()
            await page.wait_for_url("**/video/**")
            assert await prompts(page) == ["a red fox in fresh snow", "the fox runs into the forest"]
            assert watch.refused == [], "nothing the page used was refused by its own policy"

            # someone else's link never shows the member's private video
            theirs = await gallery_link(world, world.other_member)
            await page.goto(theirs)
            assert "my secret diary page" not in await prompts(page)

            tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
            answer = await page.goto(tampered)
            assert answer is not None and answer.status == 403
            assert "It is not a link the bot gave, or it was changed" in await page.inner_text("main")

            world.clock.advance(25 * 3600)
            answer = await page.goto(link)
            assert answer is not None and answer.status == 403
            assert "It has expired" in await page.inner_text("main")


async def test_revoked_links_age_restricted_videos_the_servers_language_and_a_phone(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        world.discord.set_age_restricted(world.other_channel)
        await world.discord.channel_updated(world.other_channel)
        _, lake = await make_video(world, "a calm lake at dawn")
        await world.generate("a moody night club", channel=world.other_channel)
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        options = {"video": lake, "prompt": "the lake under the stars"}  # extended in the age-restricted channel
        await world.discord.slash(world.guild, world.other_channel, world.member, ["luma", "extend"], options)
        await world.wait_for(lambda: len(world.video_messages()) == 3)
        link = await gallery_link(world)

        async with chromium() as browser:
            phone = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            page = await phone.new_page()
            await page.goto(link)
            assert await prompts(page) == ["a calm lake at dawn"], "age-restricted channels' videos: not by default"
            lineage = page.get_by_role("link", name="Lineage")
            assert await lineage.count() == 0, "no lineage to show: its only extension is not the member's to see"
            wide = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert wide, "nothing wider than a phone's screen"

            await admin(world, "settings", {"gallery_age_restricted": True, "language": "zh-CN"})
            await page.goto(link)
            assert await prompts(page) == ["the lake under the stars", "a moody night club", "a calm lake at dawn"]
            assert await page.get_by_role("link", name="系列").count() == 2, "the lake and its extension, now seen"
            assert await page.get_attribute("html", "lang") == "zh-CN"
            assert "画廊" in await page.title()

            revoked = await admin(world, "gallery revoke")
            assert "revoked" in revoked["content"]
            answer = await page.goto(link)
            assert answer is not None and answer.status == 403
            assert "管理员" in await page.inner_text("main"), "in the server's language"
            fresh = await gallery_link(world)
            assert (await page.goto(fresh)).status == 200  # type: ignore[union-attr]


async def test_without_a_public_address_the_gallery_is_explained_not_offered(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        asked = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "gallery"], {})
        await world.discord.wait_response(asked)
        assert asked.response_data["flags"] & 64 and "PUBLIC_BASE_URL" in asked.response_data["content"]
        assert not asked.response_data.get("components"), "no link to nowhere"


async def test_pages_deleted_videos_open_in_discord_download_and_the_policy(tmp_path: Path, both_shelves: str) -> None:
    async with World(tmp_path, callbacks=True) as world:
        kept, kept_id = await make_video(world, "a kite over the dunes")
        gone, _ = await make_video(world, "a sandcastle before the tide")
        pressed = await world.discord.click(int(gone["id"]), button(gone, "Delete"), world.member)
        await world.discord.wait_response(pressed)
        await eventually(lambda: world.discord.calls("DELETE", rf"/messages/{gone['id']}$"), what="the result deleted")
        assert world.bot is not None
        async with world.bot.videos.db.transaction() as tx:  # a busy server: 26 more since
            for i in range(26):
                later = Video(
                    f"later-{i:02d}",
                    world.guild,
                    world.other_member,
                    world.channel,
                    f"t{i}",
                    "generate",
                    f"a later video {i:02d}",
                    f"https://cdn.example/{i}.mp4",
                )
                await world.bot.videos.insert(tx, later)
        link = await gallery_link(world)

        async with chromium() as browser:
            page = await browser.new_page()
            answer = await page.goto(link)
            assert answer is not None
            policy = answer.headers["content-security-policy"]
            assert policy.startswith("default-src 'none'") and "script-src" not in policy, "no script may run"
            assert answer.headers["referrer-policy"] == "no-referrer"
            shown = await prompts(page)
            assert len(shown) == 24 and "a sandcastle before the tide" not in shown, "deleted: never"
            await page.get_by_role("link", name="Older →").click()
            await page.wait_for_url("**page=2**")
            rest = await prompts(page)
            assert rest == ["a later video 01", "a later video 00", "a kite over the dunes"], "the rest, once"

            card = page.locator(f"#v-{kept_id}")
            jump = await card.get_by_role("link", name="Open in Discord").get_attribute("href")
            assert jump == f"https://discord.com/channels/{world.guild}/{world.channel}/{kept['id']}"
            href = await card.get_by_role("link", name="Download").get_attribute("href")
            assert href is not None
            saved = await page.request.get(href)
            assert saved.ok and saved.headers["content-disposition"].startswith("attachment")
            assert await saved.body() == SAMPLE, "the kept copy's own bytes"


async def test_a_video_whose_copy_was_never_kept_plays_from_the_apis_link_within_the_policy(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        world.luma.media_fail.extend([404, 404])  # the CDN refuses the bot's downloads of the video and its picture
        _, video_id = await make_video(world, "a glass of water on a moving train")
        assert world.bot is not None

        async def given_up() -> bool:
            files = await world.bot.media.of(video_id)  # type: ignore[union-attr]
            return bool(files) and all(f.state == "failed" for f in files)

        await eventually(given_up, what="the copies given up on")
        link = await gallery_link(world)
        async with chromium() as browser:
            page = await browser.new_page()
            watch = PageWatch(page)
            answer = await page.goto(link)
            assert answer is not None
            video = page.locator("article video").first
            src = await video.get_attribute("src")
            assert src is not None and src.startswith(world.luma.url), "the API's own link"
            assert world.luma.url in answer.headers["content-security-policy"], "its host named in the policy"
            await video.focus()
            await page.keyboard.press("Space")
            await eventually(lambda: video.evaluate("v => v.currentTime > 0.3"), what="the video played")
            assert watch.refused == []


async def test_a_page_that_fails_logs_its_route_never_the_pass(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with World(tmp_path, callbacks=True) as world:
        link = await gallery_link(world)
        assert world.bot is not None and world.bot.gallery is not None

        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the database went away")

        world.bot.gallery.videos.recent = broken  # type: ignore[method-assign]
        async with aiohttp.ClientSession() as http, http.get(link) as answer:
            assert answer.status == 500
        token = link.rsplit("/", 1)[1]
        lines = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
        assert lines == ["GET /gallery/{token} failed: RuntimeError"], lines
        assert not any(token[:12] in r.getMessage() for r in caplog.records), "the pass is never logged"
