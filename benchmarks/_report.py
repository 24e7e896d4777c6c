"""The printed table (each variant against the bare-SDK floor) and the targets, met or not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._measure import RunResult

__all__ = ["MAGIC_VARIANTS", "Target", "table", "targets", "targets_text"]

#: The variants that are claude_magic's own: the targets apply to these.
MAGIC_VARIANTS = ("markdown", "widget", "text", "chat")

S1_MAX_BYTES = 150_000
S1_MAX_MESSAGES = 250
FIRST_OUTPUT_MAX_MS = 20.0
S2_MAX_WALL_RATIO = 1.15
IOPUB_MSG_RATE_LIMIT = 1000  # jupyter_server's iopub_msg_rate_limit default


@dataclass(frozen=True)
class Target:
    name: str
    variant: str
    value: str
    met: bool


def _floor(runs: Sequence[RunResult], scenario: str) -> RunResult | None:
    return next((r for r in runs if r.scenario == scenario and r.variant == "bare"), None)


def _ratio(value: float | None, floor: float | None) -> str:
    if value is None or not floor:
        return "-"
    ratio = value / floor
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:,.0f}x"


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(runs: Sequence[RunResult], titles: dict[str, str], unavailable: dict[str, str]) -> str:
    """One block per scenario; ratios are against that scenario's bare-SDK run."""
    header = (
        f"{'variant':<22}{'msgs':>7}{'x':>7}{'KB':>10}{'x':>10}{'first ms':>10}{'final ms':>10}"
        f"{'CPU s':>8}{'x':>7}{'wall s':>8}{'x':>7}{'peak/s':>9}"
    )
    lines = []
    for scenario, title in titles.items():
        repeats = max((r.repeats for r in runs if r.scenario == scenario), default=1)
        lines += ["", f"{scenario}: {title}" + (f", median of {repeats} runs" if repeats > 1 else "")]
        if scenario in unavailable:
            lines.append(f"  {unavailable[scenario]}")
            continue
        lines.append(header)
        floor = _floor(runs, scenario)
        for r in (r for r in runs if r.scenario == scenario):
            f = floor or r
            lines.append(
                f"{r.label:<22}{r.iopub_messages:>7}{_ratio(r.iopub_messages, f.iopub_messages):>7}"
                f"{r.iopub_bytes / 1000:>10.1f}{_ratio(r.iopub_bytes, f.iopub_bytes):>10}"
                f"{_num(r.first_output_ms, '.1f'):>10}{_num(r.final_output_ms, '.1f'):>10}"
                f"{r.kernel_cpu_s:>8.2f}{_ratio(r.kernel_cpu_s, f.kernel_cpu_s):>7}"
                f"{r.wall_s:>8.2f}{_ratio(r.wall_s, f.wall_s):>7}{r.peak_rate_msgs_per_s:>8.0f}"
                f"{'!' if r.peak_rate_msgs_per_s > IOPUB_MSG_RATE_LIMIT else ' '}"
            )
            lines += [f"{'':<22}! {problem}" for problem in r.problems]
    lines += [
        "",
        "msgs/KB: IOPub messages and bytes of the cell (raw frames, parent-filtered); x: against the floor.",
        "first ms: first delta sent by the emulator -> first IOPub message carrying its text.",
        "final ms: last delta sent -> first IOPub message carrying the answer's end.",
        "CPU s: kernel process CPU (all threads) for the cell; wall s: execute_request -> idle.",
        "peak/s: jupyter_server's rate measure (counted messages in the busiest 3 s, over 3);",
        f"        past its limit ({IOPUB_MSG_RATE_LIMIT}/s, marked !) a notebook server drops output.",
    ]
    return "\n".join(lines)


def targets(runs: Sequence[RunResult]) -> list[Target]:
    """The issue's targets for each claude_magic display, with the measured number.

    The IOPub budget is S1's; S3 streams the same answer into the chat, so it applies there
    too, as does the first-output target (to every scenario).
    """
    found = []
    for r in runs:
        if r.variant not in MAGIC_VARIANTS:
            continue
        if r.scenario in ("S1", "S3"):  # S3 is S1's stream, shown in the chat
            found.append(Target(f"{r.scenario} IOPub < 150 KB", r.variant, f"{r.iopub_bytes / 1000:.1f} KB",
                                r.iopub_bytes < S1_MAX_BYTES))
            found.append(Target(f"{r.scenario} IOPub < 250 messages", r.variant, f"{r.iopub_messages:.0f} messages",
                                r.iopub_messages < S1_MAX_MESSAGES))
        ms = r.first_output_ms
        found.append(Target(f"{r.scenario} first output <= 20 ms", r.variant, f"{_num(ms, '.1f')} ms",
                            ms is not None and ms <= FIRST_OUTPUT_MAX_MS))
        floor = _floor(runs, r.scenario)
        if r.scenario == "S2" and floor is not None:
            ratio = r.wall_s / floor.wall_s
            found.append(Target("S2 wall <= 1.15x bare SDK", r.variant,
                                f"{r.wall_s:.2f} s vs {floor.wall_s:.2f} s = {ratio:.2f}x", ratio <= S2_MAX_WALL_RATIO))
    return found


def targets_text(found: Sequence[Target]) -> str:
    lines = ["", "Targets (claude_magic displays):"]
    lines += [f"  {'met   ' if t.met else 'MISSED'}  {t.name:<28}{t.variant:<10}{t.value}" for t in found]
    return "\n".join(lines)
