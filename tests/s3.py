"""A real S3-compatible server for the tests, on 127.0.0.1: moto's server mode in a process of its own (its
S3 part: the same REST API, signatures, multipart uploads and presigned links as AWS). Started once per test
session, stopped at its end; one bucket per test."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
import urllib.request
from typing import Any

from bot.web.serving import free_port

__all__ = ["S3Server"]

KEY_ID, SECRET = "luma-test-key", "luma-test-secret"


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)

    def start(self) -> S3Server:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2):
                    return self
            except OSError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None

    def env(self, bucket: str) -> dict[str, str]:
        """The bot's settings for `bucket` on this server."""
        return {
            "MEDIA_S3_BUCKET": bucket,
            "MEDIA_S3_ENDPOINT_URL": self.url,
            "MEDIA_S3_REGION": "us-east-1",
            "MEDIA_S3_ACCESS_KEY_ID": KEY_ID,
            "MEDIA_S3_SECRET_ACCESS_KEY": SECRET,
        }

    def client(self) -> Any:
        """An aiobotocore client context for looking into the buckets (`async with server.client() as s3`)."""
        from aiobotocore.session import get_session

        return get_session().create_client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )

    async def new_bucket(self) -> str:
        name = f"luma-test-{next(self._names)}"
        async with self.client() as s3:
            await s3.create_bucket(Bucket=name)
        return name

    async def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object in `bucket`, by key, with its bytes."""
        found: dict[str, bytes] = {}
        async with self.client() as s3:
            listing = await s3.list_objects_v2(Bucket=bucket)
            for item in listing.get("Contents", []):
                answer = await s3.get_object(Bucket=bucket, Key=item["Key"])
                async with answer["Body"] as body:
                    found[item["Key"]] = await body.read()
        return found
