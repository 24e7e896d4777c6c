"""What the streaming core tells a display: typed content events ("lanes") and the Sink protocol.

The API streams several kinds of content (text, thinking, a tool call's input forming, and
around them tool results, citations and status notices). The core turns each into one of the
small frozen events below and pushes it to a :class:`Sink`; each display renders the lanes it
knows (``claude_magic.display.lanes.LaneRenderer`` gives every lane a plain default), so a new
kind of block adds an event here and a renderer there, and touches nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

__all__ = ["Text", "Thinking", "ToolInput", "ToolResult", "Citation", "Notice", "Lane", "Ending", "Sink"]


@dataclass(frozen=True)
class Text:
    """New answer text (a delta, or a separator between text blocks)."""

    text: str


@dataclass(frozen=True)
class Thinking:
    """New thinking text; ``redacted`` marks a block the API sent encrypted, ``omitted`` one it
    sent with its signature only (``display: "omitted"``): neither has readable text."""

    text: str
    redacted: bool = False
    omitted: bool = False


@dataclass(frozen=True)
class ToolInput:
    """A tool call's input forming: ``delta`` is the new JSON fragment (empty at the start).

    ``so_far`` joins every fragment only when a display asks (a throttled display asks a few
    times a second, not per fragment). ``done`` is set once, when the block ends, so a display
    shows the whole input before the tool runs, whatever it skipped while throttling.
    """

    name: str
    delta: str
    fragments: Sequence[str] = ()
    done: bool = False

    @property
    def so_far(self) -> str:
        return "".join(self.fragments)


@dataclass(frozen=True)
class ToolResult:
    """A tool call that ran (or was refused), as the user should see it."""

    name: str
    input: str
    display: str
    is_error: bool = False


@dataclass(frozen=True)
class Citation:
    """A passage the text block just streamed cites (pushed when that block ends)."""

    citation: dict[str, Any]


@dataclass(frozen=True)
class Notice:
    """A transient status line (a retry countdown); an empty line clears it."""

    line: str


Lane = Text | Thinking | ToolInput | ToolResult | Citation | Notice


@dataclass(frozen=True)
class Ending:
    """How the turn ended, for the lines under the answer."""

    footer: str
    error: str | None = None
    #: The answer as the final output shows it, when it differs from what streamed (--json:
    #: the validated JSON, pretty-printed); None: what streamed.
    answer: str | None = None


class Sink(Protocol):
    """A display of one streaming answer."""

    def begin(self) -> None: ...

    def push(self, lane: Lane) -> None: ...

    def end(self, ending: Ending) -> None: ...
