"""The line in front of the API's in-flight cap: fair order, slots, and the cap's adaptation. No Discord,
no database, no clock of its own: the job service feeds it and asks it; everything here is plain logic.

Fair order (each free slot)
    1. the server with the fewest slots in use; among equals, the one whose last start is oldest (one
       that never started comes first; then the one whose oldest waiting job is oldest) — round-robin
       across servers, with a server that holds no slot served before one that holds five, so one busy
       server cannot starve the others (a server asking for 2 behind another's 40 gets the next 2 slots);
    2. within it, the member chosen the same way — round-robin across members;
    3. that member's oldest waiting job — first come, first served.
    A job put back after a 429 goes to the head of its member's queue.
    "Last start" is the time a job was handed to the API, which the jobs table keeps
    (`submit_started_at`), so the order is the same after a restart.

The effective cap (how many tasks may be in flight), written down because the API's number is unconfirmed
    * it starts at LUMA_MAX_IN_FLIGHT;
    * a 429 at submission means the API's own limit is lower (or the token is also used elsewhere): the
      cap drops to the number of tasks in flight when the 429 came (at least 1), and no submission is
      made for a back-off that doubles with each 429 in a row (2 s, 4 s, … at most 60 s);
    * it recovers by one slot per RECOVER_AFTER seconds without a 429, up to LUMA_MAX_IN_FLIGHT.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["Line", "Waiting"]

BACKOFF_FIRST = 2.0
BACKOFF_MAX = 60.0
RECOVER_AFTER = 60.0
DEFAULT_RENDER = 90.0  # seconds a render takes, until the bot has seen some (the API says 1-2 minutes)
RENDER_SAMPLES = 20


@dataclass(slots=True)
class Waiting:
    job_id: str
    guild_id: int
    user_id: int
    seq: int  # arrival order (older first); a job put back after a 429 gets a lower one
    since: float  # when it started waiting (the caller's clock, seconds)
    concurrent: int | None = -1  # its member's cap on videos rendering at once (Job.member_concurrent)


@dataclass
class Line:
    max_in_flight: int
    cap: int = 0
    waiting: dict[str, Waiting] = field(default_factory=dict)
    rendering: dict[str, Waiting] = field(default_factory=dict)  # job id -> the entry that took the slot
    guild_started: dict[int, float] = field(default_factory=dict)
    member_started: dict[tuple[int, int], float] = field(default_factory=dict)
    paused_until: float = 0.0
    _backoff: float = 0.0
    _last_429: float = -math.inf
    _last_recover: float = 0.0
    _seq: int = 0
    _renders: deque[float] = field(default_factory=lambda: deque(maxlen=RENDER_SAMPLES))

    def __post_init__(self) -> None:
        self.cap = self.cap or self.max_in_flight

    # --- what changes it ---------------------------------------------------------------------------

    def add(
        self,
        job_id: str,
        guild_id: int,
        user_id: int,
        since: float,
        *,
        head: bool = False,
        concurrent: int | None = -1,
    ) -> None:
        self._seq += 1
        seq = -self._seq if head else self._seq
        self.waiting[job_id] = Waiting(job_id, guild_id, user_id, seq, since, concurrent)

    def ahead_if_added(self, guild_id: int, user_id: int, now: float) -> int:
        """How many would be ahead of a new job of this member, were it added now."""
        self.add("\0probe", guild_id, user_id, now)
        try:
            return self.positions()["\0probe"]
        finally:
            self.remove("\0probe")

    def remove(self, job_id: str) -> Waiting | None:
        return self.waiting.pop(job_id, None)

    def start(self, job_id: str, now: float) -> None:
        """A waiting job takes a slot (it is being sent to the API)."""
        entry = self.waiting.pop(job_id)
        self.rendering[job_id] = entry
        self.note_start(entry.guild_id, entry.user_id, now)

    def note_start(self, guild_id: int, user_id: int, when: float) -> None:
        self.guild_started[guild_id] = max(self.guild_started.get(guild_id, when), when)
        key = (guild_id, user_id)
        self.member_started[key] = max(self.member_started.get(key, when), when)

    def occupy(self, job_id: str, guild_id: int, user_id: int) -> None:
        """A job in flight when the bot started: it holds a slot."""
        self.rendering[job_id] = Waiting(job_id, guild_id, user_id, 0, 0.0)

    def finish(self, job_id: str, render_seconds: float | None = None) -> bool:
        """A slot frees (completed, failed, timed out); True if the job held one."""
        if render_seconds is not None and render_seconds > 0:
            self._renders.append(render_seconds)
        return self.rendering.pop(job_id, None) is not None

    def rate_limited(self, job_id: str, now: float) -> None:
        """The API answered 429 to this job's submission: back to the head of the line, cap lowered."""
        entry = self.rendering.pop(job_id)
        self.add(job_id, entry.guild_id, entry.user_id, entry.since, head=True, concurrent=entry.concurrent)
        self.cap = max(1, min(self.cap, len(self.rendering)))
        fresh = now - self._last_429 > BACKOFF_MAX * 2  # the first 429 in a while
        self._backoff = BACKOFF_FIRST if fresh else min(BACKOFF_MAX, self._backoff * 2)
        self._last_429 = now
        self._last_recover = now
        self.paused_until = now + self._backoff

    def recover(self, now: float) -> None:
        if self.cap < self.max_in_flight and now - max(self._last_429, self._last_recover) >= RECOVER_AFTER:
            self.cap += 1
            self._last_recover = now

    # --- what it answers ---------------------------------------------------------------------------

    @property
    def free_slots(self) -> int:
        return max(0, self.cap - len(self.rendering))

    def rendering_count(self, guild_id: int, user_id: int | None = None) -> int:
        return sum(
            1 for r in self.rendering.values() if r.guild_id == guild_id and (user_id is None or r.user_id == user_id)
        )

    def waiting_count(self, guild_id: int, user_id: int | None = None) -> int:
        return sum(
            1 for w in self.waiting.values() if w.guild_id == guild_id and (user_id is None or w.user_id == user_id)
        )

    def order(self, eligible: Callable[[Waiting], bool] = lambda w: True) -> Iterator[Waiting]:
        """The waiting jobs in the order free slots will go to them (skipping those not `eligible`).
        Heaps of servers and of each server's members: O(n log n) for n waiting jobs."""
        queues: dict[tuple[int, int], deque[Waiting]] = {}
        for entry in sorted(self.waiting.values(), key=lambda w: w.seq):
            if eligible(entry):
                queues.setdefault((entry.guild_id, entry.user_id), deque()).append(entry)
        used: Counter[tuple[int, int] | int] = Counter()  # slots in use (as the order hands them out)
        for r in self.rendering.values():
            used[r.guild_id] += 1
            used[(r.guild_id, r.user_id)] += 1
        # heaps of (slots in use, last start, oldest seq, id): guild -> its members, and the servers
        members: dict[int, list[tuple[int, float, int, int]]] = {}
        for (guild, user), queue in queues.items():
            last = self.member_started.get((guild, user), -math.inf)
            heapq.heappush(members.setdefault(guild, []), (used[(guild, user)], last, queue[0].seq, user))
        servers = [
            (used[g], self.guild_started.get(g, -math.inf), min(m[2] for m in heap), g) for g, heap in members.items()
        ]
        heapq.heapify(servers)
        tick = max([*self.guild_started.values(), *self.member_started.values(), 0.0])
        while servers:
            *_, guild = heapq.heappop(servers)
            *_, user = heapq.heappop(members[guild])
            queue = queues[(guild, user)]
            entry = queue.popleft()
            tick += 1.0
            used[guild] += 1
            used[(guild, user)] += 1
            if queue:
                heapq.heappush(members[guild], (used[(guild, user)], tick, queue[0].seq, user))
            if members[guild]:
                heapq.heappush(servers, (used[guild], tick, min(m[2] for m in members[guild]), guild))
            yield entry

    def positions(self) -> dict[str, int]:
        """How many jobs are ahead of each waiting job."""
        return {entry.job_id: ahead for ahead, entry in enumerate(self.order())}

    @property
    def render_seconds(self) -> float:
        """A typical render, from the recent ones (the median), or the API's own estimate."""
        if not self._renders:
            return DEFAULT_RENDER
        ordered = sorted(self._renders)
        return ordered[len(ordered) // 2]

    def estimated_wait(self, ahead: int) -> float:
        """Seconds until a job with `ahead` jobs in front of it takes a slot (0 when one is free)."""
        if ahead < self.free_slots:
            return 0.0
        rounds = (ahead - self.free_slots) // max(1, self.cap) + 1
        return rounds * self.render_seconds
