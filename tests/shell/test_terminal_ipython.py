"""Terminal IPython (an in-process shell, no kernel): text printed as it comes, never twice."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

import claude_magic
from claude_magic.emulator import Script, serve

ANSWER = "Streaming in a terminal prints each piece once and the footer after it."


@pytest.fixture
def shell(monkeypatch, tmp_path):
    with serve(Script.from_dict({"rules": [{"blocks": [{"type": "text", "text": ANSWER}]}]})) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-terminal-test")
        ip = InteractiveShell.instance()
        ip.run_cell("%load_ext claude_magic", store_history=True)
        ip.run_cell(f"%config ClaudeMagic.usage_log = {str(tmp_path / 'usage.sqlite3')!r}")
        yield ip, server
        ip.run_cell("%unload_ext claude_magic")


def test_terminal_prints_the_answer_once_with_its_footer(shell, capsys):
    ip, server = shell
    result = ip.run_cell("%%claude -o reply\nhello", store_history=True)
    assert result.success
    out = capsys.readouterr().out
    assert out.count(ANSWER) == 1
    assert out.index(ANSWER) < out.index("claude-sonnet-4-6 · ")
    assert ip.user_ns["reply"] == ANSWER
    assert claude_magic.history[-1].status == "ok"


def test_magic_called_from_a_function_runs_on_ipythons_loop(shell, capsys):
    ip, server = shell
    ip.run_cell("def ask(q):\n    return get_ipython().run_cell_magic('claude', '-o got --once', q)")
    assert ip.run_cell("ask('from a function')").success
    assert ip.user_ns["got"] == ANSWER
    assert server.requests[-1].body["messages"] == [{"role": "user", "content": "from a function"}]
    # The same loop serves the next rewritten cell: the client was not left bound to a dead loop.
    assert ip.run_cell("%claude --once again").success
    assert capsys.readouterr().out.count(ANSWER) == 2
