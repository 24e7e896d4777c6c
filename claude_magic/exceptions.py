"""The one exception root of claude_magic, and the tree below it.

::

    ClaudeMagicError                  every error claude_magic raises on purpose
    ├── UserError                     a user's mistake: one line that says what to do
    │   ├── MissingKeyError           no API key and no emulator
    │   ├── BudgetError               ClaudeMagic.budget_usd is spent
    │   ├── PromptError               a {name} in the prompt cannot be filled
    │   └── ToolDefinitionError       a --tools name is not a usable function
    ├── UsageLogError                 the SQLite usage log cannot be read or written
    └── Interrupted                   the kernel interrupted a turn: one line, no traceback

The IPython layer shows a ``UserError`` as IPython's one-line ``UsageError``; everything else
reaches the user through the streaming core's one error line. The emulator keeps its own
``ScriptError``: it imports nothing of the rest of the package, so it can run on its own.
"""

from __future__ import annotations

__all__ = [
    "ClaudeMagicError",
    "UserError",
    "MissingKeyError",
    "BudgetError",
    "PromptError",
    "ToolDefinitionError",
    "UsageLogError",
    "Interrupted",
]


class ClaudeMagicError(Exception):
    """Root of every error claude_magic raises on purpose."""


class UserError(ClaudeMagicError):
    """A user's mistake; the message is one line that says what to do."""


class MissingKeyError(UserError):
    """No key in the environment and no offline emulator."""


class BudgetError(UserError):
    """This kernel has spent ClaudeMagic.budget_usd."""


class PromptError(UserError, ValueError):
    """A ``{name}`` field of a prompt cannot be filled."""


class ToolDefinitionError(UserError, ValueError):
    """A function named in --tools cannot be offered to the model."""


class UsageLogError(ClaudeMagicError):
    """The usage log cannot be read or written; the message is one line with the fix."""


class Interrupted(ClaudeMagicError):
    """The kernel's interrupt ended a turn; raised once the turn is concluded.

    It replaces the bare ``CancelledError`` so the cell still fails (queued cells abort) but shows
    only its message: IPython prints what ``_render_traceback_`` returns instead of a traceback
    through the SDK, httpx2 and anyio. An ``Exception``, not a ``KeyboardInterrupt``: asyncio
    re-raises a ``KeyboardInterrupt`` out of the event loop when a task ends with one.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"⚠ {self}"]
