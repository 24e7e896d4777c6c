"""What loading the extension costs: ``%load_ext claude_magic`` in a fresh kernel, then the
first ``%%claude`` cell's time to its first output, and which heavy modules each pulled in.

A fresh kernel each time (nothing imported yet); the emulator streams a short answer whose
first delta is the marker the IOPub recorder looks for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ._kernel import BenchKernel, clean_env
from ._scenarios import FIRST, LAST, Scenario

__all__ = ["HEAVY", "LoadResult", "measure_load"]

#: Modules that the extension must not import until used: pandas (``--map``, ``events_frame``),
#: the emulator's pydantic models, the widget's front end (anywidget, ipywidgets).
HEAVY = ("pandas", "claude_magic.emulator._script", "anywidget", "ipywidgets")

_FIRST_CELL = Scenario("load", "first cell", 40)

_HEAVY_LOADED = f"[m for m in {list(HEAVY)!r} if m in __import__('sys').modules]"


@dataclass
class LoadResult:
    load_ext_s: float  # execute_request of %load_ext -> its idle status
    heavy_after_load: list[str]
    first_cell_first_output_s: float | None  # execute_request of the first cell -> first text out
    first_cell_s: float  # execute_request -> idle
    heavy_after_first_cell: list[str]
    display: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_load(emulator: Any, scratch: Path, *, key: str, display: str = "auto") -> LoadResult:
    """Start a kernel, load the extension, run one short ``%%claude`` cell; shut it down."""
    env = clean_env(scratch, ANTHROPIC_BASE_URL=emulator.url, ANTHROPIC_API_KEY=key)
    kernel = BenchKernel(env, scratch)
    try:
        load = kernel.measure("%load_ext claude_magic")
        heavy_load = kernel.value(_HEAVY_LOADED)
        if display != "auto":
            kernel.run(f"%config ClaudeMagic.display = {display!r}")
        emulator.set_script({"rules": [_FIRST_CELL.rule()]})
        kernel.recorder.watch([FIRST.encode(), LAST.encode()])
        cell = kernel.measure(f"%%claude --once\n{_FIRST_CELL.prompt}\n")
        first = next((m.t for m in cell.messages if FIRST.encode() in m.marks), None)
        return LoadResult(
            load_ext_s=load.idle - load.sent,
            heavy_after_load=heavy_load,
            first_cell_first_output_s=None if first is None else first - cell.sent,
            first_cell_s=cell.idle - cell.sent,
            heavy_after_first_cell=kernel.value(_HEAVY_LOADED),
            display=display,
        )
    finally:
        kernel.shutdown()


def load_text(results: list[LoadResult]) -> str:
    lines = ["", "Load time (fresh kernel each):"]
    for r in results:
        first = "-" if r.first_cell_first_output_s is None else f"{r.first_cell_first_output_s * 1000:.0f} ms"
        lines.append(
            f"  display={r.display:<9} %load_ext {r.load_ext_s * 1000:.0f} ms (heavy: {', '.join(r.heavy_after_load) or 'none'}); "
            f"first cell: first text {first}, done {r.first_cell_s * 1000:.0f} ms "
            f"(heavy: {', '.join(r.heavy_after_first_cell) or 'none'})"
        )
    return "\n".join(lines)
