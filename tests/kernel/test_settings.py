"""ClaudeMagic's settings in a real kernel: ipython_config.py, %config, budget, usage export."""

from __future__ import annotations

import csv
import json

from claude_magic.display.sinks import line_bundle
from conftest import TEST_KEY, use_script
from kernel_harness import Kernel, kernel_env
from test_claude_cell import assert_one_line_usage_error, messages_posted


def test_ipython_config_file_sets_the_defaults(emulator, tmp_path):
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_config.py").write_text(
        'c.ClaudeMagic.model = "claude-opus-4-6"\nc.ClaudeMagic.max_tokens = 77\n'
        'c.ClaudeMagic.system = "Answer briefly."\nc.ClaudeMagic.display = "markdown"\n'
    )
    env = kernel_env(tmp_path, ANTHROPIC_BASE_URL=emulator.url, ANTHROPIC_API_KEY=TEST_KEY,
                     IPYTHONDIR=str(tmp_path / "ipython"))
    kernel = Kernel(env, cwd=str(tmp_path))
    try:
        kernel.run("%load_ext claude_magic")
        kernel.run("%%claude\nhello")
        body = messages_posted(emulator)[-1].body
        assert (body["model"], body["max_tokens"], body["system"]) == ("claude-opus-4-6", 77, "Answer briefly.")
        kernel.run("%config ClaudeMagic.model = 'claude-haiku-4-5'")
        again = kernel.run("%%claude -t 0.2\nagain")
        assert again.status == "ok", again.all_text
        request = messages_posted(emulator)[-1]
        assert request.body["model"] == "claude-haiku-4-5" and request.body["temperature"] == 0.2
        # API 2026-10-21 refuses sampling parameters; 2023-06-01 is the version that takes them.
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert "temperature" not in messages_posted(emulator)[0].body
    finally:
        kernel.shutdown()


def test_budget_refuses_a_request_that_would_start_past_it(kernel, emulator):
    kernel.run("%config ClaudeMagic.budget_usd = 0.0000001")
    assert kernel.run("%%claude\nfirst").status == "ok"  # nothing spent yet: it may start
    before = len(messages_posted(emulator))
    assert_one_line_usage_error(kernel.run("%%claude\nsecond"), "Budget reached")
    assert len(messages_posted(emulator)) == before


def test_usage_table_has_totals_and_exports(kernel, emulator, tmp_path):
    kernel.run("%%claude\none")
    kernel.run("%%claude\ntwo")
    run = kernel.run(f"%claude_usage --csv {tmp_path / 'u.csv'} --json {tmp_path / 'u.json'}")
    assert "Wrote 2 records" in run.stdout
    table = run.data("text/plain")[-1]
    assert "total" in table
    with (tmp_path / "u.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    records = json.loads((tmp_path / "u.json").read_text())
    assert len(rows) == len(records) == 2
    history = kernel.value("[r.as_dict() for r in claude_magic.history]")
    assert [r["output_tokens"] for r in records] == [h["output_tokens"] for h in history]


def test_text_display_shows_plain_text(kernel, emulator):
    use_script(emulator, [{"blocks": [{"type": "text", "text": "# Not a heading here"}]}])
    kernel.run("%config ClaudeMagic.display = 'text'")
    run = kernel.run("%%claude\nhi")
    # Shown as text (escaped HTML drawn like text output, so nothing is linkified), not rendered.
    assert run.outputs[1]["data"] == line_bundle("# Not a heading here")
    assert "<h1>" not in run.outputs[1]["data"]["text/html"]


def test_usage_log_can_be_turned_off(kernel, emulator):
    kernel.run("%config ClaudeMagic.usage_log = None")
    assert kernel.run("%%claude\nhi").status == "ok"
    assert_one_line_usage_error(kernel.run("%claude_usage --all"), "usage log is off")
