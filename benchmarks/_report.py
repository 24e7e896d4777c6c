"""The printed table (each variant against the bare-SDK floor) and the targets, met or not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._measure import RunResult

__all__ = ["MAGIC_VARIANTS", "S1_BUDGET", "Target", "table", "targets", "targets_text"]

#: The variants that are claude_magic's own: the targets apply to these.
MAGIC_VARIANTS = ("markdown", "widget", "text", "rawview", "chat", "compare")

#: S1's IOPub budget per display (bytes, messages), from the byte-budget issue. The widget's
#: 60 KB is not reachable at five updates a second (see the README's benchmark section), so
#: the report says MISSED there; CI holds the widget to what it reaches at that rate.
S1_BUDGET = {"widget": (60_000, 80), "markdown": (100_000, 120), "rawview": (300_000, 120)}
#: Other rows: within this factor of the same display's text-only S1 (the chat's: S3).
LANE_FACTOR = 3.0
FIRST_OUTPUT_MAX_MS = 10.0
S2_MAX_WALL_RATIO = 1.15
IOPUB_MSG_RATE_LIMIT = 1000  # jupyter_server's iopub_msg_rate_limit default
#: Compared with S1 of which display (the Chat compare with the single Chat's S3).
_S1_OF = {"compare": ("S3", "chat")}


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
        f"{'variant':<36}{'msgs':>7}{'x':>7}{'KB':>10}{'x':>10}{'first ms':>10}{'final ms':>10}"
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
                f"{r.label:<36}{r.iopub_messages:>7}{_ratio(r.iopub_messages, f.iopub_messages):>7}"
                f"{r.iopub_bytes / 1000:>10.1f}{_ratio(r.iopub_bytes, f.iopub_bytes):>10}"
                f"{_num(r.first_output_ms, '.1f'):>10}{_num(r.final_output_ms, '.1f'):>10}"
                f"{r.kernel_cpu_s:>8.2f}{_ratio(r.kernel_cpu_s, f.kernel_cpu_s):>7}"
                f"{r.wall_s:>8.2f}{_ratio(r.wall_s, f.wall_s):>7}{r.peak_rate_msgs_per_s:>8.0f}"
                f"{'!' if r.peak_rate_msgs_per_s > IOPUB_MSG_RATE_LIMIT else ' '}"
            )
            lines += [f"{'':<36}! {problem}" for problem in r.problems]
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
    """The issue's targets for each claude_magic display, with the measured number."""
    found = []
    for r in runs:
        if r.variant not in MAGIC_VARIANTS:
            continue
        if r.scenario == "S1" and r.variant in S1_BUDGET:
            max_bytes, max_messages = S1_BUDGET[r.variant]
            found.append(Target(f"S1 IOPub <= {max_bytes // 1000} KB", r.variant, f"{r.iopub_bytes / 1000:.1f} KB",
                                r.iopub_bytes <= max_bytes))
            found.append(Target(f"S1 IOPub <= {max_messages} messages", r.variant,
                                f"{r.iopub_messages:.0f} messages", r.iopub_messages <= max_messages))
        elif r.scenario not in ("S1", "S2"):
            scenario, variant = _S1_OF.get(r.variant, ("S1", r.variant))
            base = next((b for b in runs if b.scenario == scenario and b.variant == variant), None)
            if base is not None:
                ratio = r.iopub_bytes / base.iopub_bytes
                found.append(Target(f"{r.scenario} bytes <= 3x {scenario}", r.variant,
                                    f"{r.iopub_bytes / 1000:.1f} KB = {ratio:.2f}x", ratio <= LANE_FACTOR))
        ms = r.first_output_ms
        if r.variant != "rawview":
            found.append(Target(f"{r.scenario} first output <= 10 ms", r.variant, f"{_num(ms, '.1f')} ms",
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
