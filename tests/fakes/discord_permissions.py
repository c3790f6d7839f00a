"""Discord's permission arithmetic, as the fake Discord applies it (docs: topics/permissions.mdx).

* base permissions: @everyone's, OR every role of the member's; the guild's owner and ADMINISTRATOR get all;
* channel overwrites, in order: @everyone's deny then allow, the member's roles' denies then allows (together),
  the member's own deny then allow ("Permission Overwrites");
* implicit denials: without VIEW_CHANNEL nothing else counts; without SEND_MESSAGES, neither MENTION_EVERYONE,
  SEND_TTS_MESSAGES, ATTACH_FILES nor EMBED_LINKS ("Implicit Permissions");
* a thread takes its parent's overwrites; posting in it needs SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES
  ("Inherited Permissions (Threads)").
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ADD_REACTIONS",
    "ADMINISTRATOR",
    "ALL",
    "ATTACH_FILES",
    "CREATE_PRIVATE_THREADS",
    "CREATE_PUBLIC_THREADS",
    "DEFAULT_PERMISSIONS",
    "EMBED_LINKS",
    "MANAGE_GUILD",
    "MANAGE_MESSAGES",
    "MANAGE_THREADS",
    "MENTION_EVERYONE",
    "READ_MESSAGE_HISTORY",
    "SEND_MESSAGES",
    "SEND_MESSAGES_IN_THREADS",
    "SEND_TTS_MESSAGES",
    "USE_APPLICATION_COMMANDS",
    "VIEW_CHANNEL",
    "apply_overwrites",
    "base_permissions",
]

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL = (1 << 51) - 1
# what @everyone may do in a new server (a subset: the text permissions this bot meets)
DEFAULT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
NEEDS_SEND = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS


def base_permissions(guild: dict[str, Any], member_roles: list[str], user_id: int) -> int:
    """The member's guild-level permissions: @everyone's and their roles'; all for the owner and administrators."""
    if str(user_id) == guild["owner_id"]:
        return ALL
    roles = {r["id"]: int(r["permissions"]) for r in guild["roles"]}
    value = roles[guild["id"]]
    for role in member_roles:
        value |= roles.get(role, 0)
    return ALL if value & ADMINISTRATOR else value


def apply_overwrites(
    base: int, overwrites: list[dict[str, Any]], guild_id: str, member_roles: list[str], user_id: int
) -> int:
    """A channel's permissions for one member, from their base permissions and the channel's overwrites, with
    Discord's implicit denials."""
    if base & ADMINISTRATOR:
        return ALL
    by_id = {o["id"]: (int(o["allow"]), int(o["deny"])) for o in overwrites}
    value = base
    if guild_id in by_id:
        allow, deny = by_id[guild_id]
        value = (value & ~deny) | allow
    allow = deny = 0
    for role in member_roles:
        if role in by_id:
            allow |= by_id[role][0]
            deny |= by_id[role][1]
    value = (value & ~deny) | allow
    if str(user_id) in by_id:
        allow, deny = by_id[str(user_id)]
        value = (value & ~deny) | allow
    if not value & VIEW_CHANNEL:
        return 0
    if not value & SEND_MESSAGES:
        value &= ~NEEDS_SEND
    return value
