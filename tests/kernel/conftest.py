"""Fixtures for tests that run %%claude in a real ipykernel against the emulator over HTTP."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from claude_magic.emulator import Script, serve
from kernel_harness import Kernel, kernel_env

#: A sentinel key: tests check it never shows up in an output, a record or a log.
TEST_KEY = "sk-ant-test-SENTINEL-0123456789"


@pytest.fixture
def emulator() -> Iterator[Any]:
    with serve() as server:
        yield server


def use_script(server: Any, rules: list[dict[str, Any]]) -> None:
    server.set_script(Script.from_dict({"rules": rules}))


@pytest.fixture
def kernel(emulator: Any, tmp_path: Any) -> Iterator[Kernel]:
    """A kernel with claude_magic loaded, pointed at the emulator with a test key."""
    env = kernel_env(tmp_path, ANTHROPIC_BASE_URL=emulator.url, ANTHROPIC_API_KEY=TEST_KEY)
    k = Kernel(env, cwd=str(tmp_path))
    run = k.run("%load_ext claude_magic\n%config ClaudeMagic.display = 'markdown'")
    assert run.status == "ok", run.all_text
    yield k
    k.shutdown()


@pytest.fixture
def bare_kernel(tmp_path: Any) -> Iterator[Kernel]:
    """A kernel with no key and no base URL."""
    k = Kernel(kernel_env(tmp_path), cwd=str(tmp_path))
    yield k
    k.shutdown()
