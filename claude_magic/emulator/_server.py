"""Running the emulator: uvicorn on its own event loop in a background thread.

Its own loop and thread make it usable from a Jupyter kernel, whose loop already runs in
the main thread. :meth:`Emulator.start` returns once the port accepts connections.
What it serves: the emulator's routes, a recording proxy (``record=``), or a recording
folder (``replay=DIR``); always behind the guard (limits, deadlines, the room token).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from ._app import build_app
from ._context import EmulatorState, RecordedRequest
from ._guard import Guard, api_error_handler
from ._limits import Limits
from ._playback import Playback
from ._protocol import GuardedH11Protocol
from ._proxy import RecordingProxy
from ._recording import Recordings
from ._files import FileStore
from ._batches import BatchStore
from ._traffic import Traffic
from ._replay import Transcript
from ._requestlog import RequestLog
from ._script import Script, example_scripts

__all__ = ["Emulator", "ScriptLike", "as_script", "is_loopback", "serve"]

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


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Emulator:
    """An Anthropic-compatible server on 127.0.0.1; ``start()``/``stop()`` or ``with``.

    Beyond 127.0.0.1 (``host="0.0.0.0"``) it serves a room, and requires an access token of
    its own: ``token=``, or one generated (read it from ``.token``). A token given is required
    on any address. ``record=DIR`` with ``upstream=URL`` makes it a recording proxy;
    ``replay=DIR`` answers from such a folder (``replay=FILE``: one SSE transcript for all).
    """

    def __init__(
        self,
        script: ScriptLike = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        replay: str | Path | None = None,
        replay_delay: float | None = None,
        record: str | Path | None = None,
        upstream: str | None = None,
        upstream_key: str | None = None,
        token: str | None = None,
        limits: Limits | None = None,
        on_miss: Callable[[str], None] | None = None,
        log_level: str = "warning",
        access_log: bool = False,
        files_dir: str | Path | None = None,
        max_file_bytes: int | None = None,
    ) -> None:
        if record is not None and (replay is not None or upstream is None):
            raise ValueError("record= needs upstream= (the API's base URL), and does not go with replay=")
        self._limits = limits or Limits()
        # Load everything now, so a bad script or transcript fails before a port is taken.
        recordings = Recordings.load(replay) if replay is not None and Path(replay).is_dir() else None
        self._state = EmulatorState(
            script=as_script(script),
            requests=RequestLog(self._limits.keep_requests, self._limits.keep_body_bytes),
            replay=Transcript.load(replay) if replay is not None and recordings is None else None,
            replay_delay=replay_delay,
            files=FileStore(files_dir, max_bytes=max_file_bytes or self._limits.max_file_bytes),
        )
        self._recordings, self._on_miss = recordings, on_miss
        self._record, self._upstream, self._upstream_key = record, upstream, upstream_key
        self._token = token if token is not None or is_loopback(host) else "cm-" + secrets.token_urlsafe(18)
        self._host, self._port = host, port
        self._log_level, self._access_log = log_level, access_log
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._socket: socket.socket | None = None
        self._url: str | None = None
        self._failure: BaseException | None = None
        self._app_instance: ASGIApp | None = None

    @property
    def url(self) -> str:
        """Base URL for ``base_url=``/``ANTHROPIC_BASE_URL`` (no ``/v1``)."""
        if self._url is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return self._url

    @property
    def token(self) -> str | None:
        """The access token every request must carry as its key, or None when none is needed."""
        return self._token

    @property
    def requests(self) -> list[RecordedRequest]:
        """The last requests received (1,000 by default), oldest first (``.clear()`` it between checks).

        A body larger than ``Limits.keep_body_bytes`` is summarized once a newer request arrives.
        """
        return self._state.requests

    def _app(self) -> ASGIApp:
        inner: ASGIApp
        if self._record is not None:
            assert self._upstream is not None
            inner = RecordingProxy(self._upstream, self._record, self._state, key=self._upstream_key)
        elif self._recordings is not None:
            inner = Playback(self._recordings, self._state, on_miss=self._on_miss)
        else:
            app = build_app(self._state)
            app.add_exception_handler(Exception, api_error_handler)
            inner = app
        return Guard(inner, limits=self._limits, token=self._token)

    @property
    def files(self) -> FileStore:
        """The Files API's files (in memory, or in ``files_dir``); ``files.add()`` puts one there."""
        return self._state.files

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
        self._app_instance = self._app()
        # Uvicorn only calls it, as it would the class: a partial carries the header deadline.
        protocol: Any = functools.partial(GuardedH11Protocol, header_timeout=self._limits.client_timeout)
        config = uvicorn.Config(
            self._app_instance,
            log_level=self._log_level,
            access_log=self._access_log,
            log_config=None,  # leave the host's logging (a notebook's) as it is
            lifespan="off",
            ws="none",
            http=protocol,
            loop="asyncio",
            timeout_keep_alive=5,
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
            try:
                await self._server.serve(sockets=[self._socket])
            finally:
                inner = getattr(self._app_instance, "app", None)
                if isinstance(inner, RecordingProxy):
                    await inner.aclose()

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
    **options: Any,
) -> Iterator[Emulator]:
    """Run an emulator for the duration of a ``with`` block (``options``: as for :class:`Emulator`)."""
    emulator = Emulator(script, host=host, port=port, replay=replay, replay_delay=replay_delay, **options)
    with emulator:
        yield emulator
