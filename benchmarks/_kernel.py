"""A real ipykernel for the benchmark: cells go in on the shell socket, IOPub is recorded raw.

The same ideas as the test suite's harness (tests/kernel_harness.py), rewritten here because
benchmarks do not import from tests: a clean environment with no real keys, and a kernel
that runs cells and reports when each is idle. What differs is IOPub: it is read from its own
socket by :class:`IOPubRecorder`, and jupyter_client's IOPub channel is never started, so
nothing else in this process decodes the traffic being measured.

Kernel CPU time is taken inside the kernel: ``pre_run_cell``/``post_run_cell`` hooks read
``time.process_time()`` (every thread of the kernel process, the IOPub thread included), and
a silent request (which fires no hooks) reads them back through ``user_expressions``.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.manager import KernelManager

from ._iopub import IOPubMessage, IOPubRecorder, message_seq

__all__ = ["BenchKernel", "CellTiming", "clean_env"]

#: Installed in the kernel once: per-cell CPU and wall time, kept in ``_bench_cell``.
_HOOKS = """
import time as _bench_time
_bench_cell = {}
def _bench_pre(info):
    _bench_cell.clear()
    _bench_cell.update(cpu0=_bench_time.process_time(), t0=_bench_time.time())
def _bench_post(result):
    _bench_cell.update(cpu=_bench_time.process_time() - _bench_cell['cpu0'],
                       wall=_bench_time.time() - _bench_cell['t0'],
                       ok=result.success)
get_ipython().events.register('pre_run_cell', _bench_pre)
get_ipython().events.register('post_run_cell', _bench_post)
"""


def clean_env(scratch: Path, **extra: str) -> dict[str, str]:
    """No real keys, an empty SDK config folder, private data folders (usage log included)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    (scratch / "anthropic-config").mkdir(parents=True, exist_ok=True)
    env.update(
        ANTHROPIC_CONFIG_DIR=str(scratch / "anthropic-config"),
        XDG_DATA_HOME=str(scratch / "data"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        JUPYTER_PLATFORM_DIRS="1",
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class CellTiming:
    """One executed cell: its IOPub messages and its times."""

    msg_id: str
    sent: float  # time.time() just before the execute_request went out
    idle: float  # arrival of its idle status: every output of the cell arrived before it
    messages: list[IOPubMessage]
    kernel_cpu_s: float
    kernel_wall_s: float
    ok: bool
    lost: int  # messages of the cell that the kernel sent on IOPub but never reached the recorder


class BenchKernel:
    """One kernel process; ``measure`` runs a cell and returns what it cost."""

    def __init__(self, env: dict[str, str], cwd: Path, *, startup_timeout: float = 60) -> None:
        self.manager = KernelManager(kernel_name="python3", transport="ipc")
        self.manager.ip = str(cwd / "kernel-ipc")  # ipc: no TCP stack between kernel and recorder
        self.manager.start_kernel(env=env, cwd=str(cwd))
        self.recorder = IOPubRecorder(self._iopub_socket())
        self.client = self.manager.client()
        self.client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self._wait_until_ready(startup_timeout)
        self.run(_HOOKS)

    def _iopub_socket(self) -> zmq.Socket:
        # No receive high-water mark: a burst must queue here rather than be dropped.
        info = self.manager.get_connection_info()
        sep = ":" if info["transport"] == "tcp" else "-"
        socket = zmq.Context.instance().socket(zmq.SUB)
        socket.setsockopt(zmq.RCVHWM, 0)
        socket.setsockopt(zmq.SUBSCRIBE, b"")
        socket.connect(f"{info['transport']}://{info['ip']}{sep}{info['iopub_port']}")
        return socket

    def _wait_until_ready(self, timeout: float) -> None:
        # A SUB socket misses what was published before it joined: ask for kernel_info until
        # its reply has come and its status messages reached the recorder too.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self.client.kernel_info()
            try:
                self._reply(msg_id, timeout=2)
                self.recorder.wait_for(msg_id, timeout=1)
                return
            except (TimeoutError, queue.Empty):
                if not self.manager.is_alive():
                    break
        raise RuntimeError("the kernel did not start or its IOPub never reached the recorder")

    def _reply(self, msg_id: str, *, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.client.get_shell_msg(timeout=max(deadline - time.monotonic(), 0.01))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def run(self, code: str, *, timeout: float = 120) -> dict[str, Any]:
        """Run a cell that is not measured; raises if it fails."""
        msg_id = self.client.execute(code)
        self.recorder.wait_for(msg_id, timeout=timeout)
        reply = self._reply(msg_id, timeout=timeout)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"setup cell failed: {content.get('ename')}: {content.get('evalue')}\n{code}")
        return reply

    def value(self, expression: str) -> Any:
        """Evaluate ``expression`` (JSON-able) silently: no hooks, no history, no outputs."""
        msg_id = self.client.execute("", silent=True, user_expressions={"v": f"__import__('json').dumps({expression})"})
        result = self._reply(msg_id, timeout=30)["content"]["user_expressions"]["v"]
        if result["status"] != "ok":
            raise RuntimeError(f"{expression}: {result.get('ename')}: {result.get('evalue')}")
        # text/plain is the repr of the JSON string.
        return json.loads(ast.literal_eval(result["data"]["text/plain"]))

    def measure(self, code: str, *, timeout: float = 600) -> CellTiming:
        """Run ``code`` as one cell; every IOPub message it caused, and its CPU and wall time."""
        self.recorder.forget()
        sent = time.time()
        msg_id = self.client.execute(code)
        idle = self.recorder.wait_for(msg_id, timeout=timeout)
        reply = self._reply(msg_id, timeout=30)
        messages = self.recorder.messages_for(msg_id)
        # Counters between the cell's first and last IOPub message that never arrived, less
        # the one that went out on the shell socket (the execute_reply).
        seen = {m.seq for m in self.recorder.messages_between(sent, idle.t)}
        span = range(min(m.seq for m in messages), max(m.seq for m in messages) + 1)
        missing = set(span) - seen - {message_seq(reply["header"]["msg_id"])}
        cell = self.value("_bench_cell")
        return CellTiming(
            msg_id=msg_id,
            sent=sent,
            idle=idle.t,
            messages=messages,
            lost=len(missing),
            kernel_cpu_s=cell["cpu"],
            kernel_wall_s=cell["wall"],
            ok=bool(cell["ok"]),
        )

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        self.recorder.close()
