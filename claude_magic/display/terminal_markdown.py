"""Markdown made readable in a terminal as it streams: no ``**``, headings and bold in bold.

Terminal IPython prints each delta as it arrives, so the answer cannot be re-rendered as a
whole; this rewrites the markup on the fly instead. ``**`` and ``__`` toggle bold, a heading's
``#`` marks become a bold line, a list's ``-``/``*`` becomes ``•``, fence lines are dimmed and
code inside them is left exactly as written. A marker split across two deltas is held back
until the next one. With ``ansi=False`` (output that is not a terminal) the markers are
dropped and nothing is added.
"""

from __future__ import annotations

import re

__all__ = ["TerminalMarkdown"]

_BOLD, _DIM, _RESET_WEIGHT = "\x1b[1m", "\x1b[2m", "\x1b[22m"
_HEADING = re.compile(r"#{1,6} ")
_BULLET = re.compile(r"( *)[-*] ")


class TerminalMarkdown:
    """Feed deltas, print what comes back; ``flush()`` at the end."""

    def __init__(self, *, ansi: bool = True) -> None:
        self._ansi = ansi
        self._carry = ""
        self._line_start = True
        self._in_fence = False
        self._bold = False
        self._heading = False

    def _style(self, code: str) -> str:
        return code if self._ansi else ""

    def feed(self, delta: str, *, final: bool = False) -> str:
        text, self._carry = self._carry + delta, ""
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            rest = text[i:]
            if self._line_start:
                # Decide what the line is once enough of it has arrived (or the answer ended).
                if not final and "\n" not in rest and len(rest) < 7 and (
                        "```".startswith(rest[:3]) or rest.lstrip(" #-*") == ""):
                    self._carry = rest
                    break
                self._line_start = False
                if rest.startswith("```"):
                    self._in_fence = not self._in_fence
                    end = rest.find("\n")
                    line = rest if end < 0 else rest[:end]
                    out.append(self._style(_DIM) + line + self._style(_RESET_WEIGHT))
                    i += len(line)
                    continue
                if not self._in_fence:
                    if heading := _HEADING.match(rest):
                        out.append(self._style(_BOLD))
                        self._heading = True
                        i += heading.end()
                        continue
                    if bullet := _BULLET.match(rest):
                        out.append(bullet.group(1) + "• ")
                        i += bullet.end()
                        continue
            ch = text[i]
            if ch == "\n":
                if self._heading:
                    out.append(self._style(_RESET_WEIGHT))
                    self._heading = False
                out.append(ch)
                self._line_start = True
                i += 1
                continue
            if not self._in_fence and ch in "*_":
                if i + 1 >= n and not final:
                    self._carry = ch  # one "*" may be the first half of "**"
                    break
                if text[i + 1: i + 2] == ch:
                    self._bold = not self._bold
                    if not self._heading:
                        out.append(self._style(_BOLD if self._bold else _RESET_WEIGHT))
                    i += 2
                    continue
            out.append(ch)
            i += 1
        return "".join(out)

    def flush(self) -> str:
        """What was held back, and the styles closed."""
        tail = self.feed("", final=True) if self._carry else ""
        if self._bold or self._heading:
            tail += self._style(_RESET_WEIGHT)
        self._bold = self._heading = False
        return tail
