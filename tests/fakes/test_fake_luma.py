"""The fake Luma API's own rules, each as AceDataCloud documents it (or, where the docs leave it open, as a knob
that can produce either answer). A rule the fake does not know is a bug the real API will find for us."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bot.luma.fake import FakeLuma

TOKEN = "fake-token"


async def post(http: aiohttp.ClientSession, fake: FakeLuma, path: str, body: Any, token: str = TOKEN) -> tuple:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(fake.url + path, json=body, headers=headers) as response:
        return response.status, await response.json()


async def test_the_gateway_judges_the_credential_before_the_body(http: aiohttp.ClientSession) -> None:
    """AceDataCloud's `authentication.mdx` (常见认证 / 计费错误): 401 invalid_token, token_expired and token_mismatched
    (a service credential used for another service), 403 disabled and used_up, all from the gateway, before the
    service reads the body; Luma's Tasks API is a service of its own (`guides/luma/luma_tasks.mdx`)."""
    async with FakeLuma(token=TOKEN) as fake:
        fake.add_token("expired", state="expired")
        fake.add_token("tasks-only", services=("/luma/tasks",))
        fake.add_token("disabled", state="disabled")
        fake.add_token("broke", state="used_up")
        empty = {"action": "generate", "prompt": ""}  # a body the service refuses (400: prompt is required)
        assert (await post(http, fake, "/luma/videos", empty, "nobody"))[1]["error"]["code"] == "invalid_token"
        for token, status, code in [
            ("expired", 401, "token_expired"),
            ("tasks-only", 401, "token_mismatched"),
            ("disabled", 403, "disabled"),
            ("broke", 403, "used_up"),
            (TOKEN, 400, "bad_request"),
        ]:
            answered, body = await post(http, fake, "/luma/videos", empty, token)
            assert (answered, body["error"]["code"]) == (status, code), token
        # reading tasks costs nothing: an empty balance still reads them; the tasks-only credential too
        for token in ("broke", "tasks-only"):
            answered, body = await post(http, fake, "/luma/tasks", {"action": "retrieve", "id": "x"}, token)
            assert (answered, body["error"]["code"]) == (404, "not_found")
        assert fake.tasks == {}, "nothing was created"


async def test_an_async_submission_is_accepted_and_refused_inside_the_task(http: aiohttp.ClientSession) -> None:
    """With `async` (or a callback) the API answers with a task id at once; Luma's moderation then speaks in the
    task's `response` (`error.code` forbidden), while a blocking call is refused with a 403 (`forbidden` in
    authentication.mdx's 403 list)."""
    async with FakeLuma(token=TOKEN, delay=0.05) as fake:
        body = {"action": "generate", "prompt": "a forbidden-topic scene", "async": True}
        status, ack = await post(http, fake, "/luma/videos", body)
        assert status == 200 and set(ack) == {"task_id"}
        await fake.wait_done(ack["task_id"])
        _, record = await post(http, fake, "/luma/tasks", {"action": "retrieve", "id": ack["task_id"]})
        assert record["response"]["success"] is False and record["response"]["error"]["code"] == "forbidden"
        assert record["finished_at"] is not None

        blocking = {"action": "generate", "prompt": "a forbidden-topic scene", "timeout": 5}
        status, refused = await post(http, fake, "/luma/videos", blocking)
        assert (status, refused["error"]["code"]) == (403, "forbidden")
        fake.refusals_in_task = False  # the other shape the API may have: refused on submit, async or not
        status, refused = await post(http, fake, "/luma/videos", body)
        assert (status, refused["error"]["code"]) == (403, "forbidden")


async def test_a_task_record_may_appear_late(http: aiohttp.ClientSession) -> None:
    """Whether a task's record exists the moment its id is returned is not documented: `record_after` makes the
    fake list it only later (retrieve answers 404, retrieve_batch leaves it out), so the bot must give it time."""
    async with FakeLuma(token=TOKEN, auto_complete=False) as fake:
        fake.record_after = 0.5
        _, ack = await post(http, fake, "/luma/videos", {"action": "generate", "prompt": "a slow clerk", "async": True})
        created = time.monotonic()
        status, _ = await post(http, fake, "/luma/tasks", {"action": "retrieve", "id": ack["task_id"]})
        assert status == 404
        _, batch = await post(http, fake, "/luma/tasks", {"action": "retrieve_batch", "ids": [ack["task_id"]]})
        assert batch == {"items": [], "count": 0}
        await asyncio.sleep(max(0.0, 0.55 - (time.monotonic() - created)))
        _, batch = await post(http, fake, "/luma/tasks", {"action": "retrieve_batch", "ids": [ack["task_id"]]})
        assert [item["id"] for item in batch["items"]] == [ack["task_id"]]


async def test_a_running_task_may_say_success_false_without_a_state(http: aiohttp.ClientSession) -> None:
    """AceDataCloud's SDK (`_runtime/tasks.py`, task_status): "`success: false` alone is ambiguous: some services set
    it for a transient hiccup mid-run, alongside a bare string like 'temporary', and keep going"."""
    async with FakeLuma(token=TOKEN, auto_complete=False) as fake:
        _, ack = await post(http, fake, "/luma/videos", {"action": "generate", "prompt": "a hiccup", "async": True})
        fake.hiccup_next()
        _, record = await post(http, fake, "/luma/tasks", {"action": "retrieve", "id": ack["task_id"]})
        response = record["response"]
        assert response["success"] is False and isinstance(response["error"], str)
        assert "state" not in response and "finished_at" not in record
        fake.finish(ack["task_id"])
        _, record = await post(http, fake, "/luma/tasks", {"action": "retrieve", "id": ack["task_id"]})
        assert record["response"]["state"] == "completed"
