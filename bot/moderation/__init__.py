"""What a server keeps out: blocked prompt terms (folded against disguises) and blocked members."""

from .blocklist import Blocklist, fold
from .durations import parse_duration
from .service import PROMPT_REFUSED, Moderation, ModerationError, Refusal

__all__ = ["PROMPT_REFUSED", "Blocklist", "Moderation", "ModerationError", "Refusal", "fold", "parse_duration"]
