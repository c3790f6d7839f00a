"""Languages: the catalogs are complete and honest, no sentence escapes them, and members read their own."""

from __future__ import annotations

import ast
import gettext
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALES_DIR, _, available, speaking

from ..harness import World
from ..helpers import admin, answer, mod_log

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


# --- no sentence outside the catalog: the six slips a native review found (issue #21) -------------------------

# Every module of bot/ and cogs/ is read, but for these, whose words reach only the owner's log, a database or an
# HTTP peer (each listed with why; a new module is checked until it is listed here)
LOG_ONLY = {
    "bot/store": "SQL and the log",
    "bot/web": "HTTP answers to the API and to monitoring, and the log",
    "bot/media": "the log (a member reads about copies through bot/ui)",
    "bot/luma/client.py": "the API's wire format and the log",
    "bot/luma/shapes.py": "findings for `luma-bot try --record`, for bug reports in English",
    "bot/luma/fake": "the fake API's answers",
    "bot/config.py": "settings problems, printed before a language is chosen, naming English setting names",
    "bot/extras.py": "a missing extra, named for pip",
    "bot/logs.py": "the log",
    "bot/app/opening.py": "start-up failures in the log",
    "bot/app/running.py": "the log",
    "bot/app/bot.py": "the log and /healthz",
    "bot/app/wiring.py": "wiring",
    "bot/app/commands.py": "the log",
    "bot/app/translator.py": "the translator itself",
    "bot/background.py": "the log",
    "bot/cli.py": "argparse's help, in English like every command name",
    "bot/__main__.py": "the entry point",
    "bot/i18n.py": "the catalogs themselves",
    "bot/clock.py": "no text",
    "bot/notes.py": "no text: a change's key and values",
}
TRANSLATING = {"_", "N_", "ngettext", "locale_str"}
# command names stay English (the README's and every screenshot's); a task's name is for the log
ENGLISH_NAMES = {"ContextMenu", "command", "Group", "create_task", "spawn"}
QUIET = {"debug", "info", "warning", "error", "exception", "critical"}  # log calls: for the owner's log, English
# raised for the log and the owner's terminal, never shown to a member as it is
ENGLISH_ERRORS = {"ValueError", "TypeError", "RuntimeError", "AssertionError", "StartupError", "DownloadError",
                  "ShelfError", "SettingsError", "TransferError", "LumaError", "LumaProtocolError", "NotPublic",
                  "JobCancelled", "QueueTimeout", "RemovedByModerator", "LumaTaskFailed", "LumaTaskLost",
                  "LumaTimeoutError", "LumaNetworkError", "LumaServerError", "LumaRateLimited", "LumaNotFound",
                  "LumaBadRequest", "LumaRefused", "LumaAuthError", "LumaBalanceError"}  # fmt: skip
WORDS = re.compile(r"[A-Za-z]{2,}[ ,.;:!?'’]+[A-Za-z]{2,}")
WORD = re.compile(r"[A-Za-z]{2,}")
# where a single word is shown as it is: an embed's or a field's text, a button's or a form's label, a message
UI_KEYWORDS = {"title", "name", "value", "description", "label", "placeholder", "text", "content", "default"}
UI_CALLS = {"send", "send_message", "edit_message", "reply", "reply_privately", "answer_reply", "edit"}
SEPARATORS = {", ", "; ", " ", ": ", "，"}


