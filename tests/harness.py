"""The whole bot, unmodified, against the fake Discord and the fake Luma API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app.bot import LumaBot
from bot.clock import system_clock
from bot.config import Settings
from bot.luma.fake import FakeLuma
from bot.web.serving import free_port

from .fakes.discord import FakeDiscord, Interaction

DISCORD_TOKEN = "fake-discord-token"
# set by the `both_databases` fixture (tests/conftest.py): when set, each World's bot runs on a fresh database
# of this real PostgreSQL server instead of a SQLite file
POSTGRES: Any = None
# set by the `both_shelves` fixture: when set, each World's bot keeps its copies in a fresh bucket of this real
# S3-compatible server (tests/s3.py) instead of MEDIA_DIR
S3: Any = None
LUMA_TOKEN = "fake-luma-token"


class MutableClock:
    """A clock tests can move forward; it starts at the real time."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> datetime:
        from datetime import timedelta

        return system_clock() + timedelta(seconds=self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def copy_name(video_id: str, kind: str = "video") -> str:
    """Where the bot keeps a copy (under MEDIA_DIR, or under the bucket's prefix): bot/media/archive.py's rule."""
    from types import SimpleNamespace

    from bot.media import Archiver

    return Archiver.name(SimpleNamespace(video_id=video_id, kind=kind))  # type: ignore[arg-type]


class World:
    def __init__(self, tmp_path: Path, *, callbacks: bool, luma_delay: float = 0.3, **env: str) -> None:
        self.tmp_path = tmp_path
        self.discord = FakeDiscord(token=DISCORD_TOKEN)
        self.luma = FakeLuma(token=LUMA_TOKEN, delay=luma_delay)
        self.callbacks = callbacks
        self.web_port = free_port()
        self.env = env
        # an owner who sets MESSAGE_CONTENT_INTENT=true has switched the intent on in the Developer Portal (README)
        self.discord.message_content_allowed = env.get("MESSAGE_CONTENT_INTENT") == "true"
        self.clock = MutableClock()
        self.bot: LumaBot | None = None
        self._task: asyncio.Task[None] | None = None
        self.database_url: str | None = None
        self.bucket: str | None = None
        self.guild = self.discord.add_guild("Creators")
        self.channel, self.other_channel = self.discord.guilds[self.guild]["channel_ids"]
        self.member = self.discord.add_user("member")
        self.other_member = self.discord.add_user("other")
        self.admin = self.discord.add_user("admin")
        self.admin_role = self.discord.add_role(self.guild, "Mods", permissions=1 << 5)
        for user in (self.member, self.other_member):
            self.discord.add_member(self.guild, user)
        self.discord.add_member(self.guild, self.admin, roles=[self.admin_role])

    def settings(self) -> Settings:
        env = {
            "DISCORD_TOKEN": DISCORD_TOKEN,
            "ACEDATACLOUD_API_TOKEN": LUMA_TOKEN,
            "ACEDATACLOUD_API_BASE_URL": self.luma.url,
            "DATABASE_PATH": str(self.tmp_path / "bot.sqlite3"),
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(self.web_port),
            "DISCORD_API_BASE": self.discord.api_base,
            "DISCORD_GATEWAY_URL": self.discord.gateway_url,
            "DISCORD_CDN_URL": self.discord.cdn_base,
            "DEV_GUILD_ID": str(self.guild),
            "POLL_FIRST_DELAY": "0.2",
            "POLL_INTERVAL": "0.2",
            "POLL_MAX_INTERVAL": "0.3",
            "POLL_RATE": "50",
            "CALLBACK_POLL_INTERVAL": "30",
            "PROGRESS_INTERVAL": "30",
            "QUOTA_MEMBER_COOLDOWN": "0",
            "QUOTA_MEMBER_DAILY": "100",
            "QUOTA_GUILD_DAILY": "100",
            "QUOTA_MEMBER_CONCURRENT": "10",
            "QUOTA_GUILD_CONCURRENT": "20",
        }
        if self.callbacks:
            env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{self.web_port}"
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.env)
        return Settings.from_env(env, dotenv=None)

    async def __aenter__(self) -> World:
        if POSTGRES is not None and self.database_url is None:
            self.database_url = await POSTGRES.new_database()
        if S3 is not None and self.bucket is None:
            self.bucket = await S3.new_bucket()
            self.env = {**S3.env(self.bucket), **self.env}
        await self.discord.start()
        await self.luma.start()
        try:
            await self.start_bot()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_bot()
        await self.luma.stop()
        await self.discord.stop()
        if exc[0] is None:  # every test keeps Discord's invalid-request rule (a 404'd webhook is not reused)
            assert self.discord.violations == [], self.discord.violations

    async def start_bot(self) -> LumaBot:
        self.discord.ready.clear()
        bot = LumaBot(self.settings(), clock=self.clock)
        self.bot = bot
        self._task = task = asyncio.create_task(bot.start(DISCORD_TOKEN))
        # discord.py dispatches on_ready 2 s after the last GUILD_CREATE, but it handles events as soon as
        # the guild is cached: that is when a member could first use the bot.
        deadline = asyncio.get_running_loop().time() + 20
        while bot.get_guild(self.guild) is None or not hasattr(bot, "jobs"):
            if task.done():
                task.result()  # raise what stopped the bot
                raise RuntimeError("the bot stopped during start-up")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the bot did not connect")
            await asyncio.sleep(0.01)
        return bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            async with asyncio.timeout(30):  # a shutdown that hangs is a failure, not a stuck test run
                await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._task, 10)
        self.bot = None
        self._task = None

    # --- member actions -------------------------------------------------------------------------

    async def generate(
        self, prompt: str, *, user: int | None = None, channel: int | None = None, **options: Any
    ) -> Interaction:
        return await self.discord.slash(
            self.guild,
            channel or self.channel,
            user or self.member,
            ["luma", "generate"],
            {"prompt": prompt, **options},
        )

    async def held(self, prompt: str, **options: Any) -> tuple[Interaction, str]:
        """Generate while the fake Luma API holds the task: once it has reached the API, return the
        interaction and the task id (finish it with `self.luma.finish(task_id)`)."""
        self.luma.auto_complete = False
        before = set(self.luma.tasks)
        interaction = await self.generate(prompt, **options)
        await self.discord.wait_response(interaction)
        new = await self.wait_for(lambda: set(self.luma.tasks) - before)
        return interaction, next(iter(new))

    def message(self, message_id: int | None) -> dict[str, Any]:
        assert message_id is not None
        return self.discord.messages[message_id]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        return await self.discord.wait_for(predicate, timeout)

    async def private_answer(self, interaction: Interaction, timeout: float = 10.0) -> str:
        """What only the member saw: the first response, or (for a quota refusal, decided after the defer)
        a follow-up, with the public "thinking…" message deleted so no trace is left in the channel."""
        await self.discord.wait_response(interaction, timeout)
        if interaction.response_type == 4:
            assert interaction.response_data["flags"] & 64, "the answer is private"
            return str(interaction.response_data["content"])

        def followup() -> dict[str, Any] | None:
            return next(
                (
                    m
                    for m in self.discord.messages.values()
                    if m.get("interaction_metadata", {}).get("id") == str(interaction.id) and m["flags"] & 64
                ),
                None,
            )

        message = await self.wait_for(followup, timeout)
        assert interaction.original_message_id not in self.discord.messages, "the public placeholder is gone"
        return str(message["content"])

    async def copies(self) -> dict[str, bytes]:
        """The kept copies where the bot keeps them, by name (`ab/abc.mp4`): the bucket's objects when the
        world runs with one, else the files in MEDIA_DIR."""
        if self.bucket is not None:
            prefix = "luma-bot/"
            return {k.removeprefix(prefix): v for k, v in (await S3.objects(self.bucket)).items()}
        assert self.bot is not None
        folder = self.bot.settings.media_path
        files = [p for p in folder.rglob("*") if p.is_file() and p.suffix in (".mp4", ".jpg")]
        return {str(p.relative_to(folder)): p.read_bytes() for p in files}

    def result_posts(self, *, files: bool = False) -> list[Any]:
        """The requests that posted a result, accepted: the interaction's follow-up, or a message in a channel or a
        DM (with `files`, only those that carried the video)."""
        return [
            r
            for r in self.discord.calls("POST", r"(/webhooks/\d+/[^/]+|/channels/\d+/messages)$")
            if r.status == 200 and "Video ID" in str(r.body) and (r.uploads or not files)
        ]

    def video_messages(self) -> list[dict[str, Any]]:
        """Every message showing a finished video (one with its Extend button: in any language)."""
        return [
            m
            for m in self.discord.messages.values()
            if m.get("embeds")
            and any(
                str(c.get("custom_id", "")).startswith("luma:extend:")
                for row in m.get("components", [])
                for c in row.get("components", [])
            )
        ]
