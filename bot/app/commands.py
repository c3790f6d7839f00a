"""Registering the slash commands with Discord: explicitly (`luma-bot sync`), or at start only when what would be
sent changed (Discord rate-limits syncs). Discord layer."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from bot.store import Database

__all__ = ["command_hash", "sync_tree"]

log = logging.getLogger(__name__)


async def command_hash(tree: app_commands.CommandTree[Any], guild: discord.Object | None) -> str:
    """The hash of what a sync would send, translations included: new translations sync as a change."""
    translator = tree.translator
    commands = tree.get_commands(guild=guild)
    if translator is not None:
        payload = [await c.get_translated_payload(tree, translator) for c in commands]
    else:
        payload = [c.to_dict(tree) for c in commands]
    text = json.dumps(sorted(payload, key=lambda c: (c.get("type", 1), c["name"])), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


async def sync_tree(
    tree: app_commands.CommandTree[Any], db: Database | None, guild_id: int | None, *, only_if_changed: bool = False
) -> list[app_commands.AppCommand] | None:
    """Register the commands (globally, or in one guild) and remember their hash; with `only_if_changed`, do
    nothing when the hash matches the last sync."""
    guild = None
    if guild_id is not None:
        guild = discord.Object(guild_id)
        tree.copy_global_to(guild=guild)
    key, current = f"command_hash:{guild_id or 'global'}", await command_hash(tree, guild)
    if only_if_changed and db is not None and await db.get_meta(key) == current:
        log.info("slash commands unchanged; not syncing")
        return None
    synced = await tree.sync(guild=guild)
    if db is not None:
        await db.set_meta(key, current)
    log.info("synced the slash commands %s", f"to guild {guild_id}" if guild_id else "globally")
    return synced
