"""Per-guild quotas: limits, atomic reservations, charges and refunds. No Discord here."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta

from bot.config import Settings
from bot.i18n import N_, _
from bot.moderation.wallet import BudgetSpent, Wallet
from bot.store import Database, QuotaStore, Tx, Usage
from bot.store.quotas import Bonus

__all__ = [
    "LIMIT_LABELS",
    "MEMBER_LIMITS",
    "Limits",
    "MemberLimits",
    "QuotaExceeded",
    "QuotaService",
    "QuotaStatus",
    "most_generous",
]

LIMIT_LABELS = {  # shown translated: _(LIMIT_LABELS[name])
    "guild_daily": N_("videos per day for this server"),
    "guild_monthly": N_("videos per month for this server"),
    "member_daily": N_("videos per day for each member"),
    "member_monthly": N_("videos per month for each member"),
    "guild_concurrent": N_("videos in progress at once for this server"),
    "member_concurrent": N_("videos in progress at once for each member"),
    "member_cooldown": N_("seconds between two videos of one member"),
    "guild_waiting": N_("videos waiting in line at once for this server"),
    "member_waiting": N_("videos waiting in line at once for each member"),
}


@dataclass(frozen=True, slots=True)
class Limits:
    """None means unlimited; 0 closes the feature."""

    guild_daily: int | None = None
    guild_monthly: int | None = None
    member_daily: int | None = None
    member_monthly: int | None = None
    guild_concurrent: int | None = None
    member_concurrent: int | None = None
    member_cooldown: int | None = None
    guild_waiting: int | None = None
    member_waiting: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(**{f.name: getattr(settings, f"quota_{f.name}") for f in fields(cls)})

    def with_overrides(self, overrides: dict[str, int | None]) -> Limits:
        """A server's own limits within these (the owner's): each as strict as the stricter of the two, so a server
        may lower a limit, never lift it (an override saved before this rule is held to it too)."""
        return replace(self, **{k: stricter(k, getattr(self, k), v) for k, v in overrides.items() if k in LIMIT_LABELS})

    def looser(self, name: str, value: int | None) -> bool:
        """Whether `value` would allow more than this limit does (the owner's ceiling for a server's value)."""
        return stricter(name, getattr(self, name), value) != value


MEMBER_LIMITS = ("member_daily", "member_monthly", "member_concurrent", "member_cooldown", "member_waiting")
FLOORS = frozenset({"member_cooldown"})  # the higher, the stricter: the owner's value is the least a server may set


def stricter(name: str, owner: int | None, server: int | None) -> int | None:
    """The stricter of two values of one limit; None is no limit."""
    if name in FLOORS:
        return None if owner is None and server is None else max(owner or 0, server or 0)
    if owner is None or server is None:
        return server if owner is None else owner
    return min(owner, server)


def most_generous(name: str, values: list[int | None]) -> int | None:
    """The most generous of several tiers' values of one limit (None is no limit; a cooldown: the shortest)."""
    if any(v is None for v in values):
        return None
    numbers = [v for v in values if v is not None]
    return min(numbers) if name in FLOORS else max(numbers)


@dataclass(frozen=True, slots=True)
class MemberLimits:
    """The limits one member meets: the server's, with each member limit that one of their tiered roles sets
    replaced by the most generous such value (a tier may be more generous than the server's and the owner's member
    limits, as the exempt role was: the server's own caps and the owner's budget still hold for everyone)."""

    limits: Limits
    tier_roles: tuple[int, ...] = ()  # the member's roles that are tiers
    tiered: frozenset[str] = frozenset()  # the member limits their tiers decide

    def member_concurrent(self, server_limit: int) -> int | None:
        """The cap a waiting job carries (bot/store/jobs.py SERVER_LIMIT: the server's, read when a slot frees)."""
        return self.limits.member_concurrent if "member_concurrent" in self.tiered else server_limit


def _in_flight_cap(concurrent: int | None, waiting: int | None) -> int | None:
    """How many may be in flight (rendering or waiting): None is unlimited; 0 concurrent closes."""
    if concurrent == 0:
        return 0
    return None if concurrent is None or waiting is None else concurrent + waiting


