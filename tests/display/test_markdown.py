"""split_blocks: streamed Markdown split into finished blocks, the same ones the renderer sees."""

from __future__ import annotations


from claude_magic.display.html import render_answer_fragment as render_html
from claude_magic.display.markdown import list_marker, split_blocks


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
