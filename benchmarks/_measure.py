"""One measured run: a scenario streamed by the emulator into one variant's cell, in a kernel.

Latencies join two clocks that are the same clock: the emulator runs in this process and
stamps each SSE event with ``time.time()`` as it writes it, and the IOPub recorder stamps each
message with ``time.time()`` as it arrives. The emulator's send time of the first
``content_block_delta`` stands in for "the kernel received the first delta" (loopback adds
well under a millisecond; the emulator stamps after its write returns, so a quick consumer
can show a delta a fraction of a millisecond "before" it was sent); the arrival of an IOPub
message stands in for "the front end got it" (what a browser adds after that is not measured).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ._iopub import peak_in_window
from ._kernel import BenchKernel
from ._scenarios import FIRST, LAST, Scenario, Variant

__all__ = ["RATE_UNCOUNTED", "RATE_WINDOW_S", "RunResult", "measure_run", "median_run"]

#: jupyter_server's IOPub rate limit: averaged over 3 s; these message types are not counted.
RATE_WINDOW_S = 3.0
RATE_UNCOUNTED = frozenset({"status", "comm_open", "execute_input"})


@dataclass
class RunResult:
    """What one variant cost on one scenario (one run, or the median of ``repeats``)."""

    scenario: str
    variant: str
    label: str
    deltas_sent: int
    answer_bytes: int
    iopub_messages: int
    iopub_bytes: int
    iopub_lost: int  # sent by the kernel, never received: the counts would be short by these
    by_type: dict[str, int]  # messages per msg_type
    bytes_by_type: dict[str, int]
    first_output_ms: float | None  # first delta sent -> first IOPub message carrying its text
    final_output_ms: float | None  # last delta sent -> first IOPub message carrying the answer's end
    kernel_cpu_s: float
    kernel_wall_s: float
    wall_s: float  # execute_request sent -> idle status received
    server_s: float  # first delta sent -> last delta sent (how fast the emulator could go)
    peak_rate_msgs_per_s: float  # jupyter_server's measure: counted messages in 3 s, over 3
    ok: bool
    problems: list[str] = field(default_factory=list)
    repeats: int = 1  # runs this result is the median of

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_run(kernel: BenchKernel, emulator: Any, scenario: Scenario, variant: Variant) -> RunResult:
    """Stream ``scenario`` into ``variant``'s cell once and measure it."""
    kernel.run(variant.setup(scenario))
    emulator.set_script({"rules": [scenario.rule()]})
    emulator.requests.clear()
    first, last = FIRST.encode(), LAST.encode()
    kernel.recorder.watch([first, last])
    cell = kernel.measure(variant.cell(scenario))

    problems = []
    posts = [r for r in emulator.requests if r.path == "/v1/messages"]
    wanted = len(scenario.models)
    if len(posts) != wanted:
        problems.append(f"{len(posts)} requests reached the emulator, expected {wanted}")
    deltas = sorted(t for r in posts[-wanted:] for t, kind in r.sent if kind == "content_block_delta")
    if len(deltas) != scenario.expected_deltas * wanted:
        problems.append(f"the emulator sent {len(deltas)} deltas, expected {scenario.expected_deltas * wanted}")
    first_shown = next((m.t for m in cell.messages if first in m.marks), None)
    final_shown = next((m.t for m in cell.messages if last in m.marks), None)
    if variant.shows_text and final_shown is None:
        problems.append("no output carried the end of the answer")
    if not cell.ok:
        problems.append("the cell failed")
    if cell.lost:
        problems.append(f"{cell.lost} IOPub messages were lost before the recorder")
    counted = [m.t for m in cell.messages if m.msg_type not in RATE_UNCOUNTED]
    sizes: Counter[str] = Counter()
    for message in cell.messages:
        sizes[message.msg_type] += message.nbytes

    return RunResult(
        scenario=scenario.name,
        variant=variant.key,
        label=variant.label,
        deltas_sent=len(deltas),
        answer_bytes=len(scenario.answer),
        iopub_messages=len(cell.messages),
        iopub_bytes=sum(m.nbytes for m in cell.messages),
        iopub_lost=cell.lost,
        by_type=dict(Counter(m.msg_type for m in cell.messages)),
        bytes_by_type=dict(sizes),
        first_output_ms=_ms(first_shown, deltas[0] if deltas else None),
        # The tool lane's answer is its text, sent before the tool input, and models compared
        # end one by one: no single "final" to time.
        final_output_ms=(None if scenario.lane == "tool" or len(scenario.models) > 1
                         else _ms(final_shown, deltas[-1] if deltas else None)),
        kernel_cpu_s=cell.kernel_cpu_s,
        kernel_wall_s=cell.kernel_wall_s,
        wall_s=cell.idle - cell.sent,
        server_s=deltas[-1] - deltas[0] if deltas else 0.0,
        peak_rate_msgs_per_s=peak_in_window(counted, RATE_WINDOW_S) / RATE_WINDOW_S,
        ok=not problems,
        problems=problems,
    )


def median_run(runs: Sequence[RunResult]) -> RunResult:
    """Every number the median over ``runs`` (one scenario and variant); problems of all.

    The per-type breakdowns are the first run's.
    """
    numbers = {
        f.name: statistics.median(values)
        for f in fields(RunResult)
        if f.type in ("int", "float", "float | None")
        and None not in (values := [getattr(r, f.name) for r in runs])
    }
    numbers.update(
        ok=all(r.ok for r in runs), problems=sorted({p for r in runs for p in r.problems}), repeats=len(runs)
    )
    return replace(runs[0], **numbers)


def _ms(shown: float | None, sent: float | None) -> float | None:
    return None if shown is None or sent is None else (shown - sent) * 1000
