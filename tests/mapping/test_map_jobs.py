"""claude_magic.map() against the emulator over a real socket: failures, resume, budget, batches, estimate."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import claude_magic
from claude_magic.usage.log import UsageLog
from claude_magic.emulator import Emulator, Script, serve
from claude_magic.mapping import MapError

MODEL = "claude-opus-4-8"
KEY = "sk-ant-map-test-0123456789"


@pytest.fixture(scope="module")
def _server() -> Iterator[Emulator]:
    with serve() as server:
        yield server


@pytest.fixture
def server(_server: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    for name in [n for n in os.environ if n.startswith("ANTHROPIC_")]:
        monkeypatch.delenv(name)
    (tmp_path / "config").mkdir()
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", _server.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    _server.set_script(None)
    _server.requests.clear()
    _server.traffic.reset()
    _server.batches.reset()
    _server.batches.processing_s = 0.1
    yield _server
    _server.set_script(None)


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """``claude_magic.map`` with a private journal and usage log, no bar, fast retries."""

    def call(items: Any, template: str = "Classify: {item}", **options: Any) -> Any:
        options = {"model": MODEL, "max_tokens": 30, "concurrency": 4, "progress": False, "poll_s": 0.05,
                   "journal": str(tmp_path / "jobs.sqlite3"), "usage_log": str(tmp_path / "usage.sqlite3"),
                   "retry_cap_s": 0.05, **options}
        return claude_magic.map(items, template, **options)

    return call


def asked(server: Emulator) -> list[str]:
    return [r.body["messages"][-1]["content"] for r in server.requests if r.path == "/v1/messages"]


def script(server: Emulator, *rules: dict[str, Any]) -> None:
    server.set_script(Script.from_dict({"rules": list(rules)}))


ROWS = [f"ticket <{i}>" for i in range(12)]


def test_a_row_failing_after_retries_ends_missing_with_its_error_and_only_it_is_asked_next_run(server, run):
    script(server, {"match": "<3>", "status": 500, "retry_after_ms": 1})
    first = run(ROWS, job="retry", max_retries=2)
    assert first[3] is None and all(first[i] for i in range(12) if i != 3)
    assert "API error (500) after 3 attempts" in first.errors[3]
    assert asked(server).count("Classify: ticket <3>") == 3
    server.set_script(None)
    server.requests.clear()
    second = run(ROWS, job="retry")
    assert asked(server) == ["Classify: ticket <3>"] and second[3] and not second.errors


def test_an_invalid_row_is_kept_with_its_error_and_not_asked_again(server, run):
    script(server, {"match": "<5>", "status": 400, "message": "prompt is too long"})
    first = run(ROWS, job="invalid")
    assert first[5] is None and "prompt is too long" in first.errors[5]
    server.requests.clear()
    again = run(ROWS, job="invalid")
    assert asked(server) == [] and again.errors == first.errors


def test_a_named_job_refuses_a_changed_template_before_sending_anything(server, run):
    run(ROWS[:2], job="named")
    server.requests.clear()
    with pytest.raises(MapError, match=r"Job 'named' was started with another template.*--forget named"):
        run(ROWS[:2], "Label: {item}", job="named")
    assert server.requests == []
    # Unnamed jobs are told apart by their fingerprint: a changed template is simply a new job.
    assert run(ROWS[:2], "Label: {item}") and len(asked(server)) == 2


def test_a_budget_stops_scheduling_and_the_next_run_asks_only_the_rest(server, run):
    first = run(ROWS, job="budget", concurrency=1, budget_usd=0.0001)
    done = [i for i, answer in enumerate(first) if answer]
    assert 1 <= len(done) < 12 and len(asked(server)) == len(done)
    server.requests.clear()
    second = run(ROWS, job="budget")
    assert sorted(asked(server)) == sorted(f"Classify: ticket <{i}>" for i in range(12) if i not in done)
    assert all(second)


def test_a_job_wide_error_stops_the_job_with_one_line(server, run):
    with pytest.raises(MapError, match=r"^Not found \(404\): model: claude-unknown-9.*-m/--model") as caught:
        run(ROWS, model="claude-unknown-9", concurrency=2)
    assert "\n" not in str(caught.value) and len(asked(server)) <= 2


def test_batch_rows_expired_are_resubmitted_once_errored_are_not_and_usage_is_at_batch_price(server, run, tmp_path):
    from claude_magic.mapping._template import custom_id

    server.batches.expired_ids.add(custom_id("1"))
    server.batches.errored_ids.add(custom_id("2"))
    out = run(ROWS[:6], job="nightly", batch=True, resubmit=True)
    # The resubmitted row expires again (it is scripted to): it was sent once more, not twice.
    assert server.batches.created == 2 and out[1] is None and "expired" in out.errors[1]
    assert out[2] is None and "api_error" in out.errors[2]
    assert all(out[i] for i in (0, 3, 4, 5))
    records = [r for r in UsageLog(tmp_path / "usage.sqlite3").read_all() if r.job == "nightly"]
    ok = [r for r in records if r.status == "ok"]
    assert len(ok) == 4
    full = claude_magic.usage.pricing.cost_usd(MODEL, input_tokens=ok[0].input_tokens, output_tokens=ok[0].output_tokens)
    assert ok[0].cost_usd == pytest.approx(full / 2)


def test_the_estimate_sends_only_count_tokens_and_prices_live_and_batch(server, run):
    run(ROWS[:4], job="est")
    server.requests.clear()
    estimate = run(ROWS, job="est", estimate=True)
    paths = {r.path for r in server.requests}
    assert paths == {"/v1/messages/count_tokens"} and len(server.requests) == 8  # the 8 rows left
    assert estimate.to_request == 8 and estimate.output_ceiling == 8 * 30 and estimate.observed_rows == 4
    assert estimate.batch_usd == pytest.approx(estimate.live_usd / 2)
    text = str(estimate)
    assert "nothing billable was sent" in text and "with --batch" in text


def test_map_is_awaitable_inside_a_running_loop(server, run):
    from claude_magic.core.client import close_loop_clients

    async def main() -> Any:
        try:
            return await run(["a", "b"])
        finally:
            # The loop's clients stay open for the loop's next requests (a kernel's loop lives
            # on); a loop that ends here closes them, as a script using asyncio.run would.
            await close_loop_clients()

    assert len(asyncio.run(main())) == 2
