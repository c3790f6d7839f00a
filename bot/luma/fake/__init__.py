"""A fake AceDataCloud Luma API on aiohttp: the test double and a free dev mode (`luma-bot fake-luma`, `luma-bot try`).

It follows ../shared/luma-api.md: bearer-token checks, the real API's validation of each action, the seed's response
shapes, async acknowledgements, callbacks, task retrieval, and error injection. Its parts: records.py (tokens, tasks,
the fields and errors of the real API), knobs.py (its state and what a test sets), tasks.py (a task's life and the
CDN of result files), server.py (the routes). Its own tests: tests/fakes/test_fake_luma.py.
"""

from .records import CDN, MEDIA, REFUSED, Credential, FakeTask
from .server import FakeLuma, serve

__all__ = ["CDN", "MEDIA", "REFUSED", "Credential", "FakeLuma", "FakeTask", "serve"]
