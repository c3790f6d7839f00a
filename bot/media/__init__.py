"""Keeping the videos: the API's result links are not permanent, so the bot keeps its own copy."""

from .archive import Archiver, DownloadError, KeptFile, files_of
from .links import Links, attachment_link, jump_url, served_key, unsigned
from .serve import MediaRoute

__all__ = [
    "Archiver",
    "DownloadError",
    "KeptFile",
    "Links",
    "MediaRoute",
    "attachment_link",
    "files_of",
    "jump_url",
    "served_key",
    "unsigned",
]
