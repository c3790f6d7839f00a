"""Gallery links: a pass signed for one member of one server, valid for a while, revoked with the server's epoch.
No Discord here.

The pass is the whole capability (no Discord login to configure): whoever holds a member's link sees that server's
videos as that member would, until it expires or an admin revokes every link (the epoch goes up). It is 32 bytes of
ids and times and a 16-byte HMAC-SHA256 of them under a key kept apart from the callbacks' (derived with its own label),
in URL-safe base64: changing any bit makes it worthless.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock

__all__ = ["Pass", "PassRefused", "Passes"]

_LAYOUT = ">QQQQ"  # guild, member, epoch, expiry (Unix seconds)
_BODY = struct.calcsize(_LAYOUT)
_MAC = 16


class PassRefused(Exception):
    """Why a link does not open the gallery: 'damaged' (not one of ours, or changed) or 'expired'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Pass:
    guild_id: int
    user_id: int
    epoch: int
    expires: datetime


class Passes:
    def __init__(self, secret: str, lifetime_hours: float, clock: Clock) -> None:
        self._key = hmac.new(secret.encode(), b"luma-bot gallery passes", hashlib.sha256).digest()
        self.lifetime = lifetime_hours * 3600
        self.clock = clock

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC]

    def issue(self, guild_id: int, user_id: int, epoch: int) -> tuple[str, datetime]:
        """The link's token, and when it stops working."""
        expires = int(self.clock().timestamp() + self.lifetime)
        body = struct.pack(_LAYOUT, guild_id, user_id, epoch, expires)
        token = base64.urlsafe_b64encode(body + self._mac(body)).decode().rstrip("=")
        return token, datetime.fromtimestamp(expires, tz=self.clock().tzinfo)

    def read(self, token: str) -> Pass:
        """The pass a token carries, checked; raises PassRefused (the epoch is the caller's to check)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise PassRefused("damaged") from None
        body, mac = raw[:_BODY], raw[_BODY:]
        if len(raw) != _BODY + _MAC or not hmac.compare_digest(mac, self._mac(body)):
            raise PassRefused("damaged")
        guild_id, user_id, epoch, expires = struct.unpack(_LAYOUT, body)
        if expires <= self.clock().timestamp():
            raise PassRefused("expired")
        return Pass(guild_id, user_id, epoch, datetime.fromtimestamp(expires, tz=self.clock().tzinfo))
