"""One backup archive, the same for SQLite and PostgreSQL: every table as of one instant, read through the store
(its `snapshot`), as JSON lines in a gzip'd tar, with a manifest of the schema version, each table's row count and
each member's SHA-256; with `media`, the kept copies on the disk too. Restored only after every check passes.
No Discord here."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import os
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.clock import Clock, iso, system_clock
from bot.store.transfer import TABLES, read_table

__all__ = ["FORMAT", "ArchiveError", "Backup", "read_backup", "write_backup"]

FORMAT = 1  # the archive's own layout; a newer one is refused by this code
MANIFEST = "manifest.json"


class ArchiveError(Exception):
    """The archive cannot be used; `reason` names why (damaged, tampered, newer): nothing was written."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)  # i18n: not text (the owner reads _reason)


@dataclass
class Backup:
    """What an archive holds, once checked."""

    schema_version: int
    created_at: str
    tables: dict[str, list[dict[str, Any]]]
    media: dict[str, bytes] = field(default_factory=dict)  # a kept copy's path under MEDIA_DIR -> its bytes

    @property
    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.tables.items()}


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> str:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(data).hexdigest()


async def write_backup(db: Any, dest: Path, *, media_dir: Path | None = None, clock: Clock = system_clock) -> Backup:
    """Read every table as of one instant (the store's snapshot), then write the archive beside `dest` and move it
    into place once whole (a failure leaves no half archive); the files are written off the event loop."""
    version = await db.schema_version()
    async with db.snapshot() as reader:
        tables = {table: await read_table(reader, table) for table in TABLES}
    made = Backup(version, iso(clock()), tables)
    await asyncio.to_thread(_write_archive, made, dest, media_dir)
    return made


def _write_archive(made: Backup, dest: Path, media_dir: Path | None) -> None:
    partial = dest.with_name(dest.name + ".partial")
    manifest: dict[str, Any] = {"format": FORMAT, "schema_version": made.schema_version, "created_at": made.created_at}
    sums: dict[str, str] = {}
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the tokens of jobs in flight
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for table, rows in made.tables.items():
                lines = "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)
                sums[f"tables/{table}.jsonl"] = _add(tar, f"tables/{table}.jsonl", lines.encode())
            for path in sorted(media_dir.rglob("*")) if media_dir is not None and media_dir.is_dir() else []:
                if path.is_file() and not path.name.endswith(".partial"):
                    name = f"media/{path.relative_to(media_dir).as_posix()}"
                    sums[name] = _add(tar, name, path.read_bytes())
            manifest["counts"] = made.counts
            manifest["sha256"] = sums
            _add(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


def read_backup(path: Path, known_version: int) -> Backup:
    """The archive's contents, once every check passed: it opens whole, its format and schema are ones this code
    knows, every member has the checksum the manifest gives, every table the row count."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            data = {name: (tar.extractfile(m) or io.BytesIO()).read() for name, m in members.items()}
    except (tarfile.TarError, EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
        raise ArchiveError("damaged", f"{type(exc).__name__}: {exc}") from None  # i18n: not text (its own words)
    try:
        manifest = json.loads(data[MANIFEST])
        if manifest.get("format") != FORMAT:
            raise ArchiveError("format", str(manifest.get("format")))
        version, sums, counts = int(manifest["schema_version"]), manifest["sha256"], manifest["counts"]
    except (KeyError, ValueError, TypeError) as exc:
        raise ArchiveError("damaged", MANIFEST) from exc
    if version > known_version:
        raise ArchiveError("newer", str(version))
    if set(sums) != set(data) - {MANIFEST}:
        raise ArchiveError("tampered", MANIFEST)  # members added or taken away
    for name, digest in sums.items():
        if hashlib.sha256(data[name]).hexdigest() != digest:
            raise ArchiveError("tampered", name)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        name = f"tables/{table}.jsonl"
        rows = [json.loads(line) for line in data.get(name, b"").decode().splitlines() if line]
        if len(rows) != counts.get(table, 0 if name not in data else -1):
            raise ArchiveError("tampered", name)  # not the rows its manifest counts
        tables[table] = rows
    media = {name.removeprefix("media/"): blob for name, blob in data.items() if name.startswith("media/")}
    return Backup(version, str(manifest["created_at"]), tables, media)
