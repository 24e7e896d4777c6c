"""The command line: prints its URL first, serves, and leaves cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import anthropic
import pytest

from .helpers import FIXTURES, KEY, MODEL, user


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["ANTHROPIC_CONFIG_DIR"] = str(tmp_path)
    return env


StartCli = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def start_cli(tmp_path: Path) -> Iterator[StartCli]:
    """Start ``python -m claude_magic.emulator ARGS``; whatever is still running is killed after."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "claude_magic.emulator", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_cli_prints_its_url_serves_and_exits_cleanly_on_ctrl_c(start_cli: StartCli) -> None:
    process = start_cli("--port", "0", "--script", "workshop")
    assert process.stdout is not None

    url = process.stdout.readline().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    with anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0) as client:
        message = client.messages.create(model=MODEL, max_tokens=200, messages=user("think about it"))
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)

    assert message.content[0].type == "thinking"  # the workshop script answered
    assert process.returncode == 0
    assert out == ""
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_cli_replays_a_transcript(start_cli: StartCli) -> None:
    process = start_cli("--port", "0", "--replay", str(FIXTURES / "sse" / "basic_response.txt"))
    assert process.stdout is not None
    url = process.stdout.readline().strip()

    with anthropic.Anthropic(api_key=KEY, base_url=url, max_retries=0) as client:
        with client.messages.stream(model=MODEL, max_tokens=5, messages=user("x")) as stream:
            assert stream.get_final_text() == "Hello there!"
    process.terminate()
    process.communicate(timeout=10)

    assert process.returncode == 0


def test_cli_refuses_a_bad_script_with_one_line(start_cli: StartCli, tmp_path: Path) -> None:
    script = tmp_path / "bad.json"
    script.write_text('{"rules": [{"name": "w", "blocks": [{"type": "txt"}]}]}')

    process = start_cli("--port", "0", "--script", str(script))
    out, err = process.communicate(timeout=10)

    assert process.returncode == 2
    assert out == ""
    assert err.strip() == (
        "error: bad.json: rule 0 ('w'): blocks.0.type: unknown block type 'txt' (expected text, thinking, tool_use)"
    )
