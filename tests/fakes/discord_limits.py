"""Discord's documented limits on what a bot may send, checked the way Discord checks them (error 50035)."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["InvalidForm", "check_choices", "check_commands", "check_message", "check_modal"]


class InvalidForm(Exception):
    """Discord's 400 `Invalid Form Body` (code 50035); `errors` says which field and why."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def _length(path: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, str):
        raise InvalidForm(path, "must be a string")
    if not low <= len(value) <= high:
        raise InvalidForm(path, f"must be between {low} and {high} in length (got {len(value)})")


def _embed(path: str, embed: dict[str, Any]) -> int:
    """Check one embed; return its character count toward the 6,000 total."""
    total = 0
    for key, limit in (("title", 256), ("description", 4096)):
        if embed.get(key) is not None:
            _length(f"{path}.{key}", embed[key], 0, limit)
            total += len(embed[key])
    fields = embed.get("fields") or []
    if len(fields) > 25:
        raise InvalidForm(f"{path}.fields", "must be 25 or fewer in length")
    for i, field in enumerate(fields):
        _length(f"{path}.fields.{i}.name", field.get("name"), 1, 256)
        _length(f"{path}.fields.{i}.value", field.get("value"), 1, 1024)
        total += len(field["name"]) + len(field["value"])
    if embed.get("footer"):
        _length(f"{path}.footer.text", embed["footer"].get("text"), 1, 2048)
        total += len(embed["footer"]["text"])
    if embed.get("author"):
        _length(f"{path}.author.name", embed["author"].get("name"), 1, 256)
        total += len(embed["author"]["name"])
    for key in ("image", "thumbnail"):
        if embed.get(key) is not None:
            url = embed[key].get("url", "")
            if not isinstance(url, str) or not url.startswith(("http://", "https://", "attachment://")):
                raise InvalidForm(f"{path}.{key}.url", "Not a well formed URL.")
    if embed.get("url") is not None and not str(embed["url"]).startswith(("http://", "https://")):
        raise InvalidForm(f"{path}.url", "Not a well formed URL.")
    return total


def _select(path: str, component: dict[str, Any], modal: bool) -> None:
    """components/reference.mdx, String Select: options max 25 (label and value max 100 characters each, description
    max 100), placeholder max 150, min_values 0-25 ("must be either omitted or at least 1 if required is omitted or
    true"; `required` is for modals), max_values max 25; "Using `disabled` in a modal will result in an error"."""
    options = component.get("options") or []
    if component.get("type") == 3 and not 1 <= len(options) <= 25:
        raise InvalidForm(f"{path}.options", "must be between 1 and 25 in length")
    for o, option in enumerate(options):
        _length(f"{path}.options.{o}.label", option.get("label"), 1, 100)
        _length(f"{path}.options.{o}.value", option.get("value"), 1, 100)
        if option.get("description") is not None:
            _length(f"{path}.options.{o}.description", option["description"], 0, 100)
    if component.get("placeholder") is not None:
        _length(f"{path}.placeholder", component["placeholder"], 0, 150)
    low, high = component.get("min_values", 1), component.get("max_values", 1)
    if not 0 <= low <= 25 or not 1 <= high <= 25 or low > high:
        raise InvalidForm(f"{path}.min_values", "min_values and max_values must be within 0-25 and in order")
    if modal and component.get("disabled"):
        raise InvalidForm(f"{path}.disabled", "Modals can not currently have disabled components in them.")
    if modal and component.get("required", True) and low == 0:
        raise InvalidForm(f"{path}.min_values", "must be at least 1 when the select is required")


def _component(path: str, component: dict[str, Any], *, modal: bool = False) -> None:
    kind = component.get("type")
    if kind == 2:  # button
        if component.get("label") is not None:
            _length(f"{path}.label", component["label"], 0, 80)
        if component.get("style") == 5:
            if "custom_id" in component or not str(component.get("url", "")).startswith(("http://", "https://")):
                raise InvalidForm(path, "a link button needs a url and no custom_id")
            _length(f"{path}.url", component["url"], 1, 512)
        else:
            _length(f"{path}.custom_id", component.get("custom_id"), 1, 100)
    elif kind in (3, 5, 6, 7, 8):  # selects
        _length(f"{path}.custom_id", component.get("custom_id"), 1, 100)
        _select(path, component, modal)
    elif kind == 4:  # text input (modals only)
        _length(f"{path}.custom_id", component.get("custom_id"), 1, 100)
        if component.get("value") is not None:
            _length(f"{path}.value", component["value"], 0, 4000)
        if component.get("placeholder") is not None:
            _length(f"{path}.placeholder", component["placeholder"], 0, 100)
        if component.get("label") is not None:
            _length(f"{path}.label", component["label"], 1, 45)
    else:
        raise InvalidForm(f"{path}.type", f"unsupported component type {kind}")


