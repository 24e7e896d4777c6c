"""Loading and unloading the extension, and the rewrite that runs cells on the kernel's loop.

A cell magic cannot await, and the kernel's loop is already running, so ``%%claude`` cells
are rewritten before IPython compiles them into ``await <runner>(line, cell)``: IPython's
autoawait then runs the stream as the cell's own task on the kernel's loop. A kernel
interrupt cancels that task, which closes the HTTP stream, and nothing outlives the cell.
(Checked on ipykernel 7.4: nest_asyncio leaves interrupted tasks writing into later cells.)
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["load", "unload", "run", "rewrite_cell"]

_CELL_MAGIC = re.compile(r"^%%claude(?:\s|$)")
_LINE_MAGIC = re.compile(r"^%(claude|claude_retry)(?:\s|$)")
_RUNNER = "__import__('claude_magic.ipython.extension', fromlist=['run']).run"

_magics: Any = None
#: Cells running now: 1 inside a cell, 2 inside a cell that a cell ran (get_ipython().run_cell).
_depth = 0


def rewrite_cell(lines: list[str]) -> list[str]:
    """IPython cleanup transformer: ``%%claude`` cells (and a lone ``%claude`` line) → await."""
    if not lines or _magics is None or not _magics.autoawait_cells or not _autoawait_ready():
        return lines
    if _depth > 0:
        # A cell run from inside a running cell is run synchronously by IPython, where an
        # `await` has no loop to run on: leave the magic as it is, it runs on a worker thread.
        return lines
    first = lines[0]
    if _CELL_MAGIC.match(first):
        line = first[len("%%claude") :].strip()
        cell = "".join(lines[1:])
        return [f"await {_RUNNER}('claude', {line!r}, {cell!r})\n"]
    code = [text for text in lines if text.strip()]
    if len(code) == 1:
        match = _LINE_MAGIC.match(code[0].strip())
        if match:
            name = match.group(1)
            line = code[0].strip()[len(name) + 1 :].strip()
            return [f"await {_RUNNER}({name!r}, {line!r}, None)\n"]
    return lines


def _autoawait_ready() -> bool:
    shell = _magics.shell
    if not getattr(shell, "autoawait", False):
        return False
    runner = getattr(shell, "loop_runner", None)
    # Only asyncio: the client and its connection pool live on an asyncio loop.
    return "asyncio" in type(runner).__name__.lower() or "asyncio" in getattr(runner, "__name__", "")


async def run(name: str, line: str, cell: str | None) -> None:
    """What a rewritten cell awaits."""
    from .aio import cancel_on_sigint, wake_loop_on_sigint
    from .frontend import in_kernel

    magics = _magics
    if magics is None:
        from IPython.core.error import UsageError

        raise UsageError("claude_magic is not loaded: run %load_ext claude_magic")
    coro = magics.run_claude(line, cell) if name == "claude" else magics.run_retry(line)
    if in_kernel(magics.shell):
        with wake_loop_on_sigint():
            await coro
        return
    # Terminal IPython: make Ctrl-C cancel the task rather than leave it pending in the loop.
    import asyncio

    task = asyncio.ensure_future(coro)
    with cancel_on_sigint(task):
        try:
            await task
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None


def _note_cell(info: Any) -> None:
    if _magics is not None:
        _magics.note_cell(cell_id=getattr(info, "cell_id", None))


def _enter_cell() -> None:
    global _depth
    _depth += 1


def _leave_cell() -> None:
    global _depth
    _depth = max(0, _depth - 1)


def _learn_count_offset(result: Any) -> None:
    if _magics is not None:
        _magics.learn_count_offset(getattr(result, "execution_count", None))


def _record_error(result: Any) -> None:
    if _magics is not None:
        _magics.errors.record(result)


_EVENTS = (
    ("pre_run_cell", _note_cell),
    ("post_run_cell", _learn_count_offset),
    ("post_run_cell", _record_error),
    ("pre_execute", _enter_cell),
    ("post_execute", _leave_cell),
)


def load(ipython: Any) -> None:
    global _magics
    if _magics is not None and _magics.shell is ipython:
        return  # loading twice is harmless
    import anthropic  # noqa: F401 - 0.9 s on first import: pay it here, not in the first cell's timing

    from .magic import ClaudeMagic

    _magics = ClaudeMagic(shell=ipython)
    ipython.register_magics(_magics)
    state = _magics.state
    state.settings = _magics
    state.shell = ipython
    state.cell_number = _magics.current_cell_number
    if rewrite_cell not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(rewrite_cell)
    for event, callback in _EVENTS:
        ipython.events.register(event, callback)
    # `claude_magic.Chat()`, `.history`, `.last` right after %load_ext, without an import; a
    # name the user already bound is left alone.
    import sys

    ipython.user_ns.setdefault("claude_magic", sys.modules["claude_magic"])


def unload(ipython: Any) -> None:
    global _magics
    magics = _magics
    if magics is None:
        return
    from ..core.client import close_all_clients
    from ..core.settings import DEFAULTS

    magics.session.stop_emulator()
    manager = ipython.magics_manager
    for kind, names in magics.magics.items():
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop(type(magics).__name__, None)
    if rewrite_cell in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(rewrite_cell)
    for event, callback in _EVENTS:
        try:
            ipython.events.unregister(event, callback)
        except ValueError:
            pass
    close_all_clients()
    magics.state.settings = DEFAULTS
    magics.state.shell = None
    magics.state.cell_number = None
    _magics = None
