"""Running a cell's coroutine where no `await` rewrite applies, and making Ctrl-C cancel it."""

from __future__ import annotations

import asyncio
import contextvars
import signal
import threading
from typing import Any, Coroutine

__all__ = ["run_on_ipython_loop", "run_in_worker_thread", "cancel_on_sigint", "wake_loop_on_sigint"]


class cancel_on_sigint:
    """While active, Ctrl-C cancels ``task`` on its loop instead of leaving it pending.

    A bare KeyboardInterrupt out of ``run_until_complete`` would leave the stream's task alive
    in the loop, and IPython reuses that loop for the next cell, which would resume it.
    Only in the main thread of a process that is not an ipykernel (the kernel handles its own
    interrupts by cancelling the cell's task).
    """

    def __init__(self, task: asyncio.Future[Any]) -> None:
        self._task = task
        self._installed = False

    def __enter__(self) -> cancel_on_sigint:
        if threading.current_thread() is threading.main_thread():
            try:
                self._task.get_loop().add_signal_handler(signal.SIGINT, self._task.cancel)
                self._installed = True
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            self._task.get_loop().remove_signal_handler(signal.SIGINT)


class wake_loop_on_sigint:
    """While active, a SIGINT also wakes the running loop.

    ipykernel 7.4 turns SIGINT into a cancel of the cell's task, but schedules it with
    tornado's ``add_callback``, which from inside the loop's thread uses the non-thread-safe
    ``call_soon``: an idle loop (a stalled stream waiting on a socket) does not wake up, so
    the interrupt would wait for the read timeout. Chaining a ``call_soon_threadsafe`` no-op
    in front of the kernel's handler writes to the loop's self-pipe and wakes it at once.
    """

    def __init__(self) -> None:
        self._previous: Any = None
        self._ours: Any = None

    def __enter__(self) -> wake_loop_on_sigint:
        if threading.current_thread() is not threading.main_thread():
            return self
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGINT)
        if not callable(previous):
            return self

        def wake_then_handle(signum: int, frame: Any) -> None:
            loop.call_soon_threadsafe(lambda: None)
            previous(signum, frame)

        self._previous, self._ours = previous, wake_then_handle
        signal.signal(signal.SIGINT, wake_then_handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ours is not None and signal.getsignal(signal.SIGINT) is self._ours:
            signal.signal(signal.SIGINT, self._previous)


def run_on_ipython_loop(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run on the loop IPython keeps for autoawait, so clients and connections are reused.

    That loop is shared and not thread-safe: only the main thread uses it, and only while it
    is idle. Another thread (or a call made while that loop runs) gets a private loop in a
    worker thread instead, so two threads can run magics at once.
    """
    from IPython.core.async_helpers import get_asyncio_loop

    loop = get_asyncio_loop()
    if threading.current_thread() is not threading.main_thread() or loop.is_running():
        return run_in_worker_thread(coro)
    task = loop.create_task(coro)
    with cancel_on_sigint(task):
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None


def run_in_worker_thread(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run on a private loop in a worker thread while this thread waits; Ctrl-C cancels it."""
    from ..core.client import close_loop_clients

    box: dict[str, Any] = {}
    ready = threading.Event()

    def work() -> None:
        loop = asyncio.new_event_loop()
        box["loop"] = loop
        box["task"] = task = loop.create_task(coro)
        ready.set()
        try:
            box["value"] = loop.run_until_complete(task)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        finally:
            loop.run_until_complete(close_loop_clients())
            loop.close()

    context = contextvars.copy_context()  # output routing in ipykernel follows the context
    worker = threading.Thread(target=context.run, args=(work,), name="claude-magic-cell", daemon=True)
    worker.start()
    ready.wait()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        box["loop"].call_soon_threadsafe(box["task"].cancel)
        worker.join()
        raise
    if "error" in box:
        error = box["error"]
        raise (KeyboardInterrupt() if isinstance(error, asyncio.CancelledError) else error)
    return box.get("value")
