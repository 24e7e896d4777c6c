"""A real JupyterLab and Debian's headless chromium, driven through Playwright.

The server runs with private config, data and runtime folders in a temporary directory; lab
extensions (anywidget, ipywidgets) and the kernel spec still come from the venv's
``share/jupyter``, and the kernel runs this interpreter. Screenshots are kept under
``test-artifacts/browser/`` at the repository root.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Lab settings for a quiet, predictable page: no news prompt, no update check.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass
class Lab:
    url: str
    token: str
    root: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}lab/tree/{name}?token={self.token}&reset"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    root, settings = base / "root", base / "settings"
    root.mkdir()
    for name, value in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        # The kernel imports claude_magic from this checkout, whatever its working directory.
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                       os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    port, token = _free_port(), secrets.token_hex(16)
    log = base / "lab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabServerApp.user_settings_dir={settings}",
        f"--LabServerApp.workspaces_dir={base / 'workspaces'}",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_ready(f"{url}api/status?token={token}", process, log)
        yield Lab(url=url, token=token, root=root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium. "
                    "Install it with `apt-get install -y chromium`.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def write_notebook(root: Path, name: str, cells: list[str]) -> str:
    """Write a notebook of code cells (no outputs) into the server's root; return its name."""
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "source": source,
                   "outputs": [], "execution_count": None} for i, source in enumerate(cells)],
    }
    (root / name).write_text(json.dumps(notebook))
    return name


class Notebook:
    """One open notebook page: run cells with the keyboard, read the DOM."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.name = name
        #: (monotonic time, bytes) of every websocket frame the page received.
        self.frames: list[tuple[float, int]] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._record))

    def _record(self, payload: str | bytes) -> None:
        size = len(payload.encode() if isinstance(payload, str) else payload)
        self.frames.append((time.monotonic(), size))

    def cell(self, index: int) -> Any:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def run(self, index: int) -> None:
        """Select a cell in command mode and run it with Shift+Enter, as a user would."""
        before = self.prompt(index)
        for _attempt in range(3):
            self.cell(index).locator(".jp-InputPrompt").click()
            self.page.keyboard.press("Shift+Enter")
            # Right after the kernel reports ready, JupyterLab can still drop a first run
            # (the prompt stays unchanged); a run it accepted shows [*] at once.
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                if self.prompt(index) != before:
                    return
                self.page.wait_for_timeout(50)
        raise AssertionError(f"cell {index} did not start: prompt {self.prompt(index)!r}")

    def prompt(self, index: int) -> str:
        return str(self.cell(index).locator(".jp-InputPrompt").inner_text()).strip()

    def running(self, index: int) -> bool:
        return "*" in self.prompt(index)

    def wait_done(self, index: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(c.isdigit() for c in self.prompt(index)):
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"cell {index} still running after {timeout} s: {self.prompt(index)!r}")

    def save(self, root: Path, timeout: float = 10) -> dict[str, Any]:
        """Save with Ctrl+S and return the notebook as written to disk."""
        path = root / self.name
        before = path.stat().st_mtime_ns
        self.cell(0).locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Control+s")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.stat().st_mtime_ns != before:
                self.page.wait_for_timeout(200)  # let the write finish
                return dict(json.loads(path.read_text()))
            self.page.wait_for_timeout(100)
        raise AssertionError(f"{self.name} was not saved within {timeout} s")

    def outputs(self, index: int) -> Any:
        return self.cell(index).locator(".jp-OutputArea-output")

    def screenshot(self, label: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{Path(self.name).stem}-{label}.png"), full_page=True)


@pytest.fixture
def open_notebook(lab: Lab, browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``open_notebook(cells) -> Notebook``: a fresh notebook in a fresh page, kernel ready."""
    pages: list[tuple[Any, Notebook]] = []

    def open_(cells: list[str], *, front_end: str = "lab") -> Notebook:
        """``front_end``: "lab" (JupyterLab) or "notebook7" (Notebook 7, served by the same server)."""
        name = write_notebook(lab.root, f"{request.node.name.replace('[', '-').strip(']')}.ipynb", cells)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        notebook = Notebook(page, name)  # before goto: it listens to the kernel's websocket
        pages.append((page, notebook))
        if front_end == "notebook7":
            page.goto(f"{lab.url}notebooks/{name}?token={lab.token}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
            # Notebook 7 has no status bar: its kernel indicator carries the state.
            page.locator('[data-status="idle"]').wait_for(timeout=60_000)
            return notebook
        page.goto(lab.notebook_url(name))
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        # The kernel is ready when the status bar says so (the toolbar's indicator says idle
        # earlier, while a first run can still be dropped).
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for(timeout=60_000)
        return notebook

    yield open_
    for page, notebook in pages:
        notebook.screenshot("end")
        # Shut the kernel down so the next test gets a fresh one and no process outlives the run.
        page.evaluate("""async () => {
            const xsrf = document.cookie.match(/_xsrf=([^;]+)/)?.[1] ?? "";
            const r = await fetch('/api/sessions', {headers: {'X-XSRFToken': xsrf}});
            for (const s of await r.json())
                await fetch('/api/sessions/' + s.id, {method: 'DELETE', headers: {'X-XSRFToken': xsrf}});
        }""")
        page.close()

