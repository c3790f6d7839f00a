"""The one kind of error a member may read. No Discord here.

Anything raised while serving a member that is a `MemberError` is their mistake or a refusal, and its
text is written for them; the command tree shows it privately. Any other exception is a bug: it is
logged with its traceback and the member gets a plain sentence (see cogs/luma/_errors.py).
"""

from __future__ import annotations

__all__ = ["InputError", "MemberError"]


class MemberError(Exception):
    """A refusal or a mistake, explained in a sentence the member understands."""


class InputError(MemberError):
    """A member's input was not usable; the message says what to do instead."""
