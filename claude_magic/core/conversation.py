"""The conversation of a notebook: one user/assistant turn per cell, in notebook run order.

Turns are keyed by cell (JupyterLab's cell id when the front end sends one, else the prompt
text), so re-running a cell replaces its turn where it stands instead of repeating it, and the
cell sees only the turns that came before it.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

__all__ = ["Content", "Conversation"]

#: A message's content as the Messages API takes it: text, or a list of content blocks.
Content = str | list[Any]


@dataclass(frozen=True)
class _Turn:
    key: Hashable
    user: Content
    assistant: Content


def _copy(content: Content) -> Content:
    # A fresh list, so a caller appending to a request's messages cannot edit the history.
    return content if isinstance(content, str) else list(content)


def _block_is_empty(block: Any) -> bool:
    kind = block.get("type") if isinstance(block, dict) else getattr(block, "type", None)
    if kind != "text":
        return False  # tool_use, thinking and the rest carry meaning even without text
    text = block.get("text") if isinstance(block, dict) else getattr(block, "text", None)
    return not (text or "").strip()


def _is_empty(content: Content) -> bool:
    if isinstance(content, str):
        return not content.strip()
    return all(_block_is_empty(block) for block in content)


class Conversation:
    """Ordered turns keyed by cell; produces the Messages-API history for a cell."""

    def __init__(self) -> None:
        self._turns: list[_Turn] = []

    def __len__(self) -> int:
        return len(self._turns)

    def __repr__(self) -> str:
        return f"<Conversation, turns={len(self._turns)}>"

    def _index(self, key: Hashable) -> int | None:
        for i, turn in enumerate(self._turns):
            if turn.key == key:
                return i
        return None

    def messages_before(self, key: Hashable) -> list[dict[str, Any]]:
        """The messages of the turns before ``key``'s turn (all turns for a new key)."""
        i = self._index(key)
        return self._messages(self._turns if i is None else self._turns[:i])

    def messages(self) -> list[dict[str, Any]]:
        """The messages of every turn, alternating user and assistant."""
        return self._messages(self._turns)

    def record(self, key: Hashable, user_content: Content, assistant_content: Content) -> None:
        """Store a cell's turn: a re-run replaces its turn in place.

        A turn with no assistant text (interrupted before anything arrived) is not recorded:
        a user message with no reply would break the user/assistant alternation. An earlier
        turn of the same cell is then kept, as there is nothing to replace it with.
        """
        if _is_empty(assistant_content):
            return
        turn = _Turn(key, _copy(user_content), _copy(assistant_content))
        i = self._index(key)
        if i is None:
            self._turns.append(turn)
        else:
            self._turns[i] = turn

    def reset(self) -> None:
        """Forget every turn."""
        self._turns.clear()

    @staticmethod
    def _messages(turns: list[_Turn]) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        for turn in turns:
            messages.append({"role": "user", "content": _copy(turn.user)})
            messages.append({"role": "assistant", "content": _copy(turn.assistant)})
        return messages
