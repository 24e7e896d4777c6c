"""The benchmark's world: the emulator in this process, one kernel pointed at it, warmed up."""

from __future__ import annotations

import contextlib
import socket
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claude_magic.emulator import serve

from ._kernel import BenchKernel, clean_env
from ._measure import measure_run
from ._scenarios import Scenario, Variant

__all__ = ["Session", "bench_session", "chat_missing", "force_tcp_nodelay"]

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


def force_tcp_nodelay(emulator: Any) -> bool:
    """Turn Nagle's algorithm off on the emulator's connections; False if it cannot.

    The emulator binds a socket made with ``socket.socket(family, SOCK_STREAM)``, whose
    ``proto`` is 0, and asyncio sets TCP_NODELAY only on sockets whose ``proto`` is
    IPPROTO_TCP. So its small SSE writes wait for the client's delayed ACK: the kernel often
    gets the first delta about 40 ms after the emulator wrote it, which would be charged to
    the display. Accepted sockets inherit the option from the listening one (Linux).
    Remove this once the emulator sets TCP_NODELAY itself.
    """
    listener = getattr(emulator, "_socket", None)
    if listener is None:
        return False
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return True


@contextlib.contextmanager
def bench_session(*, nodelay: bool = True) -> Iterator[Session]:
    """An emulator and a kernel with claude_magic loaded; both stopped on leaving."""
    with tempfile.TemporaryDirectory(prefix="claude-magic-bench-") as scratch, serve() as emulator:
        if nodelay and not force_tcp_nodelay(emulator):
            raise RuntimeError("cannot set TCP_NODELAY on the emulator: run with --as-shipped")
        env = clean_env(Path(scratch), ANTHROPIC_BASE_URL=emulator.url, ANTHROPIC_API_KEY=BENCH_KEY)
        kernel = BenchKernel(env, Path(scratch))
        try:
            kernel.run("%load_ext claude_magic")
            kernel.run(_FRONT_END)
            yield Session(kernel, emulator)
        finally:
            kernel.shutdown()


#: The benchmark has no browser: it says for each live area what a front end's view says first
#: ("rendered"), so the widget path is measured as in JupyterLab, not its silent-front-end
#: fallback to the plain display (claude_magic/display/fallback.py).
_FRONT_END = """
from claude_magic.display import widget as _bench_widget
_bench_area_init = _bench_widget.LiveArea.__init__
def _bench_rendered_area(self, *args, **kwargs):
    _bench_area_init(self, *args, **kwargs)
    self._handle_custom(self, {"rendered": True}, [])
_bench_widget.LiveArea.__init__ = _bench_rendered_area
"""


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
