"""The one place that decides what runs this code: a Jupyter kernel, or terminal IPython."""

from __future__ import annotations

from typing import Any

__all__ = ["in_kernel"]


def in_kernel(shell: Any) -> bool:
    """A kernel talks to a front end over ZMQ; anything else prints to a terminal."""
    return type(shell).__name__ == "ZMQInteractiveShell"
