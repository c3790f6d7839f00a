"""The owner's wallet: what one video costs them (VIDEO_PRICE, in their own unit), what the bot has spent
this month, and the optional bot-wide MONTHLY_BUDGET after which requests are refused. No Discord here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.i18n import _, number

__all__ = ["ALERT_PERCENTS", "BudgetSpent", "Wallet"]

ALERT_PERCENTS = (80, 100)  # the owner is told once a month at each


@dataclass(frozen=True, slots=True)
class Wallet:
    price: float | None = None  # per video; None: spend is not shown
    budget: float | None = None  # per calendar month, bot-wide; None: no budget
    unit: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Wallet:
        return cls(settings.video_price, settings.monthly_budget, settings.price_unit)

    @property
    def video_cap(self) -> int | None:
        """How many videos a month the budget pays for (None: no budget, or videos cost nothing)."""
        if self.budget is None or not self.price:
            return None
        return math.floor(self.budget / self.price + 1e-9)

    def spend(self, videos: int) -> float | None:
        return None if self.price is None else videos * self.price

    def shown(self, amount: float) -> str:
        return _("{amount} {unit}").format(amount=number(amount), unit=self.unit).strip()

    def alert_due(self, videos: int) -> list[int]:
        """The alert levels (percent of the budget) reached with this many videos this month."""
        if self.budget is None or not self.price:
            return []
        spent = videos * self.price
        return [p for p in ALERT_PERCENTS if spent >= self.budget * p / 100 - 1e-9]


class BudgetSpent(Exception):
    """The bot-wide monthly budget is spent: refused at no cost until the month turns."""

    limit = "monthly_budget"
    closed = False

    def __init__(self, frees_at: datetime) -> None:
        self.frees_at = frees_at
        super().__init__(self.describe())

    def describe(self) -> str:
        return _("This bot's budget for this month is spent.")