def user_facing_modules() -> list[Path]:
    paths = []
    for folder in ("bot", "cogs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if not any(name == quiet or name.startswith(quiet + "/") for quiet in LOG_ONLY):
                paths.append(path)
    return paths


def slips(source: str, name: str) -> list[str]:
    """What a module shows a reader without the catalog: sentences and single labels outside _(), non-literal text
    inside _(), and text assembled from pieces (joined with a separator or glued in an f-string)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    # a line that says why its text is not for readers: `# i18n: not text (the log)`
    marked = {n for n, line in enumerate(source.splitlines(), 1) if "# i18n: not text" in line}
    found = []

    def called(node: ast.AST) -> str:
        func = node.func if isinstance(node, ast.Call) else None
        return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""

    def exempt(node: ast.AST) -> bool:
        up = parents.get(node)
        while up is not None:
            if isinstance(up, ast.Expr) and isinstance(up.value, ast.Constant):
                return True  # a docstring
            if isinstance(up, ast.Call) and (called(up) in TRANSLATING | QUIET | ENGLISH_NAMES | ENGLISH_ERRORS):
                return True
            up = parents.get(up)
        return False

    def shown_as_is(node: ast.AST) -> bool:
        up = parents.get(node)
        if isinstance(up, ast.keyword) and isinstance(parents.get(up), ast.ClassDef):
            return False  # a class's keyword (a cog's name)
        if isinstance(up, ast.keyword) and up.arg in UI_KEYWORDS:
            return not (up.arg == "value" and called(parents.get(up)) == "Choice")  # a choice's value is data
        return isinstance(up, ast.Call) and called(up) in UI_CALLS and node in up.args

    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in marked or getattr(node, "end_lineno", None) in marked:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and not exempt(node):
            text = node.value
            technical = text.startswith(("luma:", "SELECT", "INSERT", "UPDATE", "DELETE", "http://", "https://", "@"))
            identifier = re.fullmatch(r"[\w.:/-]+", text) and not shown_as_is(node)
            if technical or identifier:
                continue
            if WORDS.search(text) or (WORD.search(text) and shown_as_is(node)):
                found.append(f"{name}:{node.lineno}: untranslated {text[:60]!r}")
        if isinstance(node, ast.Call) and called(node) in TRANSLATING:
            for arg in node.args[: 2 if called(node) == "ngettext" else 1]:
                literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                inner = [n for n in ast.walk(arg) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                if not literal and (inner or isinstance(arg, ast.JoinedStr | ast.BinOp)):
                    found.append(f"{name}:{node.lineno}: non-literal text inside {called(node)}()")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join"
            and isinstance(node.func.value, ast.Constant)
            and node.func.value.value in SEPARATORS
            and not exempt(node)
        ):
            arg = node.args[0] if node.args else None
            collapse = isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "split"
            if not collapse:  # (" ".join(text.split()) only collapses whitespace)
                found.append(f"{name}:{node.lineno}: text joined with {node.func.value.value!r} (use listing/clauses)")
        if isinstance(node, ast.JoinedStr) and not exempt(node):
            parts = node.values
            for before, glue, after in zip(parts, parts[1:], parts[2:], strict=False):
                if (
                    isinstance(before, ast.FormattedValue)
                    and isinstance(after, ast.FormattedValue)
                    and isinstance(glue, ast.Constant)
                    and glue.value in SEPARATORS
                ):
                    found.append(f"{name}:{node.lineno}: pieces glued with {glue.value!r} (use sentences/clauses)")
    return found


def test_no_user_visible_text_is_built_outside_the_catalog() -> None:
    modules = user_facing_modules()
    names = {str(p.relative_to(ROOT)) for p in modules}
    assert {"bot/luma/errors.py", "bot/ui/notes.py", "cogs/luma/_views.py", "bot/owner/check.py"} <= names
    leaks = [leak for path in modules for leak in slips(path.read_text(), str(path.relative_to(ROOT)))]
    assert leaks == [], "\n".join(leaks)


PLANTED = {
    "a single-word label": 'embed.add_field(name="Status", value=x)',
    "a member's error not in the catalog": 'raise AdminError("Pick a role first.")',
    "non-literal text inside _()": '_(LIMIT_LABELS[values["name"]])',
    "an f-string inside _()": '_(f"{n} videos")',
    "assembled text: a join": 'detail = "; ".join(notes)',
    "assembled text: glued pieces": 'return f"{head} {then}"',
}


def test_each_slip_the_review_found_is_caught_when_planted() -> None:
    for what, line in PLANTED.items():
        assert slips(line + "\n", "planted.py") != [], f"{what} slipped through: {line}"
    fine = '_("Status")\nraise ValueError("for the log")\nname = " ".join(text.split())\nlog.info("a b %s", x)\n'
    assert slips(fine, "fine.py") == []


def test_every_module_outside_the_log_only_list_is_checked(tmp_path: Path) -> None:
    """bot/luma/errors.py was once outside a fixed list: now every module is in unless it is named as log-only."""
    listed = [name for name in LOG_ONLY if not (ROOT / name).exists()]
    assert listed == [], f"LOG_ONLY names modules that are gone: {listed}"
    assert ROOT / "bot" / "luma" / "errors.py" in user_facing_modules()


def test_the_template_holds_only_messages_written_as_literals() -> None:
    """Babel extracts the first string it meets inside _(…): `_(LABELS[v["name"]])` once put "name" in the
    catalog. Every msgid must be a literal handed to _(), N_(), ngettext() or locale_str() in the code."""
    literals = set()
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATING:
                    literals |= {
                        a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    }
    literals |= {message for _, message in template_messages()}
    with open(ROOT / "bot" / "locales" / "luma.pot", "rb") as f:
        template = read_po(f)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert ids - literals == set(), "msgids no code asks for"


# --- the gallery's templates: every word a reader sees goes through _() ------------------------------------------

TEMPLATES = ROOT / "bot" / "gallery" / "templates"
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
SHOWN_ATTRIBUTES = re.compile(r'\b(placeholder|title|alt|aria-label)="([^"]*)"')


def template_messages() -> list[tuple[str, str]]:
    """(template, msgid) of every message the templates hand to _() or ngettext() (Jinja's own extractor)."""
    import jinja2

    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    found = []
    for path in sorted(TEMPLATES.glob("*.html")):
        for _line, _function, message in env.extract_translations(path.read_text()):
            found += [(path.name, m) for m in ([message] if isinstance(message, str) else message[:1]) if m]
    return found


def template_slips(name: str, source: str) -> list[str]:
    """Words a template shows outside _(): text between tags, and attributes a reader sees, written as is."""
    found = []
    for attribute, value in SHOWN_ATTRIBUTES.findall(source):
        if WORD.search(JINJA.sub("", value)):
            found.append(f"{name}: {attribute} {value[:40]!r}")
    text = TAG.sub(" ", JINJA.sub(" ", source))
    found += [f"{name}: text {word!r}" for word in WORD.findall(text)]
    return found


def test_the_gallery_templates_show_no_text_outside_the_catalog() -> None:
    messages = template_messages()
    assert len(messages) > 30 and ("grid.html", "Newest first") in messages
    slips_found = [s for path in sorted(TEMPLATES.glob("*.html")) for s in template_slips(path.name, path.read_text())]
    assert slips_found == [], "\n".join(slips_found)
    planted = ["<p>Newest first</p>", '<input placeholder="Search">', '<a title="Stars">⭐</a>']
    assert all(template_slips("planted.html", line) for line in planted), "each planted slip is caught"
    fine = '<p>{{ _("Newest first") }}</p><input placeholder="{{ _(\'Search\') }}"><span>⭐ {{ n }}</span>'
    assert template_slips("fine.html", fine) == []


# --- zh-TW written for Taiwan, not converted from zh-CN ----------------------------------------------------------

CONVERTED_SHARE = 0.5  # a hand translation coincides with the converter on simple sentences (about a third here);
# the converter's own catalog coincides on nearly all of them (329 of 341 in the review)


def converted_share(cn: list[tuple[str, str]], tw: list[tuple[str, str]]) -> float:
    import opencc

    converter = opencc.OpenCC("s2twp")  # OpenCC's Simplified → Taiwan, with Taiwan's phrases
    taiwan = dict(tw)
    long = [(msgid, text) for msgid, text in cn if len(text) >= 6 and msgid in taiwan]
    same = sum(1 for msgid, text in long if converter.convert(text) == taiwan[msgid])
    return same / len(long)


def test_zh_tw_is_not_a_machine_conversion_of_zh_cn() -> None:
    share = converted_share(pairs_of("zh_CN"), pairs_of("zh_TW"))
    assert share < CONVERTED_SHARE, f"{share:.0%} of zh-TW is what OpenCC makes of zh-CN"


def test_the_conversion_check_flags_a_converted_catalog() -> None:
    import opencc

    cn = pairs_of("zh_CN")
    converter = opencc.OpenCC("s2twp")
    converted = [(msgid, converter.convert(text)) for msgid, text in cn]
    assert converted_share(cn, converted) == 1.0


# --- through the fake Discord ---------------------------------------------------------------------------


async def test_the_synced_commands_carry_chinese_descriptions_and_english_names(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        registered = {c["name"]: c for c in world.discord.commands[world.guild]}  # passed the fake's rules
        luma = registered["luma"]
        assert luma["description_localizations"] == {"zh-CN": "用 Luma 制作 AI 视频", "zh-TW": "用 Luma 製作 AI 影片"}
        generate = next(o for o in luma["options"] if o["name"] == "generate")
        prompt = next(o for o in generate["options"] if o["name"] == "prompt")
        assert prompt["description_localizations"]["zh-CN"] == "视频里应该发生什么"
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
        assert fields["你今天"].startswith("已用 0 / 100 · **还剩 100**") and "重置" in fields["你今天"]

        await admin(world, "quota", {"limit": "member_daily", "value": "0"})
        refused = await world.generate("a lantern festival", user=chinese)
        assert await world.private_answer(refused) == (
            "这里已停止制作视频（管理员把“每位成员每天的视频数”设为了 0）。没有扣除额度。"
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
        assert labels[:2] == ["延长", "再来一次"]
        assert result["embeds"][0]["footer"]["text"].startswith("回复这条消息")

        await admin(world, "settings", {"language": "zh-TW"})
        world.luma.auto_complete = True
        await world.generate("a white crane")
        results = await world.wait_for(lambda: len(world.video_messages()) == 2 and world.video_messages())
        assert results[1]["embeds"][0]["title"] == "🎬 你的 Luma 影片", "the admins' choice wins"
        await admin(world, "settings", {"language": "en-US"})
        await world.generate("a grey heron")
        results = await world.wait_for(lambda: len(world.video_messages()) == 3 and world.video_messages())
        assert results[2]["embeds"][0]["title"] == "🎬 Your Luma video"


CHINESE_READMES = ("README.zh-CN.md", "README.zh-TW.md")


def outline(text: str) -> list[str]:
    """The README's shape: its ## and ### headings' levels, in order."""
    return re.findall(r"^(#{2,3}) ", text, re.M)


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, re.M | re.S)


@pytest.mark.parametrize("name", CHINESE_READMES)
def test_each_chinese_readme_follows_the_english_one_section_by_section(name: str) -> None:
    english = (ROOT / "README.md").read_text()
    chinese = (ROOT / name).read_text()
    assert outline(chinese) == outline(english) and len(outline(english)) > 20, "the same sections, in order"
    blocks = code_blocks(english)
    layout = next(b for b in blocks if b.startswith("bot/"))  # the Layout picture is described in each language
    for block in blocks:
        if block is not layout:
            assert block in chinese, f"{name} lacks (or changed) this block:\n{block[:200]}"
    from dataclasses import fields

    from bot.config import Settings

    for f in fields(Settings):
        assert f"`{f.metadata['env']}`" in chinese, f"{f.metadata['env']} missing from {name}"
    commands = re.findall(r"^(?:\| |- )`(/luma(?:-admin)? [\w-]+|luma-bot [\w-]+)", english, re.M)
    assert len(commands) >= 15
    for command in commands:
        assert command in chinese, f"{command} missing from {name}"
    links = re.findall(r"\]\(#([^)]+)\)", chinese)
    anchors = {
        re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in re.findall(r"^#+ (.+)$", chinese, re.M)
    }
    assert set(links) <= anchors, f"{name} links to sections it does not have: {set(links) - anchors}"


# --- the glossary: one word per concept, and none the glossary rules out (issue #21) ----------------------------

GLOSSARY = ROOT / "bot" / "locales" / "GLOSSARY.md"


@dataclass(frozen=True)
class Concept:
    english: str  # a regular expression over the msgid, or "" where the row only rules words out
    words: dict[str, str]  # locale → the word
    ruled_out: dict[str, tuple[str, ...]]


def glossary(text: str) -> list[Concept]:
    concepts = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith(("| English", "|---")):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        english, cn, tw, _discord, out_cn, out_tw = cells[:6]
        pattern = english[1:-1].replace("\\|", "|") if english.startswith("`") else ""

        def words(cell: str) -> tuple[str, ...]:
            return tuple(w.strip() for w in cell.split("、") if w.strip())

        concepts.append(Concept(pattern, {"zh_CN": cn, "zh_TW": tw}, {"zh_CN": words(out_cn), "zh_TW": words(out_tw)}))
    return concepts


def pairs_of(locale: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs, plural forms each on their own."""
    pairs = []
    for message in catalog(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(ids[-1] if len(ids) > 1 else ids[0], s) for s in strings]
    return pairs


def glossary_slips(concepts: list[Concept], locale: str, pairs: list[tuple[str, str]]) -> list[str]:
    slips = []
    for msgid, msgstr in pairs:
        for concept in concepts:
            for word in concept.ruled_out[locale]:
                if word in ("“”", "“”、‘’", "「」"):
                    continue
                if word in msgstr and concept.words[locale] not in word:
                    said = concept.words[locale]
                    slips.append(f"{locale}: {word!r} (ruled out; the glossary says {said!r}) in {msgstr!r}")
            words = re.sub(r"\{\w*\}|`[^`]*`|https?://\S+", "", msgid)  # placeholders, code and links name nothing
            if concept.english and re.search(concept.english, words, re.IGNORECASE):
                if concept.words[locale] not in msgstr:
                    word = concept.words[locale]
                    slips.append(f"{locale}: {msgid!r} names {concept.english!r} but says no {word!r}: {msgstr!r}")
        quotes = "“”‘’" if locale == "zh_TW" else "「」"
        if any(q in msgstr for q in quotes):
            slips.append(f"{locale}: quotation marks {quotes} are not this language's: {msgstr!r}")
    return slips


def test_the_catalogs_keep_to_the_glossary() -> None:
    concepts = glossary(GLOSSARY.read_text())
    assert len(concepts) > 40 and any(c.english == r"\bcredits?\b" for c in concepts)
    slips = [slip for locale in LOCALES for slip in glossary_slips(concepts, locale, pairs_of(locale))]
    assert slips == [], "\n".join(slips)


def test_the_glossary_check_catches_a_ruled_out_word_and_a_second_name() -> None:
    concepts = glossary(GLOSSARY.read_text())
    planted = [
        ("Luma's credits are used up.", "Luma 的额度已用完。"),  # quota's word for credits: two names, one concept
        ("Reply to extend it.", "回復以續寫。"),
        ("Made by", "制作者"),
    ]
    cn = glossary_slips(concepts, "zh_CN", planted[:1])
    tw = glossary_slips(concepts, "zh_TW", planted[1:])
    assert any("says no '点数'" in s for s in cn), cn
    assert any("'回復'" in s for s in tw) and any("'續寫'" in s for s in tw) and any("'制作'" in s for s in tw), tw


async def test_an_admin_change_is_kept_in_no_language_and_read_in_each_readers(tmp_path: Path) -> None:
    """A zh-TW admin's change: their own answer in zh-TW, the mod log in the server's language (English here),
    `/luma-admin log` in the language of whoever reads it; actions by name, lists the language's way."""
    async with World(tmp_path, callbacks=False) as world:
        taiwan = world.discord.add_user("阿明", locale="zh-TW")
        world.discord.add_member(world.guild, taiwan, roles=[world.admin_role])
        await admin(world, "settings", {"mod_log_channel": world.discord.channel_option(world.other_channel)})
        channels = {"allow_channel": world.discord.channel_option(world.channel)}
        answered = await admin(world, "settings", channels, user=taiwan)
        assert answered["content"].startswith(f"✅ 可以製作影片的頻道：<#{world.channel}>"), answered["content"]
        both = {"allow_channel": world.discord.channel_option(world.other_channel)}
        answered = await admin(world, "settings", both, user=taiwan)
        first, second = sorted([world.channel, world.other_channel])
        assert f"<#{first}>和<#{second}>" in answered["content"], "a list the Chinese way (、 and 和), not ', '"
        limit = await admin(world, "quota", {"limit": "member_daily", "value": "3"}, user=taiwan)
        assert "每位成員每天的影片數：100 → 3" in limit["content"]

        entries = await world.wait_for(lambda: len(mod_log(world)) >= 4 and mod_log(world))
        changes = [e["description"] for e in entries if e["title"] == "🛠️ Admin change"]
        assert changes[-1] == "videos per day for each member: 100 → 3", "the server's language, not the admin's"
        assert f"<#{first}> and <#{second}>" in changes[-2]

        chinese = world.discord.add_user("小红", locale="zh-CN")
        world.discord.add_member(world.guild, chinese, roles=[world.admin_role])
        log = (await admin(world, "log", user=chinese))["embeds"][0]
        assert log["title"] == "📜 设置变更记录"
        assert "**限额**：每位成员每天的视频数：100 → 3" in log["description"]
        assert "**频道**：可以制作视频的频道：" in log["description"] and "quota" not in log["description"]
        english = (await admin(world, "log"))["embeds"][0]["description"]
        assert "**Limit**: videos per day for each member: 100 → 3" in english
