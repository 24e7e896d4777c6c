"""The kernel's interrupt of a %%claude cell: one line, no traceback, queued cells aborted."""

from __future__ import annotations

import json
import time

from conftest import use_script

ANSWER = "First words arrive early. Then the stream stalls, and the rest never comes."


def _wait_for_deltas(emulator, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posted = [r for r in emulator.requests if r.path == "/v1/messages"]
        if posted and any(kind == "content_block_delta" for _, kind in posted[-1].sent):
            return
        time.sleep(0.05)
    raise AssertionError("the stream never started")


def test_interrupt_shows_one_line_keeps_partial_text_and_aborts_queued_cells(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": ANSWER}], "stall_after": 3, "stall_s": 30}])
    streaming = kernel.execute("%%claude\nTell me")
    queued = kernel.execute("queued_cell_ran = True")
    _wait_for_deltas(emulator)
    time.sleep(0.3)
    kernel.interrupt()
    run = kernel.collect(streaming, timeout=20)
    assert run.status == "error"
    assert kernel.collect(queued, timeout=20).status == "aborted"
    errors = run.errors
    assert len(errors) == 1, run.outputs
    (line,) = errors[0]["traceback"]
    assert line.startswith("⚠ Stopped: the partial answer is kept.") and "\n" not in line
    assert "CancelledError" not in json.dumps(run.outputs)
    # The line is said once: as the error output, not again under the answer.
    assert json.dumps(run.outputs).count("Stopped") == 2  # the traceback line and its evalue
    partial = run.data("text/plain")[1]
    assert partial and ANSWER.startswith(partial)
    assert "interrupted" in run.data("text/plain")[2]  # the footer
    saved = json.dumps(run.outputs)
    assert len(saved) < 2_000, saved
    assert kernel.value("'queued_cell_ran' in globals()") is False
