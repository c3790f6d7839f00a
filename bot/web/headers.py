"""The headers of the bot's own web pages (the gallery): what a browser may load for them."""

from __future__ import annotations

__all__ = ["page_policy"]


def page_policy(own: str | None, hosts: set[str]) -> str:
    """The page's Content-Security-Policy: nothing by default; its stylesheet from the bot; pictures and videos from
    the bot and the hosts this page plays from; no script, no frame, forms only back to itself."""
    listed = " ".join(sorted(hosts))
    directives = [
        "default-src 'none'",
        f"style-src 'self' {own or ''}".rstrip(),
        f"img-src 'self' {listed}".rstrip(),
        f"media-src 'self' {listed}".rstrip(),
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)
