"""A real small disk for the tests that need one full: a tmpfs mounted on a temporary folder (the tests
run as root here and on CI), filled by a real file until the kernel says ENOSPC."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler.bin"

    def fill(self) -> None:
        """Write until the disk is full: the next write anyone makes there fails with ENOSPC."""
        with open(self.filler, "ab") as out:
            chunk = b"\0" * 65536
            try:
                while True:
                    out.write(chunk)
                    out.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
        with contextlib.suppress(OSError), open(self.filler, "ab") as out:  # the last few bytes too
            while True:
                out.write(b"\0")
                out.flush()

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@contextlib.contextmanager
def small_disk(where: Path, size: str = "4m") -> Iterator[SmallDisk]:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)], check=True)
    try:
        yield SmallDisk(where)
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def read_only(where: Path) -> None:
    """Make a mounted small disk read-only (root ignores file modes, so a mount is the honest way)."""
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
    assert not os.access(where, os.W_OK) or os.statvfs(where).f_flag & os.ST_RDONLY
