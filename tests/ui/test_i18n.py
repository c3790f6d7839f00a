"""Languages: the catalogs are complete and honest, no sentence escapes them, and members read their own."""

from __future__ import annotations

import ast
import gettext
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES_DIR, _, available, speaking

from ..harness import World
from ..helpers import admin, answer

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("zh_CN", "zh_TW")
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def key(msgid: object) -> str | tuple[str, ...]:
    return tuple(msgid) if isinstance(msgid, list | tuple) else str(msgid)


def catalog(locale: str):  # type: ignore[no-untyped-def]
    with open(LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as f:
        return read_po(f, locale=locale)


def test_the_template_matches_the_code(tmp_path: Path) -> None:
    """`pybabel extract` over the code gives exactly the shipped template's messages (nothing added, nothing lost)."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", "-F", "babel.cfg", "-k", "locale_str",
         "-o", str(fresh), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with open(fresh, "rb") as f:
        extracted = {key(m.id) for m in read_po(f) if m.id}
    with open(LOCALES_DIR / f"{DOMAIN}.pot", "rb") as f:
        shipped = {key(m.id) for m in read_po(f) if m.id}
    assert extracted == shipped, "run: pybabel extract … then pybabel update (README › Languages)"


def test_every_message_is_translated_with_the_same_placeholders() -> None:
    with open(LOCALES_DIR / f"{DOMAIN}.pot", "rb") as f:
        ids = {key(m.id) for m in read_po(f) if m.id}
    for locale in LOCALES:
        messages = {key(m.id): m for m in catalog(locale) if m.id}
        assert set(messages) == ids, f"{locale}: the catalog is not updated from the template"
        for msgid, message in messages.items():
            singular = msgid[0] if isinstance(msgid, tuple) else msgid
            forms = tuple(message.string) if isinstance(message.string, list | tuple) else (message.string,)
            assert all(forms) and not message.fuzzy, f"{locale}: untranslated: {singular!r}"
            wanted = sorted(set(PLACEHOLDER.findall(singular)))
            for form in forms:
                assert sorted(set(PLACEHOLDER.findall(form))) == wanted, f"{locale}: placeholders of {singular!r}"


def test_the_compiled_catalogs_are_the_current_ones() -> None:
    """The .mo files that ship are compiled from the .po files as they are now."""
    assert set(LOCALES) <= available()
    for locale in LOCALES:
        with open(LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as f:
            compiled = {key(m.id): key(m.string) for m in read_mo(f) if m.id}
        source = {key(m.id): key(m.string) for m in catalog(locale) if m.id}
        assert compiled == source, f"run: pybabel compile -d bot/locales -D {DOMAIN}"


def test_any_other_locale_falls_back_to_english() -> None:
    with speaking("zh-CN"):
        assert _("Open video") == "打开视频"
    with speaking("zh-TW"):
        assert _("Open video") == "開啟影片"
    for other in ("fr", "ja", "en-GB", None, "xx-YY"):
        with speaking(other):
            assert _("Open video") == "Open video"
    assert isinstance(gettext.NullTranslations().gettext("x"), str)


# --- no sentence outside the catalog ---------------------------------------------------------------------

USER_FACING = [
    *sorted((ROOT / "cogs" / "luma").glob("*.py")),
    # every package whose words members, admins or the owner read (the web server and the store speak to logs only)
    *(path for package in ("ui", "delivery", "guilds", "requests", "jobs", "moderation", "owner")
      for path in sorted((ROOT / "bot" / package).glob("*.py"))),
    ROOT / "bot" / "app" / "tree.py",
    ROOT / "bot" / "app" / "servers.py",
    ROOT / "bot" / "luma" / "models.py",
]  # fmt: skip
TRANSLATING = {"_", "N_", "ngettext", "locale_str"}
ENGLISH_NAMES = {"ContextMenu"}  # command names stay English (the README's and every screenshot's)
# an error's detail for the log and the owner (the member reads its translated member_message)
DETAILS = {"JobCancelled", "QueueTimeout", "RemovedByModerator", "LumaTaskFailed", "LumaTaskLost", "LumaTimeoutError"}
QUIET = {"debug", "info", "warning", "error", "exception", "critical"}  # log calls: for the owner's log, English
WORDS = re.compile(r"[A-Za-z]{2,}[ ,.;:!?'’]+[A-Za-z]{2,}")


def _sentences_outside(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and WORDS.search(node.value)):
            continue
        up, inside = parents.get(node), False
        while up is not None:
            if isinstance(up, ast.Expr) and isinstance(up.value, ast.Constant):
                inside = True  # a docstring
            if isinstance(up, ast.Call):
                func = up.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if (
                    name in TRANSLATING
                    or name in QUIET
                    or name in ENGLISH_NAMES
                    or name in DETAILS
                    or name.endswith("Error")
                    or name in {"ValueError", "TypeError", "RuntimeError"}
                ):
                    inside = True
            up = parents.get(up)
        technical = ("luma:", "SELECT", "INSERT", "UPDATE", "DELETE", "http://", "https://")  # not sentences
        identifier = re.fullmatch(r"[\w.:/-]+", node.value)  # a scope, a dotted name, a path: not a sentence
        if not inside and not node.value.startswith(technical) and not identifier:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_no_user_visible_sentence_is_built_outside_the_catalog() -> None:
    leaks = [leak for path in USER_FACING for leak in _sentences_outside(path)]
    assert leaks == [], "wrap these in _() / N_() / locale_str():\n" + "\n".join(leaks)


# --- through the fake Discord ---------------------------------------------------------------------------


async def test_the_synced_commands_carry_chinese_descriptions_and_english_names(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        registered = {c["name"]: c for c in world.discord.commands[world.guild]}  # passed the fake's rules
        luma = registered["luma"]
        assert luma["description_localizations"] == {"zh-CN": "用 Luma 制作 AI 视频", "zh-TW": "用 Luma 製作 AI 影片"}
        generate = next(o for o in luma["options"] if o["name"] == "generate")
        prompt = next(o for o in generate["options"] if o["name"] == "prompt")
        assert prompt["description_localizations"]["zh-CN"] == "视频中应该发生什么"
        assert not prompt.get("name_localizations"), "option names stay English"
        ratio = next(o for o in generate["options"] if o["name"] == "aspect_ratio")
        assert ratio["choices"][0]["name_localizations"] == {"zh-CN": "16:9（横屏）", "zh-TW": "16:9（橫向）"}
        admin_quota = next(o for o in registered["luma-admin"]["options"] if o["name"] == "quota")
        limit = next(o for o in admin_quota["options"] if o["name"] == "limit")
        assert limit["choices"][0]["name_localizations"]["zh-CN"] == "guild_daily: 本服务器每天的视频数"
        for command in world.discord.commands[world.guild]:
            assert not command.get("name_localizations"), "command names stay English"


async def test_a_chinese_member_reads_their_quota_and_refusals_in_chinese(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        chinese = world.discord.add_user("小明", locale="zh-CN")
        world.discord.add_member(world.guild, chinese)
        page = await world.discord.slash(world.guild, world.channel, chinese, ["luma", "quota"], {})
        embed = (await answer(world, page))["embeds"][0]
        assert embed["title"] == "🎟️ 你的视频额度"
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["你，今天"].startswith("已用 0/100 · **剩余 100**") and "重置" in fields["你，今天"]

        await admin(world, "quota", {"limit": "member_daily", "value": "0"})
        refused = await world.generate("a lantern festival", user=chinese)
        assert await world.private_answer(refused) == (
            "此处已关闭视频制作（管理员将“每位成员每天的视频数”设为 0）。未扣除任何额度。"
        )
        english = await world.generate("a lantern festival")
        assert "Video making is closed here" in await world.private_answer(english)


async def test_public_messages_speak_the_servers_language_and_the_admins_choice_wins(tmp_path: Path) -> None:
    world = World(tmp_path, callbacks=False)
    world.discord.guilds[world.guild]["locale"] = "zh-CN"  # the server's Community locale
    async with world:
        interaction, task = await world.held("a red fox in the snow")
        placeholder = interaction.original_message_id
        progress = await world.wait_for(
            lambda: (m := world.discord.messages.get(placeholder or 0)) and m.get("embeds") and m["embeds"][0]
        )
        assert progress["title"] == "⏳ 正在生成你的视频……"
        assert progress["fields"][0]["value"].startswith("Luma 正在渲染")

        mine = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "quota"], {})
        assert (await answer(world, mine))["embeds"][0]["title"] == "🎟️ Your video quota", "private: the member's"

        world.luma.finish(task)
        [result] = await world.wait_for(lambda: world.video_messages())
        assert result["embeds"][0]["title"] == "🎬 你的 Luma 视频"
        labels = [c.get("label") for row in result["components"] for c in row["components"]]
        assert labels[:2] == ["续写", "再来一次"]
        assert result["embeds"][0]["footer"]["text"].startswith("回复此消息")

        await admin(world, "settings", {"language": "zh-TW"})
        world.luma.auto_complete = True
        await world.generate("a white crane")
        results = await world.wait_for(lambda: len(world.video_messages()) == 2 and world.video_messages())
        assert results[1]["embeds"][0]["title"] == "🎬 你的 Luma 影片", "the admins' choice wins"
        await admin(world, "settings", {"language": "en-US"})
        await world.generate("a grey heron")
        results = await world.wait_for(lambda: len(world.video_messages()) == 3 and world.video_messages())
        assert results[2]["embeds"][0]["title"] == "🎬 Your Luma video"


def test_the_chinese_readme_has_the_same_setup_commands_and_settings() -> None:
    english = (ROOT / "README.md").read_text()
    chinese = (ROOT / "README.zh-CN.md").read_text()
    from dataclasses import fields

    from bot.config import Settings

    for f in fields(Settings):
        assert f"`{f.metadata['env']}`" in chinese, f"{f.metadata['env']} missing from README.zh-CN.md"
    commands = re.findall(r"^(?:\| |- )`(/luma(?:-admin)? [\w-]+|luma-bot [\w-]+)", english, re.M)
    assert len(commands) >= 15
    for command in commands:
        assert command in chinese, f"{command} missing from README.zh-CN.md"
    for line in (".venv/bin/pip install -r requirements-dev.lock -e .", ".venv/bin/luma-bot run", "python -m pytest"):
        assert line in english and line in chinese
