"""A notebook's own values in a %%claude prompt, in a real kernel against the emulator.

Figures and images become image blocks, DataFrames capped tables, PDF paths document blocks
(with citations shown as numbered sources); ``{Err[n]}`` carries a real traceback; --code
puts the answer's Python into the next cell; every bad input is one line and no request.
"""

from __future__ import annotations

import base64
import io
import re
import sys
from pathlib import Path

from PIL import Image

from claude_magic.emulator import _catalog

from conftest import TEST_KEY, use_script
from test_claude_cell import assert_one_line_usage_error, messages_posted

sys.path.insert(0, str(Path(__file__).parent.parent / "emulator"))
from media_helpers import pdf  # noqa: E402 - the emulator tests' minimal PDF writer

SETUP = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image
from pathlib import Path
fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
ax.plot([1, 3, 2])
img = Image.new("RGB", (64, 32), "red")
df = pd.DataFrame({"day": range(1000), "sales": [i * 0.5 for i in range(1000)]})
"""


def last_user_content(emulator):
    return messages_posted(emulator)[-1].body["messages"][-1]["content"]


def decoded_image(block):
    assert block["type"] == "image" and block["source"]["type"] == "base64"
    data = base64.b64decode(block["source"]["data"], validate=True)
    with Image.open(io.BytesIO(data)) as opened:
        assert Image.MIME[opened.format] == block["source"]["media_type"]
        return opened.size


def test_figure_image_and_dataframe_reach_the_request_as_blocks_and_a_capped_table(kernel, emulator):
    assert kernel.run(SETUP).status == "ok"
    run = kernel.run("%%claude\nCompare {fig} with {img}, then read {df}.")
    assert run.status == "ok", run.all_text
    content = last_user_content(emulator)
    assert [b["type"] for b in content] == ["text", "image", "text", "image", "text"]
    assert content[0]["text"] == "Compare"
    fig_size, img_size = decoded_image(content[1]), decoded_image(content[3])
    assert img_size == (64, 32)
    assert 100 < fig_size[0] <= 200  # 4 in at 50 dpi, cropped tight
    table = content[4]["text"]
    assert "df: pandas DataFrame, 1,000 rows × 2 columns; dtypes: day int64, sales float64" in table
    assert "Showing the first 50 of 1,000 rows (capped at 50 rows)." in table
    assert "\n49,49,24.5\n" in table and "\n50,50," not in table
    assert "{df}: sent the first 50 of 1,000 rows (capped at 50 rows)." in run.stdout  # on screen too
    footer = run.data("text/plain")[-1]
    assert "2 images" in footer
    record = kernel.value("claude_magic.history[-1].attachments")
    assert record == "2 images"


def test_a_pdf_path_with_cite_gives_a_document_block_and_numbered_sources(kernel, emulator, tmp_path):
    raw = pdf([["Revenue grew by nine percent in March.", "Costs stayed flat."], ["Page two."]])
    (tmp_path / "report.pdf").write_bytes(raw)
    run = kernel.run("from pathlib import Path\nreport = Path('report.pdf')")
    run = kernel.run("%%claude --cite\nWhat does {report} say about revenue?")
    assert run.status == "ok", run.all_text
    content = last_user_content(emulator)
    document = content[1]
    assert document["type"] == "document" and document["title"] == "report.pdf"
    assert document["citations"] == {"enabled": True}
    assert base64.b64decode(document["source"]["data"]) == raw
    assert document["source"]["media_type"] == "application/pdf"
    html = [h for h in run.data("text/html") if "claude-answer" in h][-1]
    assert "Revenue grew by nine percent in March.[1]" in re.sub(r"<[^>]+>", "", html)
    assert "<strong>Sources</strong>" in html
    assert "“Revenue grew by nine percent in March.” — report.pdf, page 1" in html
    assert "1 PDF (2 pages)" in run.data("text/plain")[-1]


def test_err_n_carries_the_traceback_of_a_failed_cell_without_colours(kernel, emulator):
    failed = kernel.run("def load():\n    return {}['missing']\nload()")
    assert failed.status == "error"
    number = failed.reply["content"]["execution_count"]
    run = kernel.run(f"%%claude\nWhy did this fail?\n{{Err[{number}]}}")
    assert run.status == "ok", run.all_text
    sent = last_user_content(emulator)
    assert isinstance(sent, str)
    assert "KeyError: 'missing'" in sent and "return {}['missing']" in sent and "load()" in sent
    assert "\x1b[" not in sent
    run = kernel.run("%%claude\nAnd again: {_err}")
    assert "KeyError: 'missing'" in last_user_content(emulator)
    run = kernel.run("%%claude\n{Err[1]}")
    assert_one_line_usage_error(run, "cell 1 did not fail")


def test_code_puts_the_answers_python_into_the_next_cell(kernel, emulator):
    answer = "Try this:\n\n```python\nimport math\nprint(math.pi)\n```\n\nand\n\n```py\nx = 2\n```\n\n```bash\nls\n```"
    use_script(emulator, [{"blocks": [{"type": "text", "text": answer}]}])
    run = kernel.run("%%claude --code\nShow me pi")
    assert run.status == "ok", run.all_text
    payloads = [p for p in run.reply["content"]["payload"] if p["source"] == "set_next_input"]
    assert payloads == [{"source": "set_next_input", "text": "import math\nprint(math.pi)\n\nx = 2\n", "replace": False}]


def test_bad_inputs_are_one_line_each_send_nothing_and_the_next_cell_works(kernel, emulator, tmp_path, monkeypatch):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    (tmp_path / "data.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    # 40 MB that begin like a PNG and are not one: too big to send, impossible to scale down.
    (tmp_path / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * (40 * 1024 * 1024))
    assert kernel.run(SETUP).status == "ok"
    before = len(messages_posted(emulator))
    assert_one_line_usage_error(kernel.run("%%claude --file huge.png\nLook"), "cannot be read to scale it down")
    assert_one_line_usage_error(kernel.run("%%claude --file broken.pdf\nRead"), "not a readable PDF")
    assert_one_line_usage_error(kernel.run("%%claude --file data.xlsx\nRead"), ".xlsx files cannot be attached")
    assert_one_line_usage_error(kernel.run("%%claude --cite\nno document here"), "--cite needs a document")
    (tmp_path / "settings.txt").write_text(f"ANTHROPIC_API_KEY={TEST_KEY}\n")
    line = assert_one_line_usage_error(kernel.run("%%claude --file settings.txt\nCheck"), "holds the value of")
    assert TEST_KEY not in line

    # The catalogue says this model reads no images (patched in the emulator, served over HTTP).
    original = _catalog.CatalogModel._capabilities

    def no_images(self):
        caps = original(self)
        caps["image_input"] = {"supported": False}
        return caps

    monkeypatch.setattr(_catalog.CatalogModel, "_capabilities", no_images)
    line = assert_one_line_usage_error(kernel.run("%%claude\nDescribe {img}"), "does not take images")
    assert "{img}" in line
    assert len(messages_posted(emulator)) == before
    run = kernel.run("%%claude\nJust text now")
    assert run.status == "ok", run.all_text
    assert len(messages_posted(emulator)) == before + 1
