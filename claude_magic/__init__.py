"""claude_magic: Claude in Jupyter, streamed live, with usage and timing for every cell.

This module is only the public surface. The IPython magic is imported lazily when the
extension loads, so ``import claude_magic`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from .core.state import kernel_state as _kernel_state
from .usage.record import UsageHistory, UsageRecord

__all__ = [
    "backend",
    "Chat",
    "map",
    "history",
    "last",
    "answers",
    "events",
    "events_frame",
    "UsageRecord",
    "load_ipython_extension",
    "unload_ipython_extension",
]

__version__ = "0.1.0"

#: Every %%claude run of this kernel (failed and interrupted ones too), oldest first. It is
#: the kernel's own record (``core/state.py``), so ``%reload_ext claude_magic`` keeps it.
history: UsageHistory = _kernel_state().history

#: ``claude_magic.last``: the last answer (``.text``, ``.record``, ``.footer``), kept by the kernel,
#: so a page reloaded mid-stream loses nothing; ``claude_magic.answers``: the last 20, oldest first.

#: The raw stream events of the last ``%%claude --raw`` cell.
events: list[Any] = _kernel_state().events


def events_frame() -> Any:
    """The last ``%%claude --raw`` cell's events as a pandas DataFrame (pandas must be installed)."""
    from .display.raw_view import events_frame as frame

    return frame(events)


def backend(script: Any = None, *, live: bool | None = None, replay: Any = None) -> Any:
    """The API when ANTHROPIC_API_KEY is set and CLAUDE_MAGIC_LIVE=1, else the local emulator.

    The emulator answers from ``script``, or from a recording folder (``replay=`` or
    ``CLAUDE_MAGIC_REPLAY``). Prints which it chose when displayed; ``.client()`` and
    ``.async_client()`` build SDK clients pointed at it, and a loaded ``%%claude`` uses it too.
    """
    from .core.backend import backend as choose

    return choose(script, live=live, replay=replay)


def map(items: Any, template: str, **options: Any) -> Any:  # noqa: A001 - claude_magic.map
    """Ask ``template`` of every row of ``items`` (see :func:`claude_magic.mapping.map`).

    Awaitable in a notebook (``labels = await claude_magic.map(df, "...{text}")``), a plain
    call in a script.
    """
    from .mapping import map as run

    return run(items, template, **options)


def __getattr__(name: str) -> Any:
    # ``last`` and ``answers`` are read when asked for, so they are always the newest.
    if name == "last":
        answers = _kernel_state().answers
        return answers[-1] if answers else None
    if name == "answers":
        return list(_kernel_state().answers)
    # Chat pulls in widgets: import it only when asked for.
    if name == "Chat":
        from .display.chat import Chat

        return Chat
    raise AttributeError(f"module 'claude_magic' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    from .ipython.extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .ipython.extension import unload

    unload(ipython)
