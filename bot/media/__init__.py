"""Keeping the videos: the API's result links are not permanent, so the bot keeps its own copy."""

from .archive import Archiver, DownloadError

__all__ = ["Archiver", "DownloadError"]
