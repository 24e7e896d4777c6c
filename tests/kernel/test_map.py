"""%%claude --map in a real kernel against the emulator: concurrency and alignment, storms, crashes, batches."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import TEST_KEY
from test_claude_cell import assert_one_line_usage_error
from kernel_harness import Kernel, kernel_env

MODEL = "claude-opus-4-8"


def frame_code(rows: int, *, shuffled: bool = False) -> str:
    """A DataFrame of tickets whose index is a string key, shuffled when asked."""
    order = f"random.Random(5).sample(range({rows}), {rows})" if shuffled else f"range({rows})"
    return (
        "import random, pandas as pd\n"
        f"keys = [f'k{{i:04d}}' for i in {order}]\n"
        "tickets = pd.DataFrame({'text': [f'ticket <{k}>' for k in keys]}, index=keys)\n"
    )


def map_cell(extra: str = "", *, max_tokens: int = 40) -> str:
    return f"%%claude --map tickets -o labels -m {MODEL} --max-tokens {max_tokens} {extra}\nClassify: {{text}}"


def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "claude_magic" / "map_jobs.sqlite3"


def journal_query(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    path = journal_path(tmp_path)
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=5) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:  # the tables are not there yet
            return []


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def prompts_posted(emulator: Any) -> list[str]:
    return [r.body["messages"][-1]["content"] for r in emulator.requests if r.path == "/v1/messages"]


@pytest.fixture
def start_kernel(emulator: Any, tmp_path: Path) -> Iterator[Any]:
    """Starts kernels sharing one data folder (so one journal), with claude_magic loaded."""
    kernels: list[Kernel] = []

    def start() -> Kernel:
        env = kernel_env(tmp_path, ANTHROPIC_BASE_URL=emulator.url, ANTHROPIC_API_KEY=TEST_KEY)
        kernel = Kernel(env, cwd=str(tmp_path))
        kernels.append(kernel)
        run = kernel.run("%load_ext claude_magic\n%config ClaudeMagic.map_poll_s = 0.1")
        assert run.status == "ok", run.all_text
        return kernel

    yield start
    for kernel in kernels:
        kernel.shutdown()


def test_a_thousand_rows_at_concurrency_8_never_exceed_8_in_flight_and_line_up_with_a_shuffled_index(
    start_kernel, emulator
):
    emulator.traffic.latency_s = 0.005
    kernel = start_kernel()
    assert kernel.run(frame_code(1000, shuffled=True)).status == "ok"
    run = kernel.run(map_cell("--concurrency 8 --job thousand", max_tokens=200), timeout=120)
    assert run.status == "ok", run.all_text
    assert emulator.traffic.peak_in_flight == 8  # the limit held, and was used
    assert len(prompts_posted(emulator)) == 1000
    summary = run.all_text.strip().splitlines()[-1]
    assert summary.startswith("thousand: 1,000/1,000 rows done")
    pairs = kernel.value("[list(labels.index) == list(tickets.index)] + "
                         "[[tickets.loc[k, 'text'], labels[k]] for k in tickets.index]")
    assert pairs.pop(0) is True
    for text, label in pairs:  # the emulator's default answer quotes the prompt it answers
        assert f'You asked: "Classify: {text}".' in label, (text, label)
    # The bar is one display, updated in place, with counts and never model text.
    displays = run.of_type("display_data", "update_display_data")
    assert len({m["content"]["transient"]["display_id"] for _, m in displays}) == 1
    assert not any("You asked" in json.dumps(m["content"]) for _, m in displays)
    assert sum(len(json.dumps(m["content"])) for _, m in displays) < 20_000


def test_a_429_storm_pauses_the_whole_job_for_retry_after_and_every_row_ends_done(start_kernel, emulator):
    emulator.traffic.latency_s = 0.02
    kernel = start_kernel()
    assert kernel.run(frame_code(150)).status == "ok"
    msg_id = kernel.execute(map_cell("--concurrency 8"))
    wait_for(lambda: len(emulator.traffic.arrivals) >= 20)
    emulator.traffic.storm(1.5, retry_after=1.5)  # announced as "2": whole seconds, as the API sends
    run = kernel.collect(msg_id, timeout=60)
    assert run.status == "ok", run.all_text
    assert kernel.value("int(labels.notna().sum())") == 150
    limited = emulator.traffic.limited
    assert limited, "the storm answered nothing"
    first = limited[0]
    # Requests already on their way when the first 429 left may land just after it; then
    # nothing until the retry-after window has passed.
    quiet = [t for t in emulator.traffic.arrivals if first + 0.3 < t < first + 2.0]
    assert quiet == []
    assert "150/150 rows done" in run.all_text


def test_a_kernel_killed_mid_job_resumes_in_a_new_kernel_without_asking_a_finished_row_again(
    start_kernel, emulator, tmp_path
):
    emulator.traffic.latency_s = 0.03
    first = start_kernel()
    assert first.run(frame_code(300)).status == "ok"
    first.execute(map_cell("--concurrency 8 --job crash"))
    wait_for(lambda: (journal_query(tmp_path, "SELECT COUNT(*) FROM rows") or [(0,)])[0][0] >= 60)
    first.manager.signal_kernel(signal.SIGKILL)  # a crash: no cleanup runs
    done = {key for (key,) in journal_query(tmp_path, "SELECT key FROM rows WHERE status = 'done'")}
    assert 60 <= len(done) < 300
    wait_for(lambda: emulator.traffic.in_flight == 0)  # the dead kernel's last requests reach the server
    emulator.requests.clear()

    second = start_kernel()
    assert second.run(frame_code(300)).status == "ok"
    run = second.run(map_cell("--concurrency 8 --job crash"), timeout=60)
    assert run.status == "ok", run.all_text
    asked_again = prompts_posted(emulator)
    assert not {f"Classify: ticket <{key}>" for key in done} & set(asked_again)
    assert len(asked_again) == len(set(asked_again)) == 300 - len(done)
    assert second.value("int(labels.notna().sum())") == 300
    assert f"{len(done):,} from the journal" in run.all_text


def test_a_batch_job_killed_while_polling_reattaches_without_creating_a_second_batch(
    start_kernel, emulator, tmp_path
):
    emulator.batches.processing_s = 2.5
    first = start_kernel()
    assert first.run(frame_code(25)).status == "ok"
    first.execute(map_cell("--batch --job nightly"))
    wait_for(lambda: bool(journal_query(tmp_path, "SELECT batch_id FROM batches")))
    time.sleep(0.3)  # a poll or two
    first.manager.signal_kernel(signal.SIGKILL)  # a crash: no cleanup runs
    assert emulator.batches.created == 1

    second = start_kernel()
    assert second.run(frame_code(25)).status == "ok"
    jobs = second.run("%claude_jobs")
    assert "nightly" in jobs.all_text and "msgbatch_" in jobs.all_text
    run = second.run(map_cell("--batch --job nightly"), timeout=60)
    assert run.status == "ok", run.all_text
    assert emulator.batches.created == 1
    assert second.value("int(labels.notna().sum())") == 25
    assert "at batch prices" in run.all_text
    log = second.value(
        "[(r.job, r.cost_usd) for r in __import__('claude_magic.usage.log', fromlist=['UsageLog'])"
        ".UsageLog(__import__('claude_magic.usage.log', fromlist=['x']).default_log_path()).read_all()]"
    )
    assert len(log) == 25 and {job for job, _ in log} == {"nightly"}


def test_map_mistakes_are_one_line_and_an_interrupted_batch_job_can_be_estimated_listed_and_canceled(
    start_kernel, emulator
):
    emulator.batches.processing_s = 60
    kernel = start_kernel()
    assert kernel.run(frame_code(6)).status == "ok"
    for cell, words in [
        ("%%claude --job x\nhello", "only apply with --map"),
        ("%%claude --map nothing_here\n{text}", "no variable named 'nothing_here'"),
        ("%%claude --map tickets --tools f\n{text}", "does not combine with --tools"),
        ("%%claude --map tickets\n{colour}", "Row 'k0000': name 'colour' is not defined"),
    ]:
        assert_one_line_usage_error(kernel.run(cell), words)
    estimate = kernel.run(map_cell("--estimate --job nightly"))
    assert "nothing billable was sent" in estimate.stdout and "with --batch" in estimate.stdout
    assert {r.path for r in emulator.requests} <= {"/v1/messages/count_tokens"}

    msg_id = kernel.execute(map_cell("--batch --job nightly"))
    wait_for(lambda: emulator.batches.created == 1)
    time.sleep(0.2)
    kernel.interrupt()
    assert kernel.collect(msg_id).status == "error"
    listed = kernel.run("%claude_jobs").all_text
    assert "nightly" in listed and "interrupted" in listed and "msgbatch_" in listed
    canceled = kernel.run("%claude_jobs --cancel nightly")
    assert "1 running batch(es) canceled" in canceled.stdout
    assert all(b.cancel_initiated is not None for b in emulator.batches.batches.values())
    run = kernel.run(map_cell("--batch --job nightly"))
    assert run.status == "ok" and emulator.batches.created == 1
    assert "6 failed" in run.all_text
    assert kernel.value("sorted(set(labels.attrs['errors'].values()))")[0].startswith("canceled in batch msgbatch_")
