"""The showcase: results that collect enough ⭐ from other members are reposted once to a server's showcase channel."""

from .service import Board, Showcase

__all__ = ["Board", "Showcase"]
