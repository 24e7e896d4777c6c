"""A row rendered into its prompt, and the fingerprints that say whether a job or a row changed.

Rendering reuses ``%%claude``'s ``{name}`` rules (``claude_magic._prompt``): the row's names
come first, then the user's namespace, so ``{labels}`` may name a notebook variable.
"""

from __future__ import annotations

import hashlib
import json
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from ..core.prompt import interpolate
from ..exceptions import PromptError
from ._rows import MapError, Row

__all__ = ["custom_id", "fingerprint", "prompt_hash", "render"]


def render(template: str, row: Row, namespace: Mapping[str, Any]) -> str:
    """The prompt for ``row``; a field that cannot be filled raises one-line :class:`MapError`."""
    try:
        prompt = interpolate(template, ChainMap(row.values, namespace)).strip()  # type: ignore[arg-type]
    except PromptError as exc:
        raise MapError(f"Row {row.key_text!r}: {exc}") from None
    if not prompt:
        raise MapError(f"Row {row.key_text!r}: the prompt is empty.")
    return prompt


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def fingerprint(template: str, params: Mapping[str, Any]) -> str:
    """What makes two runs the same job: the template, model and request options."""
    return _digest(json.dumps({"template": template, "params": params}, sort_keys=True, default=str), 16)


def prompt_hash(prompt: str) -> str:
    """A row's rendered prompt, hashed: a row whose data changed is asked again."""
    return _digest(prompt, 16)


def custom_id(key_text: str) -> str:
    """The batch ``custom_id`` of a row (the API allows ``[a-zA-Z0-9_-]{1,64}``)."""
    return "row-" + _digest(key_text, 40)
