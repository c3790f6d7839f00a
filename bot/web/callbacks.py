"""Signed callback URLs: the API's callbacks are not signed, so each job gets an unguessable path."""

from __future__ import annotations

import hashlib
import hmac

from bot.config import Secret

__all__ = ["CallbackSigner"]


class CallbackSigner:
    def __init__(self, secret: Secret, public_base_url: str | None) -> None:
        self._key = secret.get().encode()
        self._base = public_base_url.rstrip("/") if public_base_url else None

    def __repr__(self) -> str:
        return f"<CallbackSigner base={self._base!r}>"

    def signature(self, job_id: str) -> str:
        return hmac.new(self._key, f"luma-callback:{job_id}".encode(), hashlib.sha256).hexdigest()[:40]

    def verify(self, job_id: str, signature: str) -> bool:
        """Constant-time; any text at all (a stranger may send `%C3%A9`) is simply not a signature."""
        return hmac.compare_digest(self.signature(job_id).encode(), signature.encode("utf-8", "replace"))

    def url_for(self, job_id: str) -> str | None:
        """The callback URL of a job, or None when no public URL is configured (poll instead)."""
        if self._base is None:
            return None
        return f"{self._base}/luma/callback/{job_id}/{self.signature(job_id)}"
