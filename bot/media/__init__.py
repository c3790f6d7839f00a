"""Keeping the videos: the API's result links are not permanent, so the bot keeps its own copy."""

from .archive import Archiver, DownloadError, KeptFile, files_of
from .links import Links, attachment_link, jump_url, served_key, unsigned
from .serve import MediaRoute
from .shelf import DiskShelf, S3Place, Shelf, ShelfError, open_shelf

__all__ = [
    "Archiver",
    "DiskShelf",
    "DownloadError",
    "KeptFile",
    "Links",
    "MediaRoute",
    "S3Place",
    "Shelf",
    "ShelfError",
    "attachment_link",
    "files_of",
    "jump_url",
    "open_shelf",
    "served_key",
    "unsigned",
]
