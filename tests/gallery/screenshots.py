"""README's pictures of the gallery and of a showcase post: `python -m tests.gallery.screenshots docs/`.

Runs the real bot against the fakes on 127.0.0.1 (as the tests do), makes a few videos, stars one into the showcase,
and takes two screenshots in Debian's Chromium: the gallery as a member opens it, and the showcase post as the fake
Discord received it (drawn here from the message's JSON: its content, embed, attachment and button, in Discord's
dark colours; it is not Discord's client).
"""

from __future__ import annotations

import asyncio
import base64
import html
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.luma.fake import MEDIA

from ..harness import World
from ..helpers import extend, gallery_link, make_video
from .browser import chromium

PROMPTS = [
    "a red fox crossing fresh snow at dawn",
    "a lighthouse in a storm, waves breaking",
    "a paper boat drifting down a rainy street",
    "a blue whale under the arctic ice",
    "a hot air balloon over terraced rice fields",
    "a cat watching koi in a garden pond",
]


def markdown(text: str, names: dict[str, str]) -> str:
    """The little Discord Markdown a showcase post uses: a quote, bold, a mention."""
    text = html.escape(text.removeprefix(">>> ")).replace("**", "")
    return re.sub(r"&lt;@(\d+)&gt;", lambda m: "@" + names.get(m[1], m[1]), text)


def discord_message(message: dict[str, Any], author: str, names: dict[str, str]) -> str:
    """A message's JSON drawn the way Discord's dark theme lays it out (roughly: for the README, not a test)."""
    embed = message["embeds"][0]
    fields = "".join(
        f"<div class=f><b>{html.escape(f['name'])}</b><div>{markdown(f['value'], names)}</div></div>"
        for f in embed["fields"]
    )
    # the attached mp4's first frame: the fake API's thumbnail is that frame
    frame = base64.b64encode(MEDIA.joinpath("sample.jpg").read_bytes()).decode()
    buttons = "".join(
        f"<span class=btn>{html.escape(c['label'])} ↗</span>"
        for row in message["components"]
        for c in row["components"]
    )
    return f"""<!doctype html><meta charset=utf-8><style>
body{{background:#313338;color:#dbdee1;font:15px/1.4 system-ui,sans-serif;margin:0;padding:24px}}
.m{{display:flex;gap:14px}} .av{{width:40px;height:40px;border-radius:50%;background:#7c3aed}}
.n{{color:#fff;font-weight:600}} .bot{{background:#5865f2;color:#fff;font-size:11px;border-radius:3px;padding:1px 4px}}
.e{{border-left:4px solid #7c3aed;background:#2b2d31;border-radius:4px;padding:10px 14px;margin-top:6px;
max-width:520px}}
.t{{color:#fff;font-weight:600;margin-bottom:6px}} .fs{{display:flex;flex-wrap:wrap;gap:12px}} .f{{min-width:140px}}
.ft{{font-size:12px;color:#949ba4;margin-top:8px}}
video{{max-width:520px;border-radius:6px;margin-top:6px;display:block}}
.q{{border-left:4px solid #4e5058;padding-left:8px;margin-bottom:8px}} .n,.f div{{overflow-wrap:anywhere}}
.btn{{display:inline-block;background:#4e5058;color:#fff;border-radius:4px;padding:4px 12px;margin-top:8px}}
</style><div class=m><div class=av></div><div><span class=n>{html.escape(author)}</span> <span class=bot>APP</span>
<div>{markdown(message["content"], names)}</div>
<video poster="data:image/jpeg;base64,{frame}" width=520></video>
<div class=e><div class=t>{html.escape(embed["title"])}</div><div class=q>{markdown(embed["description"], names)}</div>
<div class=fs>{fields}</div><div class=ft>{html.escape(embed["footer"]["text"])}</div></div>{buttons}</div></div>"""


async def main(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with World(Path(tmp), callbacks=True, SHOWCASE_EDIT_DELAY="0.1") as world:
            await world.discord.slash(
                world.guild,
                world.channel,
                world.admin,
                ["luma-admin", "settings"],
                {"showcase_channel": world.discord.channel_option(world.other_channel), "showcase_stars": 2},
            )
            ids = []
            for i, prompt in enumerate(PROMPTS):
                message, video_id = await make_video(world, prompt, user=world.other_member if i % 2 else None)
                ids.append((message, video_id))
            await extend(world, ids[0][1], "the fox leaps into the birch forest")
            fans = [world.discord.add_user(f"fan{i}") for i in range(3)]
            for fan in fans:
                world.discord.add_member(world.guild, fan)
                await world.discord.react(int(ids[1][0]["id"]), fan)
            post = (
                await world.wait_for(
                    lambda: [
                        m
                        for m in world.discord.channel_messages(world.other_channel)
                        if m.get("content", "").startswith("⭐ **3**")
                    ]
                )
            )[0]
            link = await gallery_link(world)
            async with chromium() as browser:
                page = await browser.new_page(viewport={"width": 1100, "height": 900})
                await page.goto(link)
                await page.wait_for_load_state("networkidle")
                await page.screenshot(path=str(folder / "gallery.png"))
                drawn = await browser.new_page(viewport={"width": 620, "height": 640})
                names = {str(u["id"]): u["username"] for u in world.discord.users.values()}
                await drawn.set_content(discord_message(post, "Luma", names))
                await drawn.screenshot(path=str(folder / "showcase.png"), full_page=True)
    print(f"wrote {folder / 'gallery.png'} and {folder / 'showcase.png'}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
