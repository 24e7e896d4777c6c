"""A command-line emulator for hostile clients, its stderr in a file, and raw-socket helpers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass
class CliServer:
    url: str
    stderr: Path

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        assert parts.hostname is not None and parts.port is not None
        return parts.hostname, parts.port

    def connect(self, timeout: float = 10.0) -> socket.socket:
        return socket.create_connection(self.address, timeout=timeout)

    def err(self) -> str:
        return self.stderr.read_text()


@contextmanager
def cli_server(folder: Path, *args: str) -> Iterator[CliServer]:
    """``python -m claude_magic.emulator --port 0 ARGS``, with stderr written to a file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    err = folder / "stderr.txt"
    with err.open("w") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "claude_magic.emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=stream,
            text=True,
            env=env,
        )
    try:
        assert process.stdout is not None
        yield CliServer(process.stdout.readline().strip(), err)
    finally:
        process.terminate()
        process.communicate(timeout=15)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool  # the server closed the connection after it

    def json(self) -> Any:
        return json.loads(self.body)


def read_response(sock: socket.socket, *, timeout: float = 10.0, keep_open: bool = False) -> RawResponse | None:
    """The response on ``sock`` (None if the server closed it without one).

    Then waits up to 2 s to see whether the server closes the connection, unless ``keep_open``.
    """
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    closed = False if keep_open else is_closed(sock, timeout=2.0)
    return RawResponse(int(lines[0].split()[1]), headers, body, closed=closed)


def is_closed(sock: socket.socket, *, timeout: float) -> bool:
    """Whether the server closes ``sock`` within ``timeout`` seconds (reading whatever else came)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return False


def post_head(path: str, *, length: int | None = None, chunked: bool = False, key: str = "k") -> bytes:
    """A POST's request line and headers, as a client sends them before its body."""
    framing = "transfer-encoding: chunked" if chunked else f"content-length: {length}"
    return (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"x-api-key: {key}\r\n{framing}\r\n\r\n"
    ).encode()


def assert_api_error(response: RawResponse | None, status: int, error_type: str) -> str:
    """The API's error shape, with its request id in header and body; returns the message."""
    assert response is not None, "the server closed the connection without answering"
    body = response.json()
    assert response.status == status, body
    assert response.headers["content-type"] == "application/json"
    assert body["type"] == "error" and body["error"]["type"] == error_type
    assert body["request_id"] == response.headers["request-id"]
    return str(body["error"]["message"])
