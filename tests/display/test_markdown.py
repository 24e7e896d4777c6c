"""Safe Markdown: raw HTML and script links from a model never reach the page as markup."""

from __future__ import annotations

import pytest

from claude_magic.display.markdown import list_marker, render_html, safe_markdown, split_blocks

ATTACKS = [
    "<script>alert(1)</script>",
    'Look: <img src=x onerror="alert(1)"> here',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "<javascript:alert(1)>",
    "![x](vbscript:msgbox(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](jav&#x61;script:alert(1))",
    "![x](data:text/html;base64,PHNjcmlwdD4=)",
    "<div>\n<img src=x onerror=alert(1)>\n</div>",
    "> quoted <b onclick=alert(1)>x</b>\n> more",
    "- item\n\n  <svg onload=alert(1)>\n",
    "# Heading <img src=x onerror=alert(1)> #",
    "[x][bad]\n\n[bad]: javascript:alert(1)",
    "![alt [l](javascript:alert(1))](ok.png)",
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "a\r\n<b onmouseover=alert(1)>b</b>\r\n",
]

# What a renderer that honours raw HTML and any URL would turn into live markup.
DANGER = ("<script", "<img src=x", "<a href=\"javascript", "href=\"javascript", "<div>", "<b ",
          "<svg", "href=\"vbscript", "src=\"vbscript", "src=\"data:text", "<b>")


def _unsafe_render(markdown: str) -> str:
    """Render as JupyterLab does a trusted output: raw HTML kept, every URL accepted."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md.render(markdown)


@pytest.mark.parametrize("text", ATTACKS)
def test_safe_markdown_leaves_no_markup_for_a_permissive_renderer(text: str) -> None:
    html = _unsafe_render(safe_markdown(text)).lower()
    assert not [d for d in DANGER if d in html], html


@pytest.mark.parametrize("text", ATTACKS)
def test_render_html_leaves_no_markup(text: str) -> None:
    for html in (render_html(text).lower(), render_html(safe_markdown(text)).lower()):
        assert not [d for d in DANGER if d in html], html


def test_script_tag_is_escaped_and_shown_literally() -> None:
    assert safe_markdown("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render_html("<script>alert(1)</script>")


def test_onerror_image_is_escaped() -> None:
    out = safe_markdown('a <img src=x onerror="alert(1)"> b')
    assert out == 'a &lt;img src=x onerror="alert(1)"&gt; b'


def test_javascript_anchor_is_escaped() -> None:
    out = safe_markdown('<a href="javascript:alert(1)">x</a>')
    assert out == '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;'


def test_javascript_markdown_link_becomes_text() -> None:
    out = safe_markdown("see [x](javascript:alert(1)) now")
    assert out == "see \\[x](javascript:alert(1)) now"
    assert _unsafe_render(out) == "<p>see [x](javascript:alert(1)) now</p>\n"


def test_javascript_autolink_becomes_text() -> None:
    out = safe_markdown("<javascript:alert(1)>")
    assert out == "\\<javascript:alert(1)>"
    assert _unsafe_render(out) == "<p>&lt;javascript:alert(1)&gt;</p>\n"


def test_data_image_urls_stay_but_other_data_urls_go() -> None:
    png = "![p](data:image/png;base64,iVBORw0KGgo=)"
    assert safe_markdown(png) == png
    assert safe_markdown("![h](data:text/html,hi)") == "!\\[h](data:text/html,hi)"


def test_reference_link_to_javascript_is_neutralised() -> None:
    out = safe_markdown("[x][r] and [r]\n\n[r]: javascript:alert(1)\n")
    assert "href" not in _unsafe_render(out)


def test_html_in_containers_keeps_container_markers() -> None:
    assert safe_markdown("> a <b>x</b>\n> c") == "> a &lt;b&gt;x&lt;/b&gt;\n> c"
    assert safe_markdown("- a\n\n  <div>\n  x\n  </div>\n") == (
        "- a\n\n  &lt;div&gt;\n  x\n  &lt;/div&gt;\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Use `<script>` tags carefully.",
        "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```\n",
        "    <script>indented code</script>\n",
        "~~~\n<a href=\"javascript:x\">\n~~~",
    ],
)
def test_code_is_untouched(text: str) -> None:
    assert safe_markdown(text) == text


PLAIN = """# A heading

