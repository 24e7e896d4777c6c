"""The XSS corpus in real chromium: no payload runs, no live markup appears, in any view.

Every payload of ``tests/fixtures/xss`` is served by the emulator as a model answer and shown
through the real views: in JupyterLab live (widget area, plain display, text display, ``--raw``, tool input
and tool results, error lines, the Chat, ``%claude_usage``), and as saved outputs of a notebook
executed once with nbclient, opened in JupyterLab and Notebook 7 and exported with nbconvert.
A hook installed before any page script (``xss_hook.js``) records every ``alert`` and every
on* attribute, srcdoc, script URL or foreign tag that shows up in an output; a control output
that runs script on purpose proves the hook fires (and that the outputs are trusted, so
nothing was saved by JupyterLab's sanitizer).

To stay fast the live views get the payloads in groups (one answer per group, payloads
separated by a thematic break); the saved notebook has one cell per payload.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.sign import NotebookNotary

from .conftest import ARTIFACTS, Notebook, write_notebook
from xss_corpus import Payload, Sample, emulator_rules, payloads, samples

PAYLOADS = payloads()
SAMPLES = samples()
#: 10 payloads an answer: each run leaves 3 outputs, and JupyterLab shows at most 50 of a cell.
GROUP_SIZE = 10
GROUPS = [PAYLOADS[i : i + GROUP_SIZE] for i in range(0, len(PAYLOADS), GROUP_SIZE)]
SEPARATOR = "\n\n---\n\n"
#: Model names come back in the usage table and footers: the emulator accepts a model a rule names.
ODD_MODELS = ["<img src=x onerror=alert(1)>", "<x_y style=animation-name:cm-blink;animation-duration:1s onanimationstart=alert(1)>m</x_y>"]
HOOK = (Path(__file__).parent / "xss_hook.js").read_text(encoding="utf-8")
CONTROL = "from IPython.display import HTML\nHTML('<img title=xss-control src=x onerror=\"alert(String.fromCharCode(67))\">')"
CONTROL_HIT = "alert:C"


def _group_text(group: list[Payload]) -> str:
    return SEPARATOR.join(p.text for p in group)


def _script() -> dict[str, Any]:
    rules = emulator_rules([*PAYLOADS, *SAMPLES])
    for g, group in enumerate(GROUPS):
        text = _group_text(group)
        # Paced, so the live areas render while the answer streams.
        rules.append({"match": f"XSSG{g:02d}", "blocks": [{"type": "text", "text": text}],
                      "ttft": 0.05, "tokens_per_second": 800})
        rules.append({"match": f"XSST{g:02d}", "tools": True, "tool_result": False, "json_chunk": 64,
                      "blocks": [{"type": "tool_use", "name": "echo", "input": {"text": text}},
                                 {"type": "tool_use", "name": "boom", "input": {"text": text}}]})
        rules.append({"match": f"XSSE{g:02d}", "status": 400, "message": text})
    rules += [{"model": model, "blocks": [{"type": "text", "text": "ok"}]} for model in ODD_MODELS]
    rules.append({"tool_result": True, "blocks": [{"type": "text", "text": "Done."}]})
    return {"rules": rules}


SETUP = f"""%load_ext claude_magic
%claude_offline --script xss_script.json
import shlex
import claude_magic
from claude_magic.ipython import extension as _extension
magic = _extension._magics
GROUPS = {len(GROUPS)}
ODD_MODELS = {ODD_MODELS!r}

def echo(text: str) -> str:
    \"\"\"Return the text.\"\"\"
    return text

def boom(text: str) -> str:
    \"\"\"Fail with the text.\"\"\"
    raise ValueError(text)