def next_day(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=moment.tzinfo) + timedelta(days=1)


def next_month(moment: datetime) -> datetime:
    if moment.month == 12:
        return datetime(moment.year + 1, 1, 1, tzinfo=moment.tzinfo)
    return datetime(moment.year, moment.month + 1, 1, tzinfo=moment.tzinfo)


class QuotaExceeded(Exception):
    """A reservation was refused: which limit, and when it frees up (None: when a video finishes)."""

    def __init__(self, limit: str, value: int, frees_at: datetime | None) -> None:
        self.limit = limit
        self.value = value
        self.frees_at = frees_at
        super().__init__(self.describe())

    @property
    def closed(self) -> bool:
        return self.value == 0

    def describe(self) -> str:
        label = _(LIMIT_LABELS[self.limit])
        if self.limit.endswith("_waiting"):
            if self.closed:
                return _("Video making is closed here (an admin set the videos in progress at once to 0).")
            if self.limit.startswith("member"):
                return _(
                    "The limit of {value} videos in progress or waiting in line for each member is reached."
                ).format(value=self.value)
            return _("The limit of {value} videos in progress or waiting in line for this server is reached.").format(
                value=self.value
            )
        if self.closed:
            return _("Video making is closed here (an admin set {label} to 0).").format(label=label)
        if self.limit == "member_cooldown":
            return _("Please wait a little between videos ({value} {label}).").format(value=self.value, label=label)
        return _("The limit of {value} {label} is reached.").format(value=self.value, label=label)


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    limits: Limits
    usage: Usage
    day_resets: datetime
    month_resets: datetime
    cooldown_until: datetime | None
    tier_roles: tuple[int, ...] = ()
    bonus: list[Bonus] = field(default_factory=list)

    @property
    def bonus_left(self) -> int:
        return sum(b.left for b in self.bonus)

    def left(self, limit: str, used: int) -> int | None:
        value = getattr(self.limits, limit)
        return None if value is None else max(0, value - used)


