"""The Luma client against the fake Luma API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from bot.errors import InputError
from bot.luma import (
    LumaAuthError,
    LumaBadRequest,
    LumaBalanceError,
    LumaClient,
    LumaNetworkError,
    LumaNotFound,
    LumaProtocolError,
    LumaRateLimited,
    LumaRefused,
    LumaServerError,
    LumaTimeoutError,
    RetryPolicy,
    TaskRecord,
    VideoRequest,
    VideoResult,
)
from bot.luma.fake import FakeLuma
from bot.web.serving import free_port, start_app

from ..conftest import TOKEN, fixture


async def test_generate_text_sends_every_option_explicitly(luma: LumaClient, fake_luma: FakeLuma) -> None:
    request = VideoRequest.generate("Astronauts shuttle from space to volcano")
    submission = await luma.submit(request)
    assert submission.result is None and submission.task_id in fake_luma.tasks
    sent = fake_luma.requests[-1]
    assert sent["path"] == "/luma/videos"
    assert sent["body"] == {
        "action": "generate",
        "prompt": "Astronauts shuttle from space to volcano",
        "aspect_ratio": "16:9",
        "loop": False,
        "enhancement": True,
        "async": True,
    }
    assert sent["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert sent["headers"]["Content-Type"] == "application/json"
    assert sent["headers"]["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"start_image_url": "https://img.example/a.png"}, {"start_image_url": "https://img.example/a.png"}),
        ({"end_image_url": "https://img.example/b.png"}, {"end_image_url": "https://img.example/b.png"}),
        (
            {"start_image_url": "https://img.example/a.png", "end_image_url": "https://img.example/b.png"},
            {"start_image_url": "https://img.example/a.png", "end_image_url": "https://img.example/b.png"},
        ),
        ({"aspect_ratio": "9:21", "loop": True, "enhancement": False}, {"aspect_ratio": "9:21", "loop": True}),
    ],
)
async def test_generate_shapes(luma: LumaClient, fake_luma: FakeLuma, kwargs: dict, expected: dict) -> None:
    submission = await luma.submit(VideoRequest.generate("a cat surfing a wave", **kwargs))
    body = fake_luma.videos_requests()[-1]
    for key, value in expected.items():
        assert body[key] == value
    task = await fake_luma.wait_done(submission.task_id)
    assert task.response is not None and task.response["state"] == "completed"


async def test_extend_by_id_and_by_url(luma: LumaClient, fake_luma: FakeLuma) -> None:
    first = await luma.submit(VideoRequest.generate("a red fox in snow"))
    done = (await fake_luma.wait_done(first.task_id)).response
    assert done is not None
    by_id = await luma.submit(
        VideoRequest.extend("the fox runs", video_id=done["video_id"], end_image_url="https://i.example/e.jpg")
    )
    assert fake_luma.videos_requests()[-1] == {
        "action": "extend",
        "prompt": "the fox runs",
        "video_id": done["video_id"],
        "end_image_url": "https://i.example/e.jpg",
        "loop": False,
        "enhancement": True,
        "async": True,
    }
    extended = (await fake_luma.wait_done(by_id.task_id)).response
    assert extended is not None and extended["state"] == "completed"
    assert (extended["video_width"], extended["video_height"]) == (done["video_width"], done["video_height"])

    by_url = await luma.submit(VideoRequest.extend("and jumps", video_url=done["video_url"]))
    body = fake_luma.videos_requests()[-1]
    assert body["video_url"] == done["video_url"] and "video_id" not in body
    assert (await fake_luma.wait_done(by_url.task_id)).response["state"] == "completed"  # type: ignore[index]


async def test_extend_of_an_unknown_video_is_a_failed_task(luma: LumaClient, fake_luma: FakeLuma) -> None:
    submission = await luma.submit(VideoRequest.extend("more", video_id="not-a-video"))
    await fake_luma.wait_done(submission.task_id)
    record = await luma.retrieve(submission.task_id)
    assert record.state == "failed" and record.error is not None
    assert "not found" in record.error.message


async def test_blocking_call_returns_the_flat_result(luma: LumaClient, fake_luma: FakeLuma) -> None:
    fake_luma.script_next_result(fixture("seed_generate_text"))
    submission = await luma.submit(
        VideoRequest.generate("Astronauts shuttle from space to volcano"), asynchronous=False, timeout=10
    )
    assert "async" not in fake_luma.videos_requests()[-1]
    assert fake_luma.videos_requests()[-1]["timeout"] == 10
    seed = fixture("seed_generate_text")
    assert submission.task_id == seed["task_id"]
    assert submission.result == VideoResult.from_payload(seed)
    assert submission.result.video_url.startswith("https://storage.cdn-luma.com/")
    assert (submission.result.width, submission.result.height) == (1360, 752)


@pytest.mark.parametrize(
    "name", ["seed_generate_text", "seed_generate_start_image", "seed_extend_by_id", "seed_callback_body"]
)
def test_seed_results_parse(name: str) -> None:
    seed = fixture(name)
    result = VideoResult.from_payload(seed)
    assert result.task_id == seed["task_id"] and result.video_id == seed["video_id"]
    assert result.video_url == seed["video_url"] and result.thumbnail_url == seed["thumbnail_url"]
    assert (result.width, result.height) == (seed["video_width"], seed["video_height"])


def test_results_tolerate_unknown_and_missing_fields_but_need_a_task_id_and_url() -> None:
    result = VideoResult.from_payload({"task_id": "t", "video_url": "https://x.example/v.mp4", "new_field": [1]})
    assert result.video_id is None and result.thumbnail_url is None and result.width is None
    with pytest.raises(LumaProtocolError):
        VideoResult.from_payload({"video_url": "https://x.example/v.mp4"})
    with pytest.raises(LumaProtocolError):
        VideoResult.from_payload({"task_id": "t", "video_url": "javascript:alert(1)"})


@pytest.mark.parametrize("ack_with_success", [False, True])
async def test_async_ack_shapes(luma: LumaClient, fake_luma: FakeLuma, ack_with_success: bool) -> None:
    fake_luma.ack_with_success = ack_with_success
    submission = await luma.submit(VideoRequest.generate("tolerant ack"))
    assert submission.task_id in fake_luma.tasks


async def test_callback_is_posted_with_the_flat_result(luma: LumaClient, fake_luma: FakeLuma) -> None:
    received: list[dict] = []
    got = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        received.append(await request.json())
        got.set()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/cb/{job}", handler)
    runner, port = await start_app(app, "127.0.0.1", 0)
    try:
        fake_luma.script_next_result(fixture("seed_callback_body"))
        submission = await luma.submit(
            VideoRequest.generate("Astronauts shuttle from space to volcano"),
            callback_url=f"http://127.0.0.1:{port}/cb/job1",
        )
        body = fake_luma.videos_requests()[-1]
        assert body["callback_url"].endswith("/cb/job1") and body["async"] is True
        await asyncio.wait_for(got.wait(), 5)
    finally:
        await runner.cleanup()
    assert submission.task_id == fixture("seed_async_ack")["task_id"]
    assert received == [fixture("seed_callback_body")]
    record = TaskRecord.from_outcome(submission.task_id, received[0])
    assert record.state == "completed" and record.result is not None


@pytest.mark.parametrize("pending_shape", ["absent", "processing"])
async def test_retrieve_pending_then_completed(http: aiohttp.ClientSession, pending_shape: str) -> None:
    async with FakeLuma(token=TOKEN, auto_complete=False, max_in_flight=None) as fake:
        fake.pending_shape = pending_shape
        client = LumaClient(http, fake.url, TOKEN)
        submission = await client.submit(VideoRequest.generate("slow sunrise"))
        pending = await client.retrieve(submission.task_id)
        assert pending.state == "pending" and pending.result is None and pending.finished_at is None
        assert fake.requests[-1]["body"] == {"action": "retrieve", "id": submission.task_id}
        fake.finish(submission.task_id)
        done = await client.retrieve(submission.task_id)
        assert done.state == "completed" and done.result is not None
        assert done.result.video_url.endswith(f"{submission.task_id}.mp4")
        assert done.finished_at is not None and done.created_at is not None


async def test_retrieve_many_batches_ids(http: aiohttp.ClientSession) -> None:
    async with FakeLuma(token=TOKEN, auto_complete=False, max_in_flight=None) as fake:
        client = LumaClient(http, fake.url, TOKEN)
        ids = [(await client.submit(VideoRequest.generate(f"clip number {i}"))).task_id for i in range(120)]
        fake.finish(ids[0])
        fake.fail_next_task()
        before = len(fake.requests)
        records = await client.retrieve_many([*ids, "unknown-id"])
        batches = [r["body"] for r in fake.requests[before:]]
        assert [len(b["ids"]) for b in batches] == [50, 50, 21]
        assert all(b["action"] == "retrieve_batch" for b in batches)
        assert len(records) == 120
        states = {r.task_id: r.state for r in records}
        assert states[ids[0]] == "completed" and states[ids[1]] == "pending"


async def test_failed_task_reads_as_failed(luma: LumaClient, fake_luma: FakeLuma) -> None:
    fake_luma.fail_next_task("upstream exploded", code="api_error")
    submission = await luma.submit(VideoRequest.generate("doomed clip"))
    await fake_luma.wait_done(submission.task_id)
    record = await luma.retrieve(submission.task_id)
    assert record.state == "failed" and record.error is not None
    assert record.error.message == "upstream exploded" and record.error.code == "api_error"


OK_RESPONSE = {"success": True, "task_id": "t", "video_url": "https://cdn.example/t.mp4", "state": "completed"}


@pytest.mark.parametrize(
    ("response", "finished", "expected"),
    [
        # a status word outranks `success` (AceDataCloud's SDK, _runtime/tasks.py: task_status)
        ({"success": False, "state": "processing"}, False, "pending"),
        ({"success": True, "state": "failed", "error": {"code": "api_error", "message": "x"}}, False, "failed"),
        ({"state": "completed"}, True, "failed"),  # a final "done" without a video ended without output
        ({"status": "queued", "success": False}, False, "pending"),
        ({"state": "rendering-now"}, False, "pending"),  # a word the bot does not know: still in progress
        # `success: false` alone, no word, no code, not finished: a hiccup while the task runs
        ({"success": False, "error": "temporary"}, False, "pending"),
        ({"success": False}, False, "pending"),
        # ... but final once the task has finished (finished_at, or a callback) or the error is structured
        ({"success": False, "error": "temporary"}, True, "failed"),
        ({"success": False, "error": {"code": "forbidden", "message": "no"}}, False, "failed"),
        ({"error": {"code": "used_up", "message": "no"}}, False, "failed"),
        ({"success": True, "error": None, "state": "pending"}, False, "pending"),
        ({"error": "", "success": True}, False, "pending"),
        (OK_RESPONSE, False, "completed"),
        ({k: v for k, v in OK_RESPONSE.items() if k != "state"}, False, "completed"),
    ],
)
def test_a_task_fails_only_on_a_final_state_or_a_structured_error(
    response: dict, finished: bool, expected: str
) -> None:
    assert TaskRecord.from_outcome("t", response, finished=finished).state == expected


@pytest.mark.parametrize(
    ("code", "kind", "owner_problem"),
    [
        ("forbidden", "refused", False),
        ("used_up", "balance", True),
        ("invalid_token", "auth", True),
        ("token_mismatched", "auth", True),
        ("disabled", "auth", True),
        ("bad_request", "bad_request", False),
        ("api_error", "task_failed", False),  # an upstream failure: its reason is shown, as AceDataCloud's app does
        ("timeout", "task_failed", False),
        ("too_many_requests", "task_failed", False),
        ("something_new", "task_failed", False),
    ],
)
def test_an_error_inside_a_task_is_classified_as_on_submit(code: str, kind: str, owner_problem: bool) -> None:
    body = {"success": False, "task_id": "t", "error": {"code": code, "message": "their words"}}
    record = TaskRecord.from_outcome("t", body, finished=True)
    assert record.state == "failed" and record.error is not None
    assert (record.error.kind, record.error.owner_problem) == (kind, owner_problem)
    assert record.error.api_message == "their words"


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "bad_request", LumaBadRequest),
        (400, "no_token", LumaAuthError),
        (401, "token_mismatched", LumaAuthError),
        (401, "invalid_token", LumaAuthError),
        (401, "token_expired", LumaAuthError),
        (403, "used_up", LumaBalanceError),
        (403, "disabled", LumaAuthError),
        (403, "forbidden", LumaRefused),
        (404, "no_api", LumaNotFound),
        (500, "api_error", LumaServerError),
        (504, "timeout", LumaTimeoutError),
    ],
)
async def test_every_error_class(luma: LumaClient, fake_luma: FakeLuma, status: int, code: str, error: type) -> None:
    fake_luma.fail_next(status, code, "explained")
    with pytest.raises(error) as info:
        await luma.submit(VideoRequest.generate("any prompt"))
    assert info.value.code == code and info.value.status == status
    assert info.value.message == "explained" and info.value.trace_id
    assert len(fake_luma.videos_requests()) == 1, "a submission that failed this way is never re-sent"
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


async def test_real_auth_failures_from_the_fake(http: aiohttp.ClientSession, fake_luma: FakeLuma) -> None:
    with pytest.raises(LumaAuthError) as info:
        await LumaClient(http, fake_luma.url, "wrong").submit(VideoRequest.generate("any prompt"))
    assert info.value.code == "invalid_token" and info.value.status == 401
    async with http.post(f"{fake_luma.url}/luma/videos", json={"prompt": "x"}) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "no_token"


async def test_plain_string_error_body(http: aiohttp.ClientSession) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"error": "quota used up", "trace_id": "t1"}, status=403)

    app = web.Application()
    app.router.add_post("/luma/videos", handler)
    runner, port = await start_app(app, "127.0.0.1", 0)
    try:
        with pytest.raises(LumaRefused) as info:
            await LumaClient(http, f"http://127.0.0.1:{port}", TOKEN).submit(VideoRequest.generate("abc"))
        assert info.value.message == "quota used up" and info.value.trace_id == "t1"
    finally:
        await runner.cleanup()


async def test_the_fake_validates_like_the_api(http: aiohttp.ClientSession, fake_luma: FakeLuma) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    bad_bodies = [
        {"action": "generate"},  # prompt is required
        {"action": "generate", "prompt": "x" * 5001},
        {"action": "upscale", "prompt": "abc"},
        {"action": "extend", "prompt": "abc"},  # no video
        {"action": "generate", "prompt": "abc", "aspect_ratio": "2:1"},
        {"action": "generate", "prompt": "abc", "loop": "yes"},
        {"action": "generate", "prompt": "abc", "start_image_url": "ftp://x/y.png"},
        {"action": "generate", "prompt": "abc", "loop": True, "end_image_url": "https://x/y.png"},
        {"action": "generate", "prompt": "abc", "model": "ray-2"},  # no such field
    ]
    for body in bad_bodies:
        async with http.post(f"{fake_luma.url}/luma/videos", json=body, headers=headers) as r:
            assert r.status == 400, body
            assert (await r.json())["error"]["code"] == "bad_request"
    async with http.post(f"{fake_luma.url}/luma/videos", json={"prompt": "a forbidden-topic"}, headers=headers) as r:
        assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"
    async with http.post(f"{fake_luma.url}/luma/nothing", json={}, headers=headers) as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "no_api"


def test_request_validation_speaks_to_members() -> None:
    with pytest.raises(InputError, match="at least 3"):
        VideoRequest.generate("hi")
    with pytest.raises(InputError, match="http or https"):
        VideoRequest.generate("a cat", start_image_url="file:///etc/passwd")
    with pytest.raises(InputError, match="which video"):
        VideoRequest.extend("more")
    # point 9: what no public source forbids is left to the API (its 400 speaks)
    VideoRequest.generate("a cat", loop=True, end_image_url="https://x.example/e.png")
    VideoRequest.generate("x" * 20_000)


# --- retry policy ---------------------------------------------------------------------------------


async def test_429_on_a_read_is_retried_with_backoff(luma: LumaClient, fake_luma: FakeLuma) -> None:
    submission = await luma.submit(VideoRequest.generate("read me"))
    fake_luma.fail_next(429, "too_many_requests", times=2, paths=("/luma/tasks",))
    await luma.retrieve(submission.task_id)
    assert len([r for r in fake_luma.requests if r["path"] == "/luma/tasks"]) == 3


async def test_429_on_a_submission_is_raised_at_once_for_the_line(luma: LumaClient, fake_luma: FakeLuma) -> None:
    """The line (bot/jobs/line.py) owns the wait: the client does not spend its retries on a full API."""
    for code in ("too_many_requests", "rate_limited"):
        fake_luma.fail_next(429, code)
        with pytest.raises(LumaRateLimited) as info:
            await luma.submit(VideoRequest.generate("retry me"))
        assert not info.value.ambiguous
    assert len(fake_luma.videos_requests()) == 2 and fake_luma.tasks == {}


async def test_a_5xx_on_submit_is_ambiguous_and_not_resent(luma: LumaClient, fake_luma: FakeLuma) -> None:
    fake_luma.fail_next(500, "api_error")
    with pytest.raises(LumaServerError) as info:
        await luma.submit(VideoRequest.generate("costly"))
    assert info.value.ambiguous
    assert len(fake_luma.videos_requests()) == 1


async def test_a_dropped_connection_after_sending_is_not_resent(luma: LumaClient, fake_luma: FakeLuma) -> None:
    fake_luma.drop_next("/luma/videos")
    with pytest.raises(LumaNetworkError) as info:
        await luma.submit(VideoRequest.generate("costly"))
    assert info.value.ambiguous
    assert len(fake_luma.videos_requests()) == 1 and len(fake_luma.tasks) == 1, "the task exists anyway"


async def test_a_slow_submit_times_out_and_is_not_resent(http: aiohttp.ClientSession, fake_luma: FakeLuma) -> None:
    client = LumaClient(http, fake_luma.url, TOKEN, request_timeout=0.2, retry=RetryPolicy(base_delay=0.01))
    fake_luma.slow_next(1.0)
    with pytest.raises(LumaTimeoutError) as info:
        await client.submit(VideoRequest.generate("costly"))
    assert info.value.ambiguous
    for _ in range(200):  # the held request ends with the task made: any re-send would have come before
        if fake_luma.tasks:
            break
        await asyncio.sleep(0.01)
    assert len(fake_luma.tasks) == 1 and len(fake_luma.videos_requests()) == 1


async def test_reads_are_retried_on_5xx_and_timeouts(http: aiohttp.ClientSession, fake_luma: FakeLuma) -> None:
    client = LumaClient(http, fake_luma.url, TOKEN, request_timeout=0.3, retry=RetryPolicy(base_delay=0.01))
    submission = await client.submit(VideoRequest.generate("a read"))
    fake_luma.fail_next(502, "api_error", paths=("/luma/tasks",))
    fake_luma.slow_next(1.0)
    record = await client.retrieve(submission.task_id)
    assert record.task_id == submission.task_id
    assert sum(1 for r in fake_luma.requests if r["path"] == "/luma/tasks") == 3


async def test_connection_refused_is_retried_then_reported(http: aiohttp.ClientSession) -> None:
    port = free_port()  # nothing listens there
    client = LumaClient(http, f"http://127.0.0.1:{port}", TOKEN, retry=RetryPolicy(attempts=3, base_delay=0.01))
    with pytest.raises(LumaNetworkError) as info:
        await client.submit(VideoRequest.generate("nobody home"))
    assert not info.value.ambiguous, "nothing was sent, so nothing can have been created"


@pytest.mark.parametrize(
    ("state", "services", "reading", "creating"),
    [
        ("ok", None, None, None),
        ("ok", ("/luma/tasks",), None, "token_mismatched"),  # a credential of Luma's Tasks API only
        ("ok", ("/luma/videos",), "token_mismatched", None),
        ("expired", None, "token_expired", "token_expired"),
        ("disabled", None, "disabled", "disabled"),
        ("used_up", None, None, "used_up"),  # reading is free; creating needs a balance
    ],
)
async def test_check_access_proves_what_the_key_may_do_without_spending(
    http: aiohttp.ClientSession,
    fake_luma: FakeLuma,
    state: str,
    services: tuple[str, ...] | None,
    reading: str | None,
    creating: str | None,
) -> None:
    fake_luma.add_token("the-key", state=state, services=services)
    access = await LumaClient(http, fake_luma.url, "the-key").check_access()
    assert (access.reading and access.reading.code, access.creating and access.creating.code) == (reading, creating)
    assert access.ok is (reading is None and creating is None)
    assert fake_luma.tasks == {}, "checking a key creates no task"
    refused = await LumaClient(http, fake_luma.url, "nope").check_access()
    assert refused.reading is not None and refused.reading.kind == "auth" and refused.creating is not None


def test_client_repr_hides_the_token(http: aiohttp.ClientSession) -> None:
    assert TOKEN not in repr(LumaClient(http, "http://x", TOKEN))


async def test_failure_knobs_over_http_for_the_dev_server(
    http: aiohttp.ClientSession, luma: LumaClient, fake_luma: FakeLuma
) -> None:
    async with http.post(f"{fake_luma.url}/_fake/fail-next", json={"status": 403, "code": "used_up"}) as r:
        assert r.status == 200
    with pytest.raises(LumaBalanceError):
        await luma.submit(VideoRequest.generate("no credits left"))
    async with http.post(f"{fake_luma.url}/_fake/fail-next-task", json={"message": "by hand"}) as r:
        assert r.status == 200
    submission = await luma.submit(VideoRequest.generate("fails by hand"))
    await fake_luma.wait_done(submission.task_id)
    record = await luma.retrieve(submission.task_id)
    assert record.state == "failed" and record.error is not None and record.error.message == "by hand"
    async with http.post(f"{fake_luma.url}/_fake/nonsense") as r:
        assert r.status == 404


async def test_an_answer_is_read_up_to_a_few_mib_only(luma: LumaClient, fake_luma: FakeLuma) -> None:
    """Point 9: a 200 MiB answer took the bot from 51 to 647 MiB; now at most 4 MiB of any answer is read."""
    from bot.luma import LumaProtocolError
    from bot.luma.client import MAX_ANSWER_BYTES

    huge = b'{"items": [' + b'{"id": "x"},' * (MAX_ANSWER_BYTES // 10) + b'{"id": "y"}]}'
    assert len(huge) > MAX_ANSWER_BYTES
    fake_luma.answer_next(200, huge, path="/luma/tasks")
    with pytest.raises(LumaProtocolError, match="more than"):
        await luma.retrieve_many(["x"])
    fake_luma.answer_next(200, huge, path="/luma/videos")
    with pytest.raises(LumaProtocolError) as info:
        await luma.submit(VideoRequest.generate("a costly answer"))
    assert info.value.ambiguous, "an unreadable answer to a submission may hide a task: never re-sent"