"""


def _loop(options: str, prefix: str, display: str, groups: range = range(len(GROUPS))) -> str:
    return (f"%config ClaudeMagic.display = {display!r}\n"
            f"for g in range({groups.start}, {groups.stop}):\n"
            f"    await magic.run_claude({options!r}, f'{prefix}{{g:02d}}')")


HALF = len(GROUPS) // 2


#: (name, cell) of every live view, in the order they run.
LIVE_VIEWS = [
    ("widget", _loop("--once", "XSSG", "widget")),
    ("plain", _loop("--once", "XSSG", "markdown")),
    ("text", _loop("--once", "XSSG", "text")),
    # --raw leaves 5 outputs a run: two cells keep each under JupyterLab's 50.
    ("raw", _loop("--once --raw", "XSSG", "widget", range(0, HALF))),
    ("raw2", _loop("--once --raw", "XSSG", "widget", range(HALF, len(GROUPS)))),
    ("tools", _loop("--once --tools echo,boom", "XSST", "widget")),
    ("errors", _loop("--once", "XSSE", "markdown")),
    ("chat", "chat = claude_magic.Chat()\ndisplay(chat)\n"
             "for g in range(GROUPS):\n    await chat.send(f'XSSG{g:02d}')"),
    ("usage", "for m in ODD_MODELS:\n    await magic.run_claude('--once -m ' + shlex.quote(m), 'hi')\n"
              "%claude_usage"),
]


def _hits(page: Any) -> tuple[list[str], list[str]]:
    """(script that ran, live markup seen), the control's own lines left out."""
    log = list(dict.fromkeys(page.evaluate("() => window.__xssScan()")))
    ran = [line for line in log if not line.startswith("dom:")]
    markup = [line for line in log if line.startswith("dom:") and "xss-control" not in line]
    return ran, markup


def _new_page(browser: Any) -> Any:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.add_init_script(HOOK)
    return page


def _assert_clean(page: Any, where: str) -> None:
    ran, markup = _hits(page)
    assert CONTROL_HIT in ran, f"{where}: the control did not run, so the hook proves nothing: {ran}"
    assert ran == [CONTROL_HIT], f"{where}: script ran: {ran}"
    assert markup == [], f"{where}: live markup in an output: {markup[:10]}"


def _write_script(root: Path) -> None:
    (root / "xss_script.json").write_text(json.dumps(_script()))


def test_no_payload_runs_or_leaves_markup_in_any_live_view(lab: Any, browser: Any) -> None:
    _write_script(lab.root)
    cells = [SETUP, CONTROL, *(cell for _name, cell in LIVE_VIEWS)]
    name = write_notebook(lab.root, "xss_live.ipynb", cells)
    page = _new_page(browser)
    nb = Notebook(page, name)
    try:
        page.goto(lab.notebook_url(name))
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for(timeout=60_000)
        for index in range(len(cells)):
            nb.run(index)
            nb.wait_done(index, timeout=90)
            assert not nb.cell(index).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count(), (
                index, nb.cell(index).locator(".jp-OutputArea").text_content())
        nb.screenshot("live-views")
        _assert_clean(page, "JupyterLab live views")

        view = {name: nb.cell(2 + i) for i, (name, _cell) in enumerate(LIVE_VIEWS)}
        # Each view really showed the payloads, as text.
        first = PAYLOADS[0].text
        for name in ("widget", "plain"):
            assert view[name].locator(".claude-answer").count() == len(GROUPS), name
            assert first in view[name].locator(".jp-OutputArea").text_content(), name
        assert first in view["text"].locator(".jp-OutputArea").text_content()
        assert sum(view[name].locator("table.claude-raw").count() for name in ("raw", "raw2")) == len(GROUPS)
        raw = view["raw"].locator("table.claude-raw").first.text_content()
        assert "<x_y" in raw and "alert" in raw  # the deltas' text, one excerpt a row
        tools = view["tools"].locator(".jp-OutputArea").text_content()
        assert "⚙ echo(" in tools and "⚠ ValueError: " in tools and "<x_y" in tools
        errors = view["errors"].locator(".jp-OutputArea").text_content()
        assert errors.count("⚠ Bad request (400): ") == len(GROUPS) and "<img src=x onerror=alert(1)>" in errors
        chat = view["chat"].locator(".claude-chat-answer .claude-live-body")
        assert chat.count() == len(GROUPS) and first in chat.first.text_content()
        usage = view["usage"].locator(".jp-OutputArea").text_content()
        assert ODD_MODELS[0] in usage
    finally:
        _shut_down(page)
        page.close()


