"""The Message Batches API and the traffic knobs, through the SDK (sync and async) over a socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest

from claude_magic.emulator import Emulator, Script

from .helpers import KEY, MODEL, user
from .test_emulator_http import assert_api_error


@pytest.fixture
def batches(server: Emulator) -> Iterator[Emulator]:
    server.batches.reset()
    server.batches.processing_s = 0.2
    server.traffic.reset()
    yield server
    server.batches.reset()
    server.traffic.reset()


def requests(n: int, **params: Any) -> list[dict[str, Any]]:
    return [
        {"custom_id": f"row-{i}", "params": {"model": MODEL, "max_tokens": 20, "messages": user(f"row {i}"), **params}}
        for i in range(n)
    ]


def wait_ended(client: anthropic.Anthropic, batch_id: str) -> Any:
    deadline = time.monotonic() + 5
    while (batch := client.messages.batches.retrieve(batch_id)).processing_status != "ended":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return batch


def test_batch_counts_stay_at_processing_until_it_ends_then_results_join_on_custom_id(
    batches: Emulator, client: anthropic.Anthropic
) -> None:
    batches.batches.seed = 7
    batches.batches.processing_s = 1.0  # long enough to see it unfinished on a loaded machine
    batches.set_script(Script.from_dict({"rules": [{"regex": r"row \d+", "blocks": [{"type": "text", "text": "ok"}]}]}))
    created = client.messages.batches.create(requests=requests(30))
    assert created.processing_status == "in_progress" and created.results_url is None
    counts = created.request_counts
    assert (counts.processing, counts.succeeded, counts.errored, counts.canceled, counts.expired) == (30, 0, 0, 0, 0)
    assert client.messages.batches.retrieve(created.id).request_counts.succeeded == 0
    ended = wait_ended(client, created.id)
    assert ended.request_counts.processing == 0 and ended.request_counts.succeeded == 30
    assert ended.ended_at is not None and ended.results_url.startswith(batches.url + "/v1/messages/batches/")
    lines = list(client.messages.batches.results(created.id))
    order = [line.custom_id for line in lines]
    assert sorted(order) == sorted(f"row-{i}" for i in range(30)) and order != [f"row-{i}" for i in range(30)]
    assert all(line.result.type == "succeeded" and line.result.message.content[0].text == "ok" for line in lines)


def test_async_client_creates_polls_lists_cancels_and_reads_results(batches: Emulator) -> None:
    async def main() -> None:
        async with anthropic.AsyncAnthropic(api_key=KEY, base_url=batches.url, max_retries=0) as client:
            first = await client.messages.batches.create(requests=requests(3))
            batches.batches.processing_s = 60  # the second runs until it is canceled, however slow the machine
            second = await client.messages.batches.create(requests=requests(2))
            listed = [b.id async for b in client.messages.batches.list(limit=1)]
            assert listed == [second.id, first.id]  # newest first, paged one by one
            canceling = await client.messages.batches.cancel(second.id)
            assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at is not None
            await asyncio.sleep(0.3)
            ended = await client.messages.batches.retrieve(second.id)
            assert ended.processing_status == "ended" and ended.request_counts.canceled == 2
            assert {r.result.type async for r in await client.messages.batches.results(second.id)} == {"canceled"}
            done = await client.messages.batches.retrieve(first.id)
            assert done.request_counts.succeeded == 3
            assert (await client.messages.batches.delete(first.id)).type == "message_batch_deleted"

    asyncio.run(main())


def test_list_pages_newest_first_with_after_and_before_ids(batches: Emulator, client: anthropic.Anthropic) -> None:
    ids = [client.messages.batches.create(requests=requests(1)).id for _ in range(5)]
    newest = list(reversed(ids))
    page = client.messages.batches.list(limit=2)
    assert [b.id for b in page.data] == newest[:2] and page.has_more
    after = client.messages.batches.list(limit=2, after_id=newest[1])
    assert [b.id for b in after.data] == newest[2:4]
    before = client.messages.batches.list(limit=2, before_id=newest[3])
    assert [b.id for b in before.data] == newest[1:3]
    assert [b.id for b in client.messages.batches.list(limit=1000)] == newest


def test_scripted_errored_expired_and_invalid_rows_end_as_the_api_reports_them(
    batches: Emulator, client: anthropic.Anthropic
) -> None:
    batches.batches.errored_ids.add("row-0")
    batches.batches.expired_ids.add("row-1")
    reqs = requests(4)
    del reqs[2]["params"]["max_tokens"]
    reqs[3]["params"]["model"] = "claude-nonexistent-1"
    created = client.messages.batches.create(requests=reqs)
    counts = wait_ended(client, created.id).request_counts
    assert (counts.succeeded, counts.errored, counts.expired) == (0, 3, 1)
    results = {line.custom_id: line.result for line in client.messages.batches.results(created.id)}
    assert results["row-0"].error.error.type == "api_error"
    assert results["row-1"].type == "expired"
    assert results["row-2"].error.error.type == "invalid_request_error"
    assert "max_tokens" in results["row-2"].error.error.message
    assert results["row-3"].error.error.type == "not_found_error"


def test_refusals_use_the_api_error_shape(batches: Emulator, client: anthropic.Anthropic) -> None:
    with httpx2.Client(base_url=batches.url, headers={"x-api-key": KEY}) as http:
        assert_api_error(http.post("/v1/messages/batches", json={"requests": []}), 400, "invalid_request_error")
        twice = requests(1) * 2
        message = assert_api_error(http.post("/v1/messages/batches", json={"requests": twice}), 400,
                                   "invalid_request_error")
        assert "Duplicate custom_id" in message
        bad_id = [{"custom_id": "no spaces", "params": {}}]
        assert "custom_id" in assert_api_error(http.post("/v1/messages/batches", json={"requests": bad_id}), 400,
                                               "invalid_request_error")
        assert_api_error(http.get("/v1/messages/batches/msgbatch_missing"), 404, "not_found_error")
        running = client.messages.batches.create(requests=requests(1))
        message = assert_api_error(http.delete(f"/v1/messages/batches/{running.id}"), 400, "invalid_request_error")
        assert "cancel it first" in message
        assert_api_error(http.get(f"/v1/messages/batches/{running.id}/results"), 400, "invalid_request_error")
    with httpx2.Client(base_url=batches.url) as anonymous:
        assert_api_error(anonymous.get("/v1/messages/batches"), 401, "authentication_error")
    with pytest.raises(anthropic.AnthropicError, match="No `results_url`"):
        client.messages.batches.results(running.id)


def test_a_storm_answers_429_with_retry_after_and_ratelimit_headers_until_it_ends(
    batches: Emulator, client: anthropic.Anthropic
) -> None:
    batches.traffic.storm(60, retry_after=0.25)
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=MODEL, max_tokens=5, messages=user("hi"))
    headers = caught.value.response.headers
    assert headers["retry-after"] == "0.25" and headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert headers["anthropic-ratelimit-requests-reset"].endswith("Z")
    assert caught.value.type == "rate_limit_error"
    batches.traffic.storm(0)  # the window ends
    assert client.messages.create(model=MODEL, max_tokens=5, messages=user("hi")).content
    assert len(batches.traffic.limited) == 1 and len(batches.traffic.arrivals) == 2


def test_latency_holds_each_request_and_the_gauge_sees_them_overlap(batches: Emulator) -> None:
    batches.traffic.latency_s = 0.5

    async def main() -> float:
        async with anthropic.AsyncAnthropic(api_key=KEY, base_url=batches.url, max_retries=0) as client:
            started = time.monotonic()
            await asyncio.gather(*(client.messages.create(model=MODEL, max_tokens=5, messages=user("hi"))
                                   for _ in range(5)))
            return time.monotonic() - started

    elapsed = asyncio.run(main())
    assert elapsed >= 0.5
    assert batches.traffic.peak_in_flight == 5 and batches.traffic.in_flight == 0
