"""The benchmark's world: the emulator in this process, one kernel pointed at it, warmed up."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claude_magic.emulator import serve

from ._kernel import BenchKernel, clean_env
from ._measure import measure_run
from ._scenarios import Scenario, Variant

__all__ = ["Session", "bench_session", "chat_missing"]

#: What the kernel sends as its key: the emulator accepts any; never a real one.
BENCH_KEY = "sk-ant-bench-not-a-key"

#: A short unpaced stream each variant sees once before anything is measured: imports
#: (markdown-it, anywidget), the HTTP connection and the first-call paths are paid here.
WARM_UP = Scenario("warm-up", "warm-up", 40)


@dataclass
class Session:
    kernel: BenchKernel
    emulator: Any

    def warm_up(self, variants: Iterable[Variant]) -> None:
        for variant in variants:
            measure_run(self.kernel, self.emulator, WARM_UP, variant)


@contextlib.contextmanager
def bench_session() -> Iterator[Session]:
    """An emulator and a kernel with claude_magic loaded; both stopped on leaving."""
    with tempfile.TemporaryDirectory(prefix="claude-magic-bench-") as scratch, serve() as emulator:
        env = clean_env(Path(scratch), ANTHROPIC_BASE_URL=emulator.url, ANTHROPIC_API_KEY=BENCH_KEY)
        kernel = BenchKernel(env, Path(scratch))
        try:
            kernel.run("%load_ext claude_magic")
            yield Session(kernel, emulator)
        finally:
            kernel.shutdown()


_CHAT_PROBE = """
try:
    import claude_magic
    claude_magic.Chat
    _bench_chat_missing = None
except Exception as _bench_exc:  # claude_magic.__getattr__ imports ._chat: any error says why
    _bench_chat_missing = f"{type(_bench_exc).__name__}: {_bench_exc}"
"""


def chat_missing(kernel: BenchKernel) -> str | None:
    """Why ``claude_magic.Chat`` cannot be used in the kernel, or None when it can."""
    kernel.run(_CHAT_PROBE)
    return kernel.value("_bench_chat_missing")
