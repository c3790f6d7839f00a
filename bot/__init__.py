"""luma-bot: make AI videos with Luma from Discord."""

__version__ = "0.1.0"
