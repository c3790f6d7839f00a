"""A real browser for the gallery's tests: Debian's Chromium (installed by .ci/run), driven by Playwright for Python
through its executable path. Nothing downloads a browser; the flags keep Chromium off the network it cannot reach
(the machines' closed network refuses its background connections)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

CHROMIUM_FLAGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    raise RuntimeError("Debian's chromium is not installed: apt-get install chromium (.ci/run does)")


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


class PageWatch:
    """What a page did that a person would not see: Content-Security-Policy refusals and failed requests."""

    def __init__(self, page: Any) -> None:
        self.refused: list[str] = []
        self.failed: list[str] = []
        self.media: list[tuple[str, int, str]] = []  # (address, status, type) of every picture and video answered
        page.on("console", self._console)
        page.on("requestfailed", lambda request: self.failed.append(request.url))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.refused.append(message.text)

    def _response(self, response: Any) -> None:
        kind = response.headers.get("content-type", "")
        if kind.startswith(("image/", "video/")) or 300 <= response.status < 400:
            self.media.append((response.url, response.status, kind))

    def loaded(self, kind: str) -> list[int]:
        """The statuses of what came back of this type (image/jpeg, video/mp4), wherever it was served from."""
        return [status for _, status, got in self.media if got.startswith(kind)]
