"""The optional features' modules (PostgreSQL, an S3 bucket), imported only when their setting is used; when
their extra is not installed, one sentence says which to install instead of a traceback."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtra", "needs_extra"]


class MissingExtra(Exception):
    """A setting asks for an optional feature whose extra is not installed (the message says which)."""


def needs_extra(extra: str, module: str, setting: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(
            f"{setting} needs the {extra} extra, which is not installed (no {exc.name or 'module'}): "
            f"pip install 'luma-bot[{extra}]'"
        ) from None
