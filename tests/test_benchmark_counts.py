"""The stream-cost benchmark's S1 on the widget and markdown displays, held to the IOPub budget.

Only counts are asserted (IOPub messages and bytes), never times. The counts are upper
bounds that a slower machine only makes easier: coalescing sends fewer, larger batches
when the kernel falls behind, never more.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks` beside `tests`

from benchmarks._measure import measure_run  # noqa: E402
from benchmarks._report import S1_MAX_BYTES, S1_MAX_MESSAGES  # noqa: E402
from benchmarks._scenarios import SCENARIOS, VARIANTS  # noqa: E402
from benchmarks._session import bench_session  # noqa: E402

# How a display shows that it streamed live, not only as the final output.
LIVE_MESSAGE = {"widget": "comm_msg", "markdown": "update_display_data"}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("display", ["widget", "markdown"])
def test_the_long_answer_streams_within_the_iopub_budget(display: str) -> None:
    # S1 at full size: 2,000 deltas of 4 bytes at 200 a second (10 s of pacing).
    variant = VARIANTS[display]
    with bench_session() as session:
        session.warm_up([variant])
        run = measure_run(session.kernel, session.emulator, SCENARIOS["S1"], variant)
    breakdown = f"messages by type {run.by_type}, bytes by type {run.bytes_by_type}"
    # The run is real: every delta was sent, the end of the answer was shown, none was lost.
    assert run.ok, run.problems
    assert run.by_type.get(LIVE_MESSAGE[display], 0) >= 10, breakdown
    assert run.iopub_messages < S1_MAX_MESSAGES, f"{run.iopub_messages} IOPub messages; {breakdown}"
    assert run.iopub_bytes < S1_MAX_BYTES, f"{run.iopub_bytes} IOPub bytes; {breakdown}"
