"""Fixtures: one emulator per module (reset for every test), SDK clients with an explicit key."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from claude_magic.emulator import Emulator, serve

from .helpers import KEY


@pytest.fixture(autouse=True)
def _no_ambient_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No key or profile from the machine may reach these tests."""
    for name in [n for n in os.environ if n.startswith("ANTHROPIC_")]:
        monkeypatch.delenv(name)
    config = tmp_path / "anthropic-config"
    config.mkdir()
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(config))


@pytest.fixture(scope="module")
def _module_emulator() -> Iterator[Emulator]:
    with serve() as server:
        yield server


@pytest.fixture
def server(_module_emulator: Emulator) -> Iterator[Emulator]:
    """The module's emulator with no script and no recorded requests."""
    _module_emulator.set_script(None)
    _module_emulator.requests.clear()
    yield _module_emulator
    _module_emulator.set_script(None)


@pytest.fixture
def make_client(server: Emulator) -> Iterator[Callable[..., anthropic.Anthropic]]:
    """Build sync clients on the emulator (default: no retries); all are closed afterwards."""
    clients: list[anthropic.Anthropic] = []

    def make(**options: Any) -> anthropic.Anthropic:
        options.setdefault("max_retries", 0)
        client = anthropic.Anthropic(api_key=KEY, base_url=server.url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., anthropic.Anthropic]) -> anthropic.Anthropic:
    return make_client()