Some *emphasis*, **strong**, `code`, a [link](https://example.com "t") and
an ![image](https://example.com/i.png). Maths: a < b && c > d, 3 & 4.

- item one
- item two with <https://example.com>

1. first

2. second

| a | b |
|---|---|
| 1 | ~~2~~ |

> quote\twith tab

```python
if a < b and c > d:
    print("<b>")
```
"""


def test_plain_markdown_is_unchanged() -> None:
    assert safe_markdown(PLAIN) == PLAIN


def test_render_html_renders_commonmark_tables_and_strikethrough() -> None:
    html = render_html(PLAIN)
    for part in ("<h1>A heading</h1>", "<em>emphasis</em>", "<table>", "<s>2</s>",
                 '<code class="language-python">', "&lt;b&gt;", '<a href="https://example.com"'):
        assert part in html


def test_render_html_escapes_raw_html_and_refuses_script_links() -> None:
    html = render_html('<img src=x onerror="alert(1)">\n\n[x](javascript:alert(1)) <javascript:a>')
    assert "<img" not in html and "href" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_mixed_safe_and_unsafe_only_changes_unsafe_spans() -> None:
    text = "Keep `<b>` and [ok](https://x.org) but not <b>this</b>."
    assert safe_markdown(text) == "Keep `<b>` and [ok](https://x.org) but not &lt;b&gt;this&lt;/b&gt;."


# --- split_blocks --------------------------------------------------------------------------

ANSWER = """# Streaming answer

Here is an intro paragraph that
spans two lines.

Setext heading
--------------

- tight one
- tight two

1. loose one

2. loose two

   continued inside two

       indented code in two

* after a change of marker

```python
def f(x):

    return x < 1
```
Paragraph right after a fence.

[ref]:
  https://example.com

    indented code block

| col | other |
|-----|-------|
| 1   | 2     |

> a quote
continued lazily

Last paragraph with a [ref] link.
"""


def test_split_blocks_reassembles_the_text() -> None:
    for end in range(len(ANSWER) + 1):
        blocks, tail = split_blocks(ANSWER[:end])
        assert "".join(blocks) + tail == ANSWER[:end]


def test_split_blocks_finished_blocks_never_change() -> None:
    whole, _ = split_blocks(ANSWER)
    for end in range(len(ANSWER) + 1):
        blocks, _ = split_blocks(ANSWER[:end])
        assert blocks == whole[: len(blocks)], ANSWER[:end]


def test_split_blocks_from_an_offset_matches_the_whole() -> None:
    # The live widget splits only what follows the blocks it has already sent.
    whole, _ = split_blocks(ANSWER)
    sent: list[str] = []
    done = 0
    for end in range(0, len(ANSWER) + 1, 7):
        blocks, _ = split_blocks(ANSWER[done:end])
        sent.extend(blocks)
        done += sum(map(len, blocks))
    assert sent == whole[: len(sent)]
    assert len(sent) >= len(whole) - 1


def test_split_blocks_keeps_an_open_fence_whole() -> None:
    text = "Intro\n\n```\na\n\nb\n"
    assert split_blocks(text) == (["Intro\n\n"], "```\na\n\nb\n")
    blocks, tail = split_blocks(text + "```\n")
    assert blocks == ["Intro\n\n", "```\na\n\nb\n```\n"] and tail == ""
    assert split_blocks(text + "```\n\nafter")[1] == "\nafter"


def test_split_blocks_waits_for_a_complete_line() -> None:
    # " f" could still become "  foo" (inside the item) or a new paragraph.
    assert split_blocks("- a\n\n f") == ([], "- a\n\n f")
    assert split_blocks("no newline yet") == ([], "no newline yet")


def test_split_blocks_headings_and_loose_lists() -> None:
    blocks, tail = split_blocks("# H\n\n- a\n\n- b\n\n  more b\n\nend\n")
    assert blocks == ["# H\n\n", "- a\n\n", "- b\n\n  more b\n\n"] and tail == "end\n"


def test_split_blocks_rendered_piecewise_shows_the_same_text() -> None:
    import re

    def words(html: str) -> list[str]:
        return re.sub(r"<[^>]+>", " ", html).split()

    # Without its link reference definition, which stands alone (and shows) while streaming.
    answer = ANSWER.replace("[ref]:\n  https://example.com\n\n", "")
    blocks, tail = split_blocks(answer)
    pieces = "".join(render_html(b) for b in [*blocks, tail])
    assert words(pieces) == words(render_html(answer))


def test_split_blocks_finishes_each_item_of_a_long_tight_list() -> None:
    blocks, tail = split_blocks("Steps:\n\n1. one\n2. two\n   - nested\n   - more\n3. three\n")
    assert blocks == ["Steps:\n\n", "1. one\n", "2. two\n   - nested\n   - more\n"]
    assert tail == "3. three\n"
    assert [list_marker(b) for b in blocks] == [None, ".", "."]
    assert list_marker("- a\n") == "-" and list_marker("* a\n") == "*"
