"""Who and what a server keeps out: the blocklist of prompt terms and blocked members, with every change
written beside its audit entry. Read on every request, so both are cached per server. No Discord here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import MemberError
from bot.i18n import N_, _
from bot.notes import Note
from bot.store import Database, GuildStore, MemberBlock, ModerationStore
from bot.store.caching import FreshCache

from .blocklist import Blocklist
from .durations import parse_duration

__all__ = ["BLOCKLIST_MAX", "Moderation", "ModerationError", "Refusal"]

BLOCKLIST_MAX = 500  # terms per server
REASON_MAX = 300

PROMPT_REFUSED = N_("This prompt can't be used in this server. Please word it differently. Nothing was charged.")


class ModerationError(MemberError):
    """A moderator's input could not be applied; the message says why."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: `text` for the member (no rule detail), `term` for the moderators."""

    kind: str  # blocked_term
    text: str
    term: str


class Moderation:
    def __init__(self, db: Database, store: ModerationStore, guilds: GuildStore) -> None:
        self.db = db
        self.store = store
        self.guilds = guilds
        self._lists: FreshCache[int, Blocklist] = FreshCache()
        self._blocks: FreshCache[int, dict[int, MemberBlock]] = FreshCache()

    # --- reading (cached) -----------------------------------------------------------------------

    async def blocklist(self, guild_id: int) -> Blocklist:
        async def load() -> Blocklist:
            return Blocklist(await self.store.terms(guild_id))

        return await self._lists.get(guild_id, load)

    async def _guild_blocks(self, guild_id: int) -> dict[int, MemberBlock]:
        async def load() -> dict[int, MemberBlock]:
            return {b.user_id: b for b in await self.store.blocks(guild_id)}

        return await self._blocks.get(guild_id, load)

    async def block_of(self, guild_id: int, user_id: int) -> MemberBlock | None:
        """The member's block in force now, or None (one that ran out counts as none)."""
        block = (await self._guild_blocks(guild_id)).get(user_id)
        return block if block is not None and block.active(self.db.clock()) else None

    async def blocked(self, guild_id: int) -> list[MemberBlock]:
        now = self.db.clock()
        return [b for b in (await self._guild_blocks(guild_id)).values() if b.active(now)]

    async def prompt_refusal(self, guild_id: int, prompt: str) -> Refusal | None:
        term = (await self.blocklist(guild_id)).match(prompt)
        if term is None:
            return None
        return Refusal("blocked_term", _(PROMPT_REFUSED), term)

    # --- changes, each with its audit entry -----------------------------------------------------

    async def add_terms(self, guild_id: int, actor_id: int, text: str) -> Note:
        """One term, or several separated by commas."""
        try:
            terms = [Blocklist.check_term(t) for t in text.split(",") if t.strip()]
        except ValueError as exc:
            raise ModerationError(str(exc)) from None
        if not terms:
            raise ModerationError(_("Give a word or phrase (several: separate them with commas)."))
        async with self.db.transaction() as tx:
            self._lists.changing(guild_id, tx)
            added = [t for t in terms if await self.store.add_term(tx, guild_id, t, actor_id)]
            if await self.store.count_terms(tx, guild_id) > BLOCKLIST_MAX:
                raise ModerationError(_("A server's blocklist holds at most {n} terms.").format(n=BLOCKLIST_MAX))
            note = Note("blocklist_added", {"n": len(added)}) if added else Note("blocklist_unchanged")
            await self.guilds.audit(tx, guild_id, actor_id, "blocklist", note.dump())
        return note

    async def remove_terms(self, guild_id: int, actor_id: int, text: str) -> Note:
        terms = [" ".join(t.split()) for t in text.split(",") if t.strip()]
        async with self.db.transaction() as tx:
            self._lists.changing(guild_id, tx)
            removed = [t for t in terms if await self.store.remove_term(tx, guild_id, t)]
            if not removed:
                raise ModerationError(_("None of those terms is on the blocklist (`/luma-admin blocklist list`)."))
            note = Note("blocklist_removed", {"n": len(removed)})
            await self.guilds.audit(tx, guild_id, actor_id, "blocklist", note.dump())
        return note

    async def block(
        self, guild_id: int, actor_id: int, user_id: int, reason: str | None, duration: str | None
    ) -> tuple[MemberBlock, Note]:
        try:
            length = parse_duration(duration)
        except ValueError as exc:
            raise ModerationError(str(exc)) from None
        reason = " ".join((reason or "").split())[:REASON_MAX] or None
        now = self.db.clock()
        until: datetime | None = now + length if length else None
        async with self.db.transaction() as tx:
            self._blocks.changing(guild_id, tx)
            await self.store.block(tx, guild_id, user_id, reason, until, actor_id)
            note = Note("blocked", {"member": user_id, "until": until.isoformat() if until else None, "reason": reason})
            await self.guilds.audit(tx, guild_id, actor_id, "block", note.dump())
        return MemberBlock(guild_id, user_id, reason, until, actor_id, now), note

    async def unblock(self, guild_id: int, actor_id: int, user_id: int) -> Note:
        async with self.db.transaction() as tx:
            self._blocks.changing(guild_id, tx)
            if not await self.store.unblock(tx, guild_id, user_id):
                raise ModerationError(_("That member is not blocked."))
            note = Note("unblocked", {"member": user_id})
            await self.guilds.audit(tx, guild_id, actor_id, "unblock", note.dump())
        return note