def _rows(path: str, rows: list[dict[str, Any]], *, modal: bool = False) -> None:
    if len(rows) > 5:
        raise InvalidForm(path, "must be 5 or fewer in length")
    for r, row in enumerate(rows):
        if modal and row.get("type") == 18:  # label wrapping one component
            _length(f"{path}.{r}.label", row.get("label"), 1, 45)
            _component(f"{path}.{r}.component", row.get("component") or {}, modal=True)
            continue
        if row.get("type") != 1:
            raise InvalidForm(f"{path}.{r}.type", "top-level components must be action rows")
        children = row.get("components") or []
        if not 1 <= len(children) <= 5:
            raise InvalidForm(f"{path}.{r}.components", "must be between 1 and 5 in length")
        for c, child in enumerate(children):
            _component(f"{path}.{r}.components.{c}", child)


def check_message(body: dict[str, Any], *, partial: bool = False) -> None:
    """A message create/edit body (also interaction responses of type 4/7 and webhook messages)."""
    content = body.get("content")
    if content is not None:
        _length("content", content, 0, 2000)
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise InvalidForm("embeds", "must be 10 or fewer in length")
    total = sum(_embed(f"embeds.{i}", e) for i, e in enumerate(embeds))
    if total > 6000:
        raise InvalidForm("embeds", "Embed size exceeds maximum size of 6000")
    _rows("components", body.get("components") or [])
    if not partial and not (content or embeds or body.get("components") or body.get("attachments")):
        raise InvalidForm("content", "Cannot send an empty message")


def check_modal(body: dict[str, Any]) -> None:
    _length("data.title", body.get("title"), 1, 45)
    _length("data.custom_id", body.get("custom_id"), 1, 100)
    components = body.get("components") or []
    if not components:
        raise InvalidForm("data.components", "a modal needs at least one component")
    _rows("data.components", components, modal=True)


def check_choices(choices: list[dict[str, Any]]) -> None:
    if len(choices) > 25:
        raise InvalidForm("data.choices", "must be 25 or fewer in length")
    for i, choice in enumerate(choices):
        _length(f"data.choices.{i}.name", choice.get("name"), 1, 100)
        value = choice.get("value")
        if isinstance(value, str):
            _length(f"data.choices.{i}.value", value, 1, 100)


def check_commands(commands: list[dict[str, Any]]) -> None:
    if len(commands) > 100:
        raise InvalidForm("", "at most 100 commands")
    seen = [(c.get("type", 1), c.get("name")) for c in commands]
    if len(seen) != len(set(seen)):
        raise InvalidForm("", "Application command names must be unique")
    for i, command in enumerate(commands):
        kind = command.get("type", 1)
        name = command.get("name")
        _length(f"{i}.name", name, 1, 32)
        if kind == 1:
            _chat_input_name(f"{i}.name", name)
            _length(f"{i}.description", command.get("description"), 1, 100)
        _localizations(f"{i}", command, chat_input=kind == 1)
        _options(f"{i}.options", command.get("options") or [])


# docs/reference "Locales": the only keys a *_localizations object may have
LOCALES = frozenset(
    "id da de en-GB en-US es-ES es-419 fr hr it lt hu nl no pl pt-BR ro fi sv-SE vi tr cs el bg ru uk hi th zh-CN "
    "ja zh-TW ko".split()
)


def _localizations(path: str, item: dict[str, Any], *, chat_input: bool = True, choice: bool = False) -> None:
    """name_localizations and description_localizations: known locales only, each value within the same limits
    as the field it localises (a chat-input name keeps the name rule in every locale)."""
    for key, low, high in (("name_localizations", 1, 100 if choice else 32), ("description_localizations", 1, 100)):
        values = item.get(key)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise InvalidForm(f"{path}.{key}", "must be an object")
        for locale, value in values.items():
            if locale not in LOCALES:
                raise InvalidForm(f"{path}.{key}.{locale}", "Invalid Form Body: not a valid locale")
            _length(f"{path}.{key}.{locale}", value, low, high)
            if key == "name_localizations" and chat_input and not choice:
                _chat_input_name(f"{path}.{key}.{locale}", value)


# Discord's rule for CHAT_INPUT command and option names: 1-32 of letters, digits, `-` and `_` (any script
# with a lower case is lower case), no spaces. Context-menu names may have spaces and capitals.
_NAME = re.compile(r"^[-_\w]{1,32}$")


def _chat_input_name(path: str, name: Any) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or name != name.lower():
        raise InvalidForm(path, "APPLICATION_COMMAND_INVALID_NAME: Command name is invalid")


def _options(path: str, options: list[dict[str, Any]]) -> None:
    if len(options) > 25:
        raise InvalidForm(path, "must be 25 or fewer in length")
    seen_optional = False
    for i, option in enumerate(options):
        _chat_input_name(f"{path}.{i}.name", option.get("name"))
        _length(f"{path}.{i}.description", option.get("description"), 1, 100)
        _localizations(f"{path}.{i}", option)
        for j, choice in enumerate(option.get("choices") or []):
            _localizations(f"{path}.{i}.choices.{j}", choice, choice=True)
        if option.get("type") not in (1, 2):  # subcommands and groups are never "required"
            if option.get("required"):
                if seen_optional:
                    raise InvalidForm(
                        f"{path}.{i}",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID: required options must be placed before "
                        "non-required options",
                    )
            else:
                seen_optional = True
        choices = option.get("choices") or []
        if choices:
            check_choices(choices)
        _options(f"{path}.{i}.options", option.get("options") or [])
