"""Sentinel API key and auth token in a real kernel: neither reaches an output, a file or a request.

The emulator echoes the credential it received into its error messages (``echo_key``), and
its scripts make the "model" write both secrets into answers and tool input; the kernel's
tools raise and return them. Every IOPub message, every file under the kernel's folder (the
usage log, the SDK's debug log) and every request body the emulator received is searched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import use_script
from kernel_harness import CellRun, Kernel, kernel_env
from test_claude_cell import assert_one_line_usage_error, messages_posted

KEY = "sk-ant-api03-SENTINELKEY-0123456789abcdef"
TOKEN = "sk-ant-oat01-SENTINELTOKEN-0123456789abcdef"
REDACTED = "[redacted key]"
TEXT = "One two three four five six seven eight nine ten."

SETUP = """%load_ext claude_magic
%config ClaudeMagic.display = 'markdown'
%config ClaudeMagic.usage_log = 'usage.sqlite3'
%config ClaudeMagic.max_retries = 1
%config ClaudeMagic.retry_cap_s = 0.1
import logging, os
import claude_magic
# The SDK's debug log (ANTHROPIC_LOG=debug) also goes to a file, to be searched.
_handler = logging.FileHandler('sdk-debug.log')
for _name in ('anthropic', 'httpx2', 'httpcore'):
    logging.getLogger(_name).addHandler(_handler)

def echo(text: str) -> str:
    \"\"\"Return the text.\"\"\"
    return text

def leak() -> str:
    \"\"\"Fail, quoting both secrets.\"\"\"
    raise RuntimeError('bad ' + os.environ['ANTHROPIC_API_KEY'] + ' / ' + os.environ['ANTHROPIC_AUTH_TOKEN'])

def env() -> dict:
    \"\"\"The Anthropic part of the environment.\"\"\"
    return {k: v for k, v in os.environ.items() if k.startswith('ANTHROPIC_')}