def _execute_saved(lab: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Any]:
    """One cell per payload and per sample, executed with nbclient and signed (trusted)."""
    _write_script(lab.root)
    sources = ["%load_ext claude_magic\n%claude_offline --script xss_script.json", CONTROL]
    sources += [f"%%claude --once\n{item.tag}" for item in [*PAYLOADS, *SAMPLES]]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    # The kernel imports claude_magic from this checkout.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(lab.root)}}).execute()
    # Signed with the server's own secret: JupyterLab then renders the outputs as trusted.
    NotebookNotary(data_dir=str(lab.root.parent / "data")).sign(nb)
    path = lab.root / "xss_saved.ipynb"
    nbformat.write(nb, path)
    return path, nb


def _sample_cell(sample: Sample) -> int:
    return 2 + len(PAYLOADS) + sample.index


def _check_samples(page: Any, cells: Any, *, typeset: bool) -> None:
    for sample in SAMPLES:
        answer = cells.nth(_sample_cell(sample)).locator(".claude-answer")
        assert answer.count() == 1, sample.name
        for selector in sample.expect:
            assert answer.locator(selector).count() >= 1, (sample.name, selector, answer.inner_html())
        text = answer.text_content()
        for words in sample.shows:
            assert words in text, (sample.name, words, text)
        if sample.monospace:
            # The text itself: the <code> inside the <pre>, whatever rules reach either.
            font = answer.locator("pre > code").first.evaluate("el => getComputedStyle(el).fontFamily")
            assert "mono" in font.lower(), (sample.name, font)
        if typeset and sample.math is not None:
            assert answer.locator("mjx-container").count() == sample.math, (sample.name, answer.inner_html())


def _wait_for_math(page: Any, cells: Any) -> None:
    wanted = sum(s.math or 0 for s in SAMPLES)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if page.locator(".claude-answer mjx-container").count() >= wanted:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"MathJax typeset {page.locator('.claude-answer mjx-container').count()} of {wanted} formulas")


def test_saved_outputs_are_inert_in_jupyterlab_notebook7_and_nbconvert(
        lab: Any, browser: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path, nb = _execute_saved(lab, monkeypatch)
    answers = len(PAYLOADS) + len(SAMPLES)
    for where, url, cell_selector in (
        ("JupyterLab", lab.notebook_url(path.name), ".jp-Notebook .jp-Cell"),
        ("Notebook 7", f"{lab.url}notebooks/{path.name}?token={lab.token}", ".jp-Notebook .jp-Cell"),
    ):
        page = _new_page(browser)
        try:
            page.goto(url)
            page.locator(cell_selector).first.wait_for(timeout=60_000)
            deadline = time.monotonic() + 30
            while page.locator(".claude-answer").count() < answers and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            _screenshot(page, f"saved-{where.replace(' ', '').lower()}")
            _assert_clean(page, where)
            assert page.locator(".claude-answer").count() == answers, where
            _wait_for_math(page, page.locator(cell_selector))
            _assert_clean(page, f"{where}, typeset")
            _check_samples(page, page.locator(cell_selector), typeset=True)
        finally:
            _shut_down(page)
            page.close()

    from nbconvert import HTMLExporter

    html, _resources = HTMLExporter().from_notebook_node(nb)
    exported = tmp_path / "xss_saved.html"
    exported.write_text(html, encoding="utf-8")
    page = _new_page(browser)
    # Only the file itself: the exported page's CDN scripts (MathJax, require.js) are not reachable.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    try:
        page.goto(exported.as_uri(), wait_until="load")
        assert page.locator(".claude-answer").count() == answers
        _screenshot(page, "saved-nbconvert")
        _assert_clean(page, "nbconvert HTML")
        _check_samples(page, page.locator(".jp-Cell"), typeset=False)
    finally:
        page.close()


def _screenshot(page: Any, label: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"xss-{label}.png"), full_page=False)


def _shut_down(page: Any) -> None:
    # Shut the kernels down so no process outlives the run (as the open_notebook fixture does).
    page.evaluate("""async () => {
        const xsrf = document.cookie.match(/_xsrf=([^;]+)/)?.[1] ?? "";
        const r = await fetch('/api/sessions', {headers: {'X-XSRFToken': xsrf}});
        for (const s of await r.json())
            await fetch('/api/sessions/' + s.id, {method: 'DELETE', headers: {'X-XSRFToken': xsrf}});
    }""")
