"""The notebook's errors for prompts: ``{Err[n]}`` is cell n's traceback, ``{_err}`` the last one.

Recorded after each cell that failed (IPython's ``post_run_cell``), as the text the user saw
without its ANSI colours. They reach a prompt only when named: the names are looked up after
the user's own, so a variable called ``Err`` or ``_err`` still wins.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from ..exceptions import PromptError

__all__ = ["ErrorLog", "plain_traceback"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def plain_traceback(lines: list[str] | str) -> str:
    """A structured traceback (a list of coloured chunks) as plain text."""
    text = lines if isinstance(lines, str) else "\n".join(lines)
    return _ANSI.sub("", text).strip("\n")


class _NoError:
    """``{_err}`` before any cell failed: says so instead of pasting nothing."""

    def __format__(self, spec: str) -> str:
        raise PromptError("{_err}: no cell has failed yet in this kernel.")


class Errors(dict):
    """``Err``: tracebacks by cell number."""

    def __missing__(self, key: Any) -> str:
        failed = ", ".join(str(n) for n in sorted(self)) or "none yet"
        raise PromptError(f"{{Err[{key}]}}: cell {key} did not fail (cells that failed: {failed}).")


class ErrorLog:
    """Keeps the tracebacks of the failed cells of one shell."""

    def __init__(self, shell: Any) -> None:
        self._shell = shell
        self.errors = Errors()
        self.last: str | None = None

    def record(self, result: Any) -> None:
        """``post_run_cell``: keep the traceback of a cell that failed."""
        exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        number = getattr(result, "execution_count", None)
        if exc is None or number is None:
            return
        text = plain_traceback(self._structured(exc))
        self.errors[number] = text
        self.last = text

    def _structured(self, exc: BaseException) -> list[str] | str:
        shown = getattr(self._shell, "_last_traceback", None)  # ipykernel keeps what it sent
        if shown:
            return list(shown)
        try:
            return list(self._shell.InteractiveTB.structured_traceback(type(exc), exc, exc.__traceback__))
        except Exception:  # noqa: BLE001 - a shell without IPython's formatter: the standard one
            import traceback

            return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def namespace(self, user_ns: Mapping[str, Any]) -> Mapping[str, Any]:
        """The user's names first, then ``Err`` and ``_err``."""
        fallback = {"Err": self.errors, "_err": self.last if self.last is not None else _NoError()}
        return ChainMap(user_ns, fallback)  # type: ignore[arg-type]
