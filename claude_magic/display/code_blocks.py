"""The Python code of an answer: its fenced ``python`` blocks, joined, for ``--code``.

Parsed with the renderer's own Markdown parser, so a fence is read exactly as it is shown.
Only blocks marked as Python count (``python``, ``py``, ``python3``, ``ipython``): an
unmarked block is as often output, a shell command or a file's text.
"""

from __future__ import annotations

from .html import markdown_parser

__all__ = ["python_code", "PYTHON_FENCES"]

PYTHON_FENCES = frozenset({"python", "py", "python3", "ipython", "ipython3"})


def python_code(answer: str) -> str:
    """Every Python code block of ``answer`` in order, separated by a blank line."""
    blocks = []
    for token in markdown_parser().parse(answer):
        words = token.info.split() if token.type == "fence" else []
        if words and words[0].lower() in PYTHON_FENCES and token.content.strip():
            blocks.append(token.content.strip("\n"))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
