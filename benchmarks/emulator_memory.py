"""What large requests cost the emulator's memory: its resident size before and after them.

    python benchmarks/emulator_memory.py [--pythonpath TREE]

Starts ``python -m claude_magic.emulator`` (from ``TREE`` if given, to compare with an older
tree), reads its VmRSS from /proc, then sends four 50 MB requests (over the API's 32 MB cap:
refused with 413 before they are read) and four 30 MB requests (under it: answered), reading
VmRSS after each group. Not part of CI.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

MB = 1024 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def send(address: tuple[str, int], body: bytes) -> int:
    """POST ``body`` to /v1/messages over a raw socket; the status (0 if cut off unanswered)."""
    head = (
        f"POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-api-key: k\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(address, timeout=120) as sock:
        sock.sendall(head)
        try:
            view = memoryview(body)
            for start in range(0, len(body), MB):
                sock.sendall(view[start : start + MB])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end: the answer is waiting
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


def request_of(size: int) -> bytes:
    filler = "x" * (size - 200)
    return json.dumps({"model": "claude-opus-4-8", "max_tokens": 5, "messages": [{"role": "user", "content": filler}]}).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pythonpath", help="the tree whose claude_magic to run (default: this one)")
    args = parser.parse_args()
    tree = args.pythonpath or str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=tree)
    # cwd: the tree, since `python -m` puts the working directory first on sys.path.
    process = subprocess.Popen(
        [sys.executable, "-m", "claude_magic.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tree,
    )
    try:
        assert process.stdout is not None
        parts = urlsplit(process.stdout.readline().strip())
        address = (parts.hostname or "127.0.0.1", parts.port or 0)
        time.sleep(0.5)
        print(f"at start:                     {rss_mb(process.pid):6.1f} MB")
        groups = (("four 50 MB requests", 50 * MB), ("four 30 MB requests", 30 * MB), ("four more 30 MB", 30 * MB))
        for label, size in groups:
            body = request_of(size)
            statuses = [send(address, body) for _ in range(4)]
            del body
            time.sleep(0.5)
            print(f"after {label} {statuses}: {rss_mb(process.pid):6.1f} MB")
    finally:
        process.terminate()
        process.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