"""


@pytest.fixture
def secret_kernel(emulator: Any, tmp_path: Path) -> Iterator[Kernel]:
    env = kernel_env(tmp_path, ANTHROPIC_BASE_URL=emulator.url, ANTHROPIC_API_KEY=KEY,
                     ANTHROPIC_AUTH_TOKEN=TOKEN, ANTHROPIC_LOG="debug")
    k = Kernel(env, cwd=str(tmp_path))
    run = k.run(SETUP)
    assert run.status == "ok", run.all_text
    yield k
    k.shutdown()


def assert_no_secret_anywhere(runs: list[CellRun], tmp_path: Path, emulator: Any) -> None:
    for run in runs:
        for _t, msg in run.messages:
            text = json.dumps(msg["content"], ensure_ascii=False)
            assert KEY not in text and TOKEN not in text, (msg["msg_type"], text[:500])
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    if emulator.requests:  # else nothing was sent, so nothing was logged
        assert {"usage.sqlite3", "sdk-debug.log"} <= {p.name for p in files}
        assert "Request options" in (tmp_path / "sdk-debug.log").read_text(), "the SDK debug log was not written"
    for path in files:
        data = path.read_bytes()
        assert KEY.encode() not in data and TOKEN.encode() not in data, path
    for request in emulator.requests:
        body = json.dumps(request.body, ensure_ascii=False)
        assert KEY not in body and TOKEN not in body, body[:500]


def test_error_paths_redact_the_key_and_the_token_the_server_echoes(secret_kernel, emulator, tmp_path):
    runs = []
    for rule, shown in (
        ({"status": 401, "echo_key": True}, "Authentication failed (401)"),
        ({"status": 400, "echo_key": True}, "Bad request (400)"),
        ({"status": 529, "echo_key": True}, "Overloaded (529) after 2 attempts"),
        ({"error_after": 2, "echo_key": True, "blocks": [{"type": "text", "text": TEXT}]}, "overloaded_error"),
    ):
        use_script(emulator, [rule])
        run = secret_kernel.run("%%claude --once\nhello")
        assert shown in run.all_text and REDACTED in run.all_text, run.all_text
        runs.append(run)
    # The widget's live area and the usage table show the same lines.
    use_script(emulator, [{"status": 529, "times": 1, "retry_after_ms": 10, "echo_key": True,
                           "blocks": [{"type": "text", "text": TEXT}]}])
    runs.append(secret_kernel.run("%%claude --once --raw\nhello"))
    runs.append(secret_kernel.run("%claude_usage --all"))
    # With only the auth token, the token is what travels and comes back.
    use_script(emulator, [{"status": 401, "echo_key": True}])
    run = secret_kernel.run("del os.environ['ANTHROPIC_API_KEY']\n%claude --once hello")
    assert "Authentication failed (401)" in run.all_text and REDACTED in run.all_text, run.all_text
    assert messages_posted(emulator)[-1].headers["authorization"] == f"Bearer {TOKEN}"
    runs.append(run)
    assert_no_secret_anywhere(runs, tmp_path, emulator)


def test_tool_and_answer_paths_redact_what_the_model_and_the_tools_write(secret_kernel, emulator, tmp_path):
    both = f"key {KEY} and token {TOKEN}"
    use_script(emulator, [
        {"match": "leakinput", "tools": True, "tool_result": False,
         "blocks": [{"type": "tool_use", "name": "echo", "input": {"text": both}}]},
        {"match": "leakraise", "tools": True, "tool_result": False,
         "blocks": [{"type": "tool_use", "name": "leak", "input": {}}]},
        {"match": "leakreturn", "tools": True, "tool_result": False,
         "blocks": [{"type": "tool_use", "name": "env", "input": {}}]},
        {"tool_result": True, "blocks": [{"type": "text", "text": "Done."}]},
        {"match": "leakanswer", "blocks": [{"type": "text", "text": f"Here it is: {both}."}]},
        {"blocks": [{"type": "text", "text": TEXT}]},
    ])
    runs = []
    for cell, shown in (
        ("%%claude --tools echo\nleakinput", "⚙ `echo({\"text\": \"key [redacted key] and token [redacted key]\"})`"),
        ("%%claude --tools leak\nleakraise", "⚠ RuntimeError: bad [redacted key] / [redacted key]"),
        ("%%claude --tools env\nleakreturn", "ANTHROPIC_API_KEY"),
        ("%%claude\nleakanswer", "Here it is: key [redacted key]"),
        ("%%claude\nand then?", TEXT),  # carries the earlier turns: the answer above among them
        ("%%claude --once --raw\nleakanswer", "Here it is: key [redacted key]"),
        ("%config ClaudeMagic.display = 'widget'\n%claude --once leakanswer", "Here it is: key [redacted key]"),
        ("%config ClaudeMagic.display = 'widget'\n%claude --once --tools echo leakinput", "Done."),
    ):
        run = secret_kernel.run(cell)
        assert run.status == "ok" and shown in run.all_text, (cell, run.all_text)
        runs.append(run)
    # The results went back to the model, redacted.
    results = [json.dumps(r.body) for r in messages_posted(emulator) if "tool_result" in json.dumps(r.body)]
    assert len(results) == 4 and all(REDACTED in body for body in results)
    assert_no_secret_anywhere(runs, tmp_path, emulator)


def test_a_prompt_holding_a_secret_is_refused_before_any_request(secret_kernel, emulator, tmp_path):
    runs = []
    for cell in ("%%claude\nMy settings: {os.environ}",
                 "%config ClaudeMagic.system = os.environ['ANTHROPIC_AUTH_TOKEN']\n%claude hello",
                 "%claude --once {os.environ['ANTHROPIC_API_KEY']}"):
        run = secret_kernel.run(cell)
        line = assert_one_line_usage_error(run, "so nothing was sent")
        assert "ANTHROPIC_" in line
        runs.append(run)
    chat = secret_kernel.run("%config ClaudeMagic.system = None\nchat = claude_magic.Chat()\n"
                             "answers = await chat.send('use ' + os.environ['ANTHROPIC_API_KEY'])\n"
                             "print(answers[0].error)")
    assert "ANTHROPIC_API_KEY, so nothing was sent" in chat.stdout, chat.all_text
    runs.append(chat)
    assert messages_posted(emulator) == []
    assert_no_secret_anywhere(runs, tmp_path, emulator)


def test_no_object_repr_holds_a_secret(secret_kernel, emulator, tmp_path):
    use_script(emulator, [{"blocks": [{"type": "text", "text": TEXT}]}])
    runs = [secret_kernel.run("%%claude\nhello"), secret_kernel.run("%env ANTHROPIC_LOG=debug")]
    run = secret_kernel.run(
        "from claude_magic.core import client as _client\n"
        "from claude_magic.ipython import extension as _extension\n"
        "magics = _extension._magics\n"
        "endpoint = magics.runner.pipeline.preflight()\n"
        "assert endpoint.api_key and endpoint.auth_token is None\n"
        "for obj in (endpoint, _client.resolve_endpoint(offline_url=None), _client._clients, magics.runner,\n"
        "            magics.session, claude_magic.history, claude_magic.history[-1]):\n"
        "    print(repr(obj))\n"
        "endpoint"
    )
    assert run.status == "ok", run.all_text
    assert "Endpoint(base_url='http" in run.stdout and "api_key" not in run.stdout
    runs.append(run)
    assert_no_secret_anywhere(runs, tmp_path, emulator)
