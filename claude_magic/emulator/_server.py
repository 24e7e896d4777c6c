"""Running the emulator: uvicorn on its own event loop in a background thread.

Its own loop and thread make it usable from a Jupyter kernel, whose loop already runs in
the main thread. :meth:`Emulator.start` returns once the port accepts connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import uvicorn

from ._app import EmulatorState, RecordedRequest, build_app
from ._batches import BatchStore
from ._traffic import Traffic
from ._replay import Transcript
from ._script import Script, example_scripts

__all__ = ["Emulator", "ScriptLike", "as_script", "serve"]

#: A script, its plain data, a ``.toml``/``.json`` path, or the name of a shipped example.
ScriptLike = Script | Mapping[str, Any] | str | Path | None


def as_script(script: ScriptLike) -> Script:
    """Whatever the caller gave, as a :class:`Script`; raises :class:`ScriptError`."""
    if script is None:
        return Script()
    if isinstance(script, Script):
        return script
    if isinstance(script, Mapping):
        return Script.from_dict(script)
    if isinstance(script, str) and not Path(script).exists() and script in example_scripts():
        return Script.example(script)
    return Script.load(script)


class Emulator:
    """An Anthropic-compatible server on 127.0.0.1; ``start()``/``stop()`` or ``with``."""

    def __init__(
        self,
        script: ScriptLike = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        replay: str | Path | None = None,
        replay_delay: float | None = None,
        log_level: str = "warning",
        access_log: bool = False,
    ) -> None:
        # Load everything now, so a bad script or transcript fails before a port is taken.
        self._state = EmulatorState(
            script=as_script(script),
            replay=Transcript.load(replay) if replay is not None else None,
            replay_delay=replay_delay,
        )
        self._host, self._port = host, port
        self._log_level, self._access_log = log_level, access_log
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._socket: socket.socket | None = None
        self._url: str | None = None
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL for ``base_url=``/``ANTHROPIC_BASE_URL`` (no ``/v1``)."""
        if self._url is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._url

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (``.clear()`` it between checks)."""
        return self._state.requests

    @property
    def batches(self) -> BatchStore:
        """The Message Batches: ``processing_s``, ``errored_ids``, ``expired_ids``, ``batches``."""
        return self._state.batches

    @property
    def traffic(self) -> Traffic:
        """Latency, 429 storms and the in-flight gauge of ``POST /v1/messages``."""
        return self._state.traffic

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def set_script(self, script: ScriptLike) -> None:
        """Answer later requests with ``script``; attempt counts for ``times`` start over."""
        self._state.script = as_script(script)
        self._state.attempts.reset()

    def start(self, *, timeout: float = 10.0) -> Emulator:
        """Serve in a background thread; returns once connections are accepted."""
        if self.running:
            return self
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        # IPPROTO_TCP, so asyncio turns Nagle's algorithm off: without it a small SSE event on
        # a reused connection can wait ~40 ms for the previous one's ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
        except OSError as exc:
            sock.close()
            raise OSError(exc.errno, f"emulator cannot listen on {self._host}:{self._port}: {exc.strerror}") from None
        host, port = sock.getsockname()[:2]
        self._socket = sock
        self._state.closing = asyncio.Event()  # a fresh one per loop
        config = uvicorn.Config(
            build_app(self._state),
            log_level=self._log_level,
            access_log=self._access_log,
            log_config=None,  # leave the host's logging (a notebook's) as it is
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=3,
        )
        self._server = uvicorn.Server(config)
        self._failure = None
        self._thread = threading.Thread(target=self._run, name=f"claude_magic emulator :{port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start: {self._failure or 'timed out'}")
            time.sleep(0.005)
        display_host = f"[{host}]" if family == socket.AF_INET6 else host
        self._url = f"http://{display_host}:{port}"
        return self

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            assert self._server is not None and self._socket is not None
            await self._server.serve(sockets=[self._socket])

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported by start(); a thread has nowhere else to raise
            self._failure = exc

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop serving: open streams are cut, then the thread ends. Safe to call twice."""
        server, thread, loop = self._server, self._thread, self._loop
        if server is not None:
            server.should_exit = True
            if loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop may have ended already
                    loop.call_soon_threadsafe(self._state.closing.set)
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._loop = self._socket = None
        self._url = None

    def wait(self) -> None:
        """Block until the server stops (the CLI's main thread waits here for Ctrl-C)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._url if self._url else "not running"
        return f"<claude_magic Emulator {where}>"


@contextlib.contextmanager
def serve(
    script: ScriptLike = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    replay: str | Path | None = None,
    replay_delay: float | None = None,
) -> Iterator[Emulator]:
    """Run an emulator for the duration of a ``with`` block."""
    emulator = Emulator(script, host=host, port=port, replay=replay, replay_delay=replay_delay)
    with emulator:
        yield emulator
