"""Terminal IPython: --code prints the answer's code to copy, citations and {_err} work as text."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from claude_magic.emulator import Script, serve

sys.path.insert(0, str(Path(__file__).parent.parent / "emulator"))
from media_helpers import pdf  # noqa: E402 - the emulator tests' minimal PDF writer

CODE_ANSWER = "Like this:\n\n```python\nprint('hi')\n```\n"


@pytest.fixture
def shell(monkeypatch, tmp_path):
    script = Script.from_dict({"rules": [{"match": "code please", "blocks": [{"type": "text", "text": CODE_ANSWER}]}]})
    with serve(script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-terminal-test")
        monkeypatch.chdir(tmp_path)
        ip = InteractiveShell.instance()
        ip.run_cell("%load_ext claude_magic", store_history=True)
        ip.run_cell(f"%config ClaudeMagic.usage_log = {str(tmp_path / 'usage.sqlite3')!r}")
        yield ip, server
        ip.run_cell("%unload_ext claude_magic")


def test_code_prints_the_python_ready_to_copy_in_a_terminal(shell, capsys):
    ip, _server = shell
    assert ip.run_cell("%%claude --code --once\ncode please", store_history=True).success
    out = capsys.readouterr().out
    assert out.endswith("--code: the answer's Python, ready to copy:\n\nprint('hi')\n\n")


def test_citations_print_plain_markers_and_sources_in_a_terminal(shell, capsys):
    ip, _server = shell
    Path("memo.pdf").write_bytes(pdf([["The launch moved to May.", "Nothing else changed."]]))
    assert ip.run_cell("%%claude --once --cite --file memo.pdf\nWhen is the launch?", store_history=True).success
    out = capsys.readouterr().out
    assert "The launch moved to May.[1]" in out
    assert "Sources\n\n[1] “The launch moved to May.” — memo.pdf, page 1\n" in out


def test_the_last_error_goes_into_a_prompt_as_plain_text(shell, capsys):
    ip, server = shell
    ip.run_cell("1 / 0", store_history=True)
    assert ip.run_cell("%%claude --once\nExplain: {_err}", store_history=True).success
    sent = server.requests[-1].body["messages"][-1]["content"]
    assert "ZeroDivisionError" in sent and "1 / 0" in sent and "\x1b[" not in sent
