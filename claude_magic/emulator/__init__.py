"""claude_magic.emulator: an Anthropic-compatible server that runs offline.

Start it from Python (``with serve() as server:`` or ``Emulator().start()``) or from a shell
(``python -m claude_magic.emulator``), point the SDK at ``server.url``, and it answers the
Messages API: streamed or not, with deterministic default answers or a script of rules
(text, thinking, tool calls, pacing, HTTP errors, mid-stream errors, drops and stalls).
It also serves the Files API, and reads the images and documents a request carries.
It records through a proxy (``record=DIR, upstream=URL``) and replays what it recorded
(``replay=DIR``), and serves a room beyond 127.0.0.1 behind an access token.
"""

from __future__ import annotations

from ._recorded import RecordedRequest
from ._catalog import known_models
from ._files import FileStore
from ._limits import Limits
from ._replay import Transcript
from ._script import Rule, Script, ScriptError, TextBlock, ThinkingBlock, ToolUseBlock, UsageOverride, example_scripts
from ._server import Emulator, serve

__all__ = [
    "Emulator",
    "FileStore",
    "Limits",
    "RecordedRequest",
    "Rule",
    "Script",
    "ScriptError",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "Transcript",
    "UsageOverride",
    "example_scripts",
    "known_models",
    "serve",
]
