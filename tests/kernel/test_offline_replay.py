"""%claude_offline --replay DIR: a kernel answers from a folder it recorded through the proxy."""

from __future__ import annotations

from pathlib import Path

from test_claude_cell import assert_one_line_usage_error

from claude_magic.emulator import serve

KEY = "sk-ant-rehearsal-SENTINEL-0123456789"


def test_claude_offline_replays_a_folder_recorded_through_the_proxy(bare_kernel, tmp_path: Path) -> None:
    folder = tmp_path / "rehearsal"
    script = {"rules": [{"match": "capital", "blocks": [{"type": "text", "text": "Paris, as recorded."}]}]}
    bare_kernel.run("%load_ext claude_magic\n%config ClaudeMagic.display = 'markdown'")
    with serve(script) as api, serve(record=folder, upstream=api.url) as proxy:
        bare_kernel.run(f"import os\nos.environ['ANTHROPIC_BASE_URL'] = {proxy.url!r}\n"
                        f"os.environ['ANTHROPIC_API_KEY'] = {KEY!r}")  # fmt: skip
        rehearsed = bare_kernel.run("%%claude\nWhat is the capital of France?")
        bare_kernel.run("del os.environ['ANTHROPIC_BASE_URL'], os.environ['ANTHROPIC_API_KEY']\n%claude_reset")

    offline = bare_kernel.run(f"%claude_offline --replay {folder}")
    replayed = bare_kernel.run("%%claude\nWhat is the capital of France?")
    (tmp_path / "empty").mkdir()
    missing = bare_kernel.run(f"%claude_offline --replay {tmp_path / 'empty'}")

    assert rehearsed.data("text/plain")[1] == "Paris, as recorded."
    assert "replaying the answers recorded in rehearsal" in offline.stdout
    assert replayed.status == "ok", replayed.all_text
    assert replayed.data("text/plain")[1] == "Paris, as recorded."
    assert "Cannot replay:" in assert_one_line_usage_error(missing, "no recordings")
    assert KEY not in "".join(p.read_text() for p in folder.glob("*.json"))