class QuotaService:
    def __init__(self, db: Database, store: QuotaStore, defaults: Limits, wallet: Wallet | None = None) -> None:
        self.db = db
        self.store = store
        self.defaults = defaults
        self.wallet = wallet or Wallet()

    async def limits(self, guild_id: int, tx: Tx | None = None) -> Limits:
        """The server's limits (the owner's, as strict as the server made them), without any member's tier."""
        return self.defaults.with_overrides(await self.store.overrides(guild_id, tx))

    async def member_limits(self, guild_id: int, role_ids: Collection[int] = (), tx: Tx | None = None) -> MemberLimits:
        server, tiers = await self.store.limit_rows(guild_id, role_ids, tx)
        limits = self.defaults.with_overrides(server)
        if not tiers:
            return MemberLimits(limits)
        named = {name for tier in tiers.values() for name in tier}
        tiered = frozenset(name for name in MEMBER_LIMITS if name in named)
        generous = {name: most_generous(name, [t[name] for t in tiers.values() if name in t]) for name in tiered}
        return MemberLimits(replace(limits, **generous), tuple(sorted(tiers)), tiered)

    @staticmethod
    def _periods(now: datetime) -> tuple[str, str]:
        return now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")

    async def reserve(
        self, tx: Tx, guild_id: int, user_id: int, job_id: str, member: MemberLimits | None = None
    ) -> int | None:
        """Check every limit and hold one unit, inside the caller's transaction (all or nothing).

        `member`: the limits this member meets (their tiers; `member_limits`, read in the same transaction). Once
        their daily or monthly allowance is spent, a grant of bonus videos pays (the soonest to expire first); the
        server's own daily, monthly and concurrency caps, and the bot-wide monthly budget, hold for everyone.
        Returns the budget alert (percent) this video reached for the first time this month, if any.
        """
        now = self.db.clock()
        day, month = self._periods(now)
        limits = (member or await self.member_limits(guild_id, (), tx)).limits
        monthly = limits.member_monthly is not None
        usage = await self.store.usage(tx, guild_id, user_id, day, month, monthly=monthly)
        # In flight = rendering + waiting in line: the concurrency limits apply when a slot is given
        # (bot/jobs/line.py); here a request is refused only once the line for it is full as well.
        checks: list[tuple[str, int, int | None, datetime | None]] = [
            ("guild_daily", usage.guild_day, limits.guild_daily, next_day(now)),
            ("guild_monthly", usage.guild_month, limits.guild_monthly, next_month(now)),
            ("guild_waiting", usage.guild_held, _in_flight_cap(limits.guild_concurrent, limits.guild_waiting), None),
        ]
        for name, used, cap, frees_at in checks:
            if cap is not None and used >= cap:
                raise QuotaExceeded(name, cap, frees_at if cap else None)
        grant_id = await self._allowance(tx, guild_id, user_id, limits, usage, now)  # a grant pays past these
        in_flight = _in_flight_cap(limits.member_concurrent, limits.member_waiting)
        if in_flight is not None and usage.member_held >= in_flight:
            raise QuotaExceeded("member_waiting", in_flight, None)
        cooldown = limits.member_cooldown
        if cooldown is not None and usage.member_last is not None:
            ready = usage.member_last + timedelta(seconds=cooldown)
            if now < ready:
                raise QuotaExceeded("member_cooldown", cooldown, ready)
        cap = self.wallet.video_cap
        spent = await self.store.month_total(tx, month) if cap is not None else 0
        if cap is not None and spent >= cap:
            raise BudgetSpent(next_month(now))
        await self.store.hold(tx, guild_id, user_id, job_id, day, month, grant_id)
        alert = None
        for percent in self.wallet.alert_due(spent + 1):
            if await self.store.record_alert(tx, month, percent):
                alert = percent
        return alert

    async def _allowance(
        self, tx: Tx, guild_id: int, user_id: int, limits: Limits, usage: Usage, now: datetime
    ) -> str | None:
        """None when the member's own daily and monthly allowance pays; else the grant that pays, or the refusal."""
        for name, used, cap, frees_at in (
            ("member_daily", usage.member_day, limits.member_daily, next_day(now)),
            ("member_monthly", usage.member_month, limits.member_monthly, next_month(now)),
        ):
            if cap is not None and used >= cap:
                if cap > 0:  # 0 closes making videos: no grant reopens it
                    bonus = await self.store.bonus(tx, guild_id, user_id)
                    if bonus:
                        return bonus[0].grant_id
                raise QuotaExceeded(name, cap, frees_at if cap else None)
        return None

    async def month_spend(self) -> tuple[int, str]:
        """Videos charged or in progress this month, bot-wide, and the month."""
        month = self._periods(self.db.clock())[1]
        return await self.store.month_total(None, month), month

    async def charge(self, tx: Tx, job_id: str, *, even_if_refunded: bool = False) -> bool:
        return await self.store.settle(tx, job_id, "charged", from_refunded=even_if_refunded)

    async def refund(self, tx: Tx, job_id: str) -> bool:
        return await self.store.settle(tx, job_id, "refunded")

    async def status(self, guild_id: int, user_id: int, role_ids: Collection[int] = ()) -> QuotaStatus:
        now = self.db.clock()
        day, month = self._periods(now)
        member = await self.member_limits(guild_id, role_ids)
        monthly = member.limits.member_monthly is not None
        usage = await self.store.usage(None, guild_id, user_id, day, month, monthly=monthly)
        cooldown_until = None
        if member.limits.member_cooldown and usage.member_last is not None:
            ready = usage.member_last + timedelta(seconds=member.limits.member_cooldown)
            cooldown_until = ready if ready > now else None
        bonus = await self.store.bonus(None, guild_id, user_id)
        return QuotaStatus(
            member.limits, usage, next_day(now), next_month(now), cooldown_until, member.tier_roles, bonus
        )

    async def release_orphans(self) -> int:
        return await self.store.release_orphans()
