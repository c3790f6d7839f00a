"""Stars and the showcase: who starred each result, and which results were reposted to a server's showcase channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .db import Database, Tx

__all__ = ["Showcased", "StarStore"]


@dataclass(frozen=True, slots=True)
class Showcased:
    """A result's place in the showcase: 'posting' (claimed, not yet sent), 'posted' or 'removed' (for good)."""

    video_id: str
    guild_id: int
    channel_id: int
    message_id: int | None
    state: str
    stars_shown: int
    attached: int = 0  # the post carries the video as a file (else its link)


_COLUMNS = "video_id, guild_id, channel_id, message_id, state, stars_shown, attached"


def _showcased(row: Any) -> Showcased:
    return Showcased(**{k: row[k] for k in row.keys()})


class StarStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- stars: a set per video, its size kept in videos.stars ------------------------------------------------

    async def star(self, video_id: str, user_id: int) -> int:
        """One more member starred it (again: nothing changes). Returns the count."""
        async with self.db.transaction() as tx:
            added = await tx.execute(
                "INSERT INTO stars (video_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING", (video_id, user_id)
            )
            return await self._counted(tx, video_id, changed=added == 1)

    async def unstar(self, video_id: str, user_id: int | None = None) -> int:
        """A member took their star back (None: every star went, the reactions were cleared). The count."""
        async with self.db.transaction() as tx:
            if user_id is None:
                gone = await tx.execute("DELETE FROM stars WHERE video_id = ?", (video_id,))
            else:
                gone = await tx.execute("DELETE FROM stars WHERE video_id = ? AND user_id = ?", (video_id, user_id))
            return await self._counted(tx, video_id, changed=gone > 0)

    async def recount(self, video_id: str, user_ids: set[int]) -> int:
        """The stars as Discord lists them now (after the bot was away, or before a result is showcased)."""
        async with self.db.transaction() as tx:
            rows = await tx.fetchall("SELECT user_id FROM stars WHERE video_id = ?", (video_id,))
            known = {int(r["user_id"]) for r in rows}
            for user_id in known - user_ids:
                await tx.execute("DELETE FROM stars WHERE video_id = ? AND user_id = ?", (video_id, user_id))
            await tx.executemany(
                "INSERT INTO stars (video_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(video_id, u) for u in user_ids - known],
            )
            return await self._counted(tx, video_id, changed=known != user_ids)

    @staticmethod
    async def _counted(tx: Tx, video_id: str, *, changed: bool) -> int:
        if changed:
            await tx.execute(
                "UPDATE videos SET stars = (SELECT COUNT(*) FROM stars WHERE video_id = ?) WHERE video_id = ?",
                (video_id, video_id),
            )
        row = await tx.fetchone("SELECT stars FROM videos WHERE video_id = ?", (video_id,))
        return int(row["stars"]) if row else 0

    # --- the showcase --------------------------------------------------------------------------------------------

    async def claim(self, video_id: str, guild_id: int, channel_id: int) -> bool:
        """Claim the result for the showcase; False if it was claimed before (posted, posting, or removed)."""
        claimed = await self.db.execute(
            "INSERT INTO showcase (video_id, guild_id, channel_id, state, created_at) VALUES (?, ?, ?, 'posting', ?)"
            " ON CONFLICT DO NOTHING",
            (video_id, guild_id, channel_id, self.db.now()),
        )
        return claimed == 1

    async def posted(self, video_id: str, message_id: int, stars: int, attached: bool) -> bool:
        """Its showcase post was sent; False when it was removed meanwhile (the caller deletes the post)."""
        changed = await self.db.execute(
            "UPDATE showcase SET message_id = ?, state = 'posted', stars_shown = ?, attached = ? WHERE video_id = ?"
            " AND state = 'posting'",
            (message_id, stars, int(attached), video_id),
        )
        return changed == 1

    async def shown(self, video_id: str, stars: int) -> None:
        await self.db.execute("UPDATE showcase SET stars_shown = ? WHERE video_id = ?", (stars, video_id))

    async def unclaim(self, video_id: str) -> None:
        """The post could not be sent for good (the channel is gone): another star may try again."""
        await self.db.execute("DELETE FROM showcase WHERE video_id = ? AND state = 'posting'", (video_id,))

    async def get(self, video_id: str) -> Showcased | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM showcase WHERE video_id = ?", (video_id,))
        return _showcased(row) if row else None

    async def remove(self, video_id: str, by: int, guild_id: int) -> Showcased | None:
        """Never (again) in the showcase; the entry as it was, whose post the caller deletes. (One that was never
        posted is kept as removed with no channel: 0.)"""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(f"SELECT {_COLUMNS} FROM showcase WHERE video_id = ?", (video_id,))
            await tx.execute(
                "INSERT INTO showcase (video_id, guild_id, channel_id, state, created_at, removed_by)"
                " VALUES (?, ?, 0, 'removed', ?, ?)"
                " ON CONFLICT (video_id) DO UPDATE SET state = 'removed', removed_by = excluded.removed_by",
                (video_id, guild_id, self.db.now(), by),
            )
        return _showcased(row) if row else None

    async def unsent(self) -> list[Showcased]:
        """Claimed but not recorded as sent: a stop between the two (sent again, with the same nonce)."""
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM showcase WHERE state = 'posting'")
        return [_showcased(r) for r in rows]
