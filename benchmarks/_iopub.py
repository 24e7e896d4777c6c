"""Counting a kernel's IOPub traffic as it arrives: raw ZMQ frames, sized before any parsing.

jupyter_client's channels hand back decoded dicts, and re-encoding them (``json.dumps``) does
not give the size that went over the wire: the session's packer, the HMAC signature and the
routing frames all count. So the recorder reads the IOPub socket itself and sizes the frames
exactly as they came. It runs in the benchmark process next to the emulator, so it does as
little as it can per message (two small JSON headers and a substring search) and keeps no
payloads: the naive pattern sends hundreds of megabytes on the full-size firehose.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import zmq

__all__ = ["IOPubMessage", "IOPubRecorder", "message_seq", "peak_in_window"]

_DELIMITER = b"<IDS|MSG>"


@dataclass(frozen=True)
class IOPubMessage:
    """One IOPub message as the benchmark sees it."""

    t: float  # time.time() when the frames arrived (same clock as the emulator's send times)
    nbytes: int  # every frame: topic, delimiter, signature, header, parent, metadata, content, buffers
    msg_type: str
    parent_id: str | None
    marks: frozenset[bytes]  # the watched markers found in the content frame
    seq: int  # the kernel session's message counter (msg_id "<session>_<pid>_<n>"), -1 if none
    execution_state: str | None = None  # status messages only


class IOPubRecorder:
    """Reads a SUB socket on a thread and keeps one :class:`IOPubMessage` per message."""

    def __init__(self, socket: zmq.Socket) -> None:
        self._socket = socket
        self._messages: list[IOPubMessage] = []
        self._markers: tuple[bytes, ...] = ()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="iopub recorder", daemon=True)
        self._thread.start()

    def watch(self, markers: Iterable[bytes]) -> None:
        """Search the content of later messages for these byte strings (answer text markers)."""
        self._markers = tuple(markers)

    def messages_for(self, msg_id: str) -> list[IOPubMessage]:
        with self._changed:
            return [m for m in self._messages if m.parent_id == msg_id]

    def messages_between(self, start: float, end: float) -> list[IOPubMessage]:
        with self._changed:
            return [m for m in self._messages if start <= m.t <= end]

    def wait_for(self, msg_id: str, *, state: str = "idle", timeout: float) -> IOPubMessage:
        """The status message of ``msg_id`` with ``state``; raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in reversed(self._messages):
                    if message.parent_id == msg_id and message.execution_state == state:
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    raise TimeoutError(f"no {state!r} status on IOPub for {msg_id} in {timeout} s")
                self._changed.wait(min(remaining, 0.5))

    def forget(self) -> None:
        """Drop what was recorded (between runs, so lookups stay short)."""
        with self._changed:
            self._messages.clear()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.close(linger=0)

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(100):
                continue
            # Drain everything that is ready before taking the lock once.
            batch = []
            while True:
                try:
                    frames = self._socket.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                batch.append(self._parse(time.time(), frames))
            with self._changed:
                self._messages.extend(batch)
                self._changed.notify_all()

    def _parse(self, t: float, frames: Sequence[bytes]) -> IOPubMessage:
        # Wire format: [topic..., <IDS|MSG>, signature, header, parent_header, metadata, content, buffers...]
        at = frames.index(_DELIMITER)
        header = json.loads(frames[at + 2])
        parent = json.loads(frames[at + 3])
        content = frames[at + 5]
        msg_type = header["msg_type"]
        state = json.loads(content).get("execution_state") if msg_type == "status" else None
        return IOPubMessage(
            t=t,
            nbytes=sum(len(frame) for frame in frames),
            msg_type=msg_type,
            parent_id=parent.get("msg_id"),
            marks=frozenset(marker for marker in self._markers if marker in content),
            seq=message_seq(header["msg_id"]),
            execution_state=state,
        )


def peak_in_window(times: Sequence[float], window: float) -> int:
    """The most events that fall in any ``window`` seconds (``times`` sorted)."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


def message_seq(msg_id: str) -> int:
    """The counter in a jupyter_client msg_id: one counter per session, shell and IOPub alike.

    Gaps in it tell messages lost between kernel and recorder (a ZMQ PUB socket drops
    silently past its high-water mark) from messages that were never sent.
    """
    tail = msg_id.rpartition("_")[2]
    return int(tail) if tail.isdigit() else -1
