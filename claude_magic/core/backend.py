"""Choosing where answers come from: the real API, or the local emulator, and saying which.

A tutorial notebook's first cell calls :func:`backend`: with ``ANTHROPIC_API_KEY`` set and
``CLAUDE_MAGIC_LIVE=1`` it uses the real API; otherwise it starts the emulator with the
notebook's own script, so a workshop runs offline and the saved outputs stay reproducible.
With ``CLAUDE_MAGIC_REPLAY=DIR`` (or ``replay=DIR``) the emulator answers instead from a
folder recorded through ``python -m claude_magic.emulator --record DIR``: real answers, offline.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["Backend", "backend", "live_requested", "replay_requested"]

_EMULATOR_KEY = "emulator-offline"  # what the emulator accepts; not a secret


def live_requested() -> bool:
    return bool(os.environ.get("ANTHROPIC_API_KEY")) and os.environ.get("CLAUDE_MAGIC_LIVE") == "1"


def replay_requested() -> str | None:
    """The recording folder named by ``CLAUDE_MAGIC_REPLAY``, if any."""
    return os.environ.get("CLAUDE_MAGIC_REPLAY") or None


class Backend:
    """Where requests go. ``client()``/``async_client()`` build SDK clients pointed there."""

    def __init__(
        self, *, emulator: Any = None, script: str | None = None, forced: bool = False, replay: str | None = None
    ) -> None:
        self.emulator = emulator
        self.script = script
        self.replay = replay  # the recording folder's name, when answers are replayed
        self.forced = forced  # offline by request, whatever the environment says

    @property
    def live(self) -> bool:
        return self.emulator is None

    @property
    def base_url(self) -> str | None:
        return os.environ.get("ANTHROPIC_BASE_URL") if self.live else self.emulator.url

    @property
    def api_key(self) -> str | None:
        # The live key stays in the environment, read by the SDK; never copied anywhere.
        return None if self.live else _EMULATOR_KEY

    def _kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.live:
            return {"api_key": os.environ["ANTHROPIC_API_KEY"], **kwargs}
        return {"base_url": self.base_url, "api_key": _EMULATOR_KEY, **kwargs}

    def client(self, **kwargs: Any) -> Any:
        """An ``anthropic.Anthropic`` for this backend (your own code: ``anthropic.Anthropic()``)."""
        import anthropic

        return anthropic.Anthropic(**self._kwargs(kwargs))

    def async_client(self, **kwargs: Any) -> Any:
        """An ``anthropic.AsyncAnthropic`` for this backend."""
        import anthropic

        return anthropic.AsyncAnthropic(**self._kwargs(kwargs))

    def describe(self) -> str:
        if self.live:
            return "Backend: the Anthropic API (ANTHROPIC_API_KEY is set and CLAUDE_MAGIC_LIVE=1)."
        answers = f"answers scripted in {self.script}" if self.script else "built-in deterministic answers"
        line = f"Backend: the local emulator, offline ({answers}), not Claude."
        if self.replay:
            line = f"Backend: the local emulator, offline, replaying the answers recorded in {self.replay}."
        if not self.forced:
            line += " Set ANTHROPIC_API_KEY and CLAUDE_MAGIC_LIVE=1 to use the real API."
        return line

    def __repr__(self) -> str:
        return self.describe()

    def close(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()


def backend(
    script: str | os.PathLike[str] | None = None,
    *,
    live: bool | None = None,
    replay: str | os.PathLike[str] | None = None,
) -> Backend:
    """Choose the backend (see the module docstring) and point a loaded %%claude at it."""
    from ..emulator import Emulator

    use_live = live_requested() if live is None else live
    replay = replay or replay_requested()
    if use_live:
        chosen = Backend()
    elif replay is not None:
        emulator = Emulator(replay=Path(replay)).start()
        chosen = Backend(emulator=emulator, replay=Path(replay).name, forced=live is False)
    else:
        # A path, or a shipped script's name ("workshop", "errors") as the emulator's CLI takes.
        name = Path(script).name if script is not None else None
        chosen = Backend(emulator=Emulator(script=script if isinstance(script, str) or script is None else Path(script)).start(),
                         script=name, forced=live is False)
    from .state import kernel_state

    kernel_state().use_backend(chosen.emulator)
    return chosen
