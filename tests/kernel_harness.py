"""A real ipykernel driven over ZMQ, recording every IOPub message with its arrival time."""

from __future__ import annotations

import json
import os
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager


@dataclass
class CellRun:
    """What one execute_request produced on IOPub, in order."""

    reply: dict[str, Any]
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    def of_type(self, *types: str) -> list[tuple[float, dict[str, Any]]]:
        return [(t, m) for t, m in self.messages if m["msg_type"] in types]

    @property
    def outputs(self) -> list[dict[str, Any]]:
        """The cell's outputs as a notebook would save them (display updates applied)."""
        outs: list[dict[str, Any]] = []
        by_id: dict[str, list[int]] = {}
        for _, msg in self.messages:
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("display_data", "execute_result"):
                outs.append({"output_type": kind, "data": content["data"]})
                display_id = content.get("transient", {}).get("display_id")
                if display_id:
                    by_id.setdefault(display_id, []).append(len(outs) - 1)
            elif kind == "update_display_data":
                for index in by_id.get(content["transient"]["display_id"], []):
                    outs[index] = {"output_type": "display_data", "data": content["data"]}
            elif kind == "stream":
                if outs and outs[-1]["output_type"] == "stream" and outs[-1]["name"] == content["name"]:
                    outs[-1]["text"] += content["text"]
                else:
                    outs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
            elif kind == "error":
                outs.append({"output_type": "error", "ename": content["ename"], "evalue": content["evalue"],
                             "traceback": content["traceback"]})
            elif kind == "clear_output":
                outs.clear()
        return outs

    def data(self, mime: str) -> list[str]:
        return [o["data"][mime] for o in self.outputs if "data" in o and mime in o["data"]]

    @property
    def stdout(self) -> str:
        return "".join(o["text"] for o in self.outputs if o["output_type"] == "stream" and o["name"] == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(o["text"] for o in self.outputs if o["output_type"] == "stream" and o["name"] == "stderr")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [o for o in self.outputs if o["output_type"] == "error"]

    @property
    def all_text(self) -> str:
        """Everything a person would read in the saved outputs, as text."""
        parts = []
        for out in self.outputs:
            if out["output_type"] == "stream":
                parts.append(out["text"])
            elif out["output_type"] == "error":
                parts.append(f"{out['ename']}: {out['evalue']}")
            else:
                parts.append(out["data"].get("text/plain", ""))
        return "\n".join(parts)

    def iopub_bytes(self) -> int:
        return sum(len(json.dumps(m, default=str)) for _, m in self.messages)


class Kernel:
    """One ipykernel process for a test; ``run`` executes a cell and waits for idle."""

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self.env = env
        self.manager = KernelManager(kernel_name="python3", transport="ipc")
        self.manager.ip = str(Path(cwd) / "kernel-ipc")
        self.manager.start_kernel(env=env, cwd=cwd)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def execute(self, code: str, *, metadata: dict[str, Any] | None = None, allow_stdin: bool = False) -> str:
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": allow_stdin, "stop_on_error": True}
        msg = self.client.session.msg("execute_request", content, metadata=metadata or {})
        self.client.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def collect(self, msg_id: str, *, timeout: float = 60) -> CellRun:
        """IOPub messages of ``msg_id`` until the kernel is idle, then the shell reply."""
        deadline = time.monotonic() + timeout
        messages: list[tuple[float, dict[str, Any]]] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"cell did not finish in {timeout} s; got {[m['msg_type'] for _, m in messages]}")
            try:
                msg = self.client.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            messages.append((time.time(), msg))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        reply = self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.client.get_shell_msg(timeout=timeout)
        return CellRun(reply=reply, messages=messages)

    def run(self, code: str, *, timeout: float = 60, metadata: dict[str, Any] | None = None) -> CellRun:
        return self.collect(self.execute(code, metadata=metadata), timeout=timeout)

    def run_answering(self, code: str, answers: list[str], *, timeout: float = 60) -> tuple[CellRun, list[str]]:
        """Run a cell that asks for input; answer each prompt in turn. Returns the prompts seen."""
        msg_id = self.execute(code, allow_stdin=True)
        prompts: list[str] = []
        for answer in answers:
            request = self.client.get_stdin_msg(timeout=timeout)
            prompts.append(request["content"]["prompt"])
            self.client.input(answer)
        return self.collect(msg_id, timeout=timeout), prompts

    def value(self, expression: str) -> Any:
        """Evaluate ``expression`` in the kernel and return it through JSON."""
        run = self.run(f"import json as _json, claude_magic; print(_json.dumps({expression}, default=str))")
        assert run.status == "ok", run.all_text
        return json.loads(run.stdout.strip().splitlines()[-1])

    def interrupt(self) -> None:
        self.manager.interrupt_kernel()

    def restart(self) -> None:
        self.manager.restart_kernel(now=True)
        self.client.wait_for_ready(timeout=60)

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def kernel_env(tmp_path: Any, **extra: str) -> dict[str, str]:
    """A clean environment: no real keys, an empty SDK config dir, a private data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    config = tmp_path / "anthropic-config"
    config.mkdir(exist_ok=True)
    env.update(
        ANTHROPIC_CONFIG_DIR=str(config),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        JUPYTER_PLATFORM_DIRS="1",
    )
    env.update(extra)
    return env
