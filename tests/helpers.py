"""What the tests share: the one way to wait for something outside the fake Discord (`eventually`; what the fake
Discord sees is waited on with `World.wait_for`), the member's and the admin's gestures, and what they read back.
Test modules import helpers from here, never from one another."""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.luma.fake import MEDIA
from bot.store import MediaStore

from .harness import World

T = TypeVar("T")


async def eventually(
    check: Callable[[], T | Awaitable[T]], *, timeout: float = 10.0, every: float = 0.02, what: str = "the condition"
) -> T:
    """Ask `check` (sync or async) until it returns something truthy; return that. For state the fake Discord does
    not see (a database row, a file, another process's health); bounded by `timeout`, then the test fails."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g}s for {what}")
        await asyncio.sleep(every)


SAMPLE = MEDIA.joinpath("sample.mp4").read_bytes()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACEDATACLOUD_", "DISCORD_", "QUOTA_"))}
    env.update(extra)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env


async def answer(world: World, interaction) -> dict[str, Any]:
    await world.discord.wait_response(interaction)
    assert interaction.response_type == 4 and interaction.response_data["flags"] & 64, "private"
    return interaction.response_data


async def admin(world: World, command: str, options: dict[str, Any] | None = None, *, user: int | None = None):
    interaction = await world.discord.slash(  # a subcommand of a group: "tier set"
        world.guild, world.channel, user or world.admin, ["luma-admin", *command.split()], options or {}
    )
    return await answer(world, interaction)


def form_fields(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """custom_id -> component of an opened form: text inputs in rows, and what labels wrap (the camera menu)."""
    children = [row.get("component") or row["components"][0] for row in modal["components"]]
    return {child["custom_id"]: child for child in children}


def chosen(menu: dict[str, Any]) -> list[str]:
    """The options a form's menu opens with."""
    return [option["value"] for option in menu["options"] if option.get("default")]


def button(message: dict[str, Any], label: str) -> str:
    return next(c["custom_id"] for row in message["components"] for c in row["components"] if c["label"] == label)


async def make_video(
    world: World, prompt: str, *, user: int | None = None, **options: Any
) -> tuple[dict[str, Any], str]:
    """Generate through the real path; return the result message and its video id."""
    before = {m["id"] for m in world.video_messages()}
    await world.generate(prompt, user=user, **options)
    message = await world.wait_for(lambda: [m for m in world.video_messages() if m["id"] not in before])
    fields = {f["name"]: f["value"] for f in message[0]["embeds"][0]["fields"]}
    return message[0], fields["Video ID"].strip("`")


async def gallery_link(world: World, user: int | None = None) -> str:
    """/luma gallery, as a member asks: the link of the private answer's button."""
    asked = await world.discord.slash(world.guild, world.channel, user or world.member, ["luma", "gallery"], {})
    await world.discord.wait_response(asked)
    data = asked.response_data
    assert asked.response_type == 4 and data["flags"] & 64, "only the member sees their link"
    return str(data["components"][0]["components"][0]["url"])


async def extend(world: World, parent: str, prompt: str) -> dict[str, Any]:
    """/luma extend through the real path; the extension's result message."""
    before = len(extension_messages(world))
    await world.discord.slash(
        world.guild, world.channel, world.member, ["luma", "extend"], {"video": parent, "prompt": prompt}
    )
    return (await world.wait_for(lambda: extension_messages(world)[before:]))[0]


def extension_messages(world: World) -> list[dict[str, Any]]:
    return [m for m in world.video_messages() if m["embeds"][0]["title"] == "🎬 Extended video"]


def failure_messages(world: World) -> list[dict[str, Any]]:
    return [
        m
        for m in world.discord.messages.values()
        if any(e.get("title", "").startswith("❌") for e in m.get("embeds", []))
    ]


def mod_log(world: World) -> list[dict[str, Any]]:
    return [m["embeds"][0] for m in world.discord.channel_messages(world.other_channel) if m.get("embeds")]


def owner_dms(world: World) -> list[str]:
    return [m["content"] for m in world.discord.dm_messages(int(world.discord.owner["id"]))]


async def only_job(world: World):
    assert world.bot is not None
    rows = await world.bot.db.fetchall("SELECT id FROM jobs")  # type: ignore[union-attr]
    assert len(rows) == 1
    return await world.bot.jobs.jobs.get(rows[0]["id"])


async def delivered_job(world: World):
    """The only job, once its delivery has been recorded."""

    async def recorded():
        job = await only_job(world)
        return job if job.delivered_at is not None else None

    return await eventually(recorded, what="the job's delivery to be recorded")


async def reservation_state(world: World, job_id: str) -> str | None:
    assert world.bot is not None
    return await world.bot.quota.store.state_of(job_id)


async def reserved(world: World) -> int:
    row = await world.bot.db.fetchone("SELECT COUNT(*) AS n FROM reservations WHERE state != 'refunded'")  # type: ignore[union-attr]
    return int(row["n"])


async def kept(world: World, video_id: str, kind: str = "video") -> Any:
    """A video's kept copy (or its thumbnail's, with `kind`), once the archive has it."""
    assert world.bot is not None
    store = MediaStore(world.bot.db)

    async def settled() -> Any:
        return next((f for f in await store.of(video_id) if f.kind == kind and f.state == "kept"), None)

    return await eventually(settled, timeout=20, what=f"the {kind} of {video_id} to be kept")
