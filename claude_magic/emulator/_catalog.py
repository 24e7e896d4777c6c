"""The model catalogue: the model ids the installed SDK knows, served as ``/v1/models`` pages."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timezone
from typing import Any, get_args

from anthropic.types import Model, ModelInfo

__all__ = ["is_known_model", "known_models", "model_info", "model_page"]

# Release dates are not in the SDK; the API documents the epoch for "unknown".
_UNKNOWN_DATE = datetime(1970, 1, 1, tzinfo=timezone.utc)


@functools.lru_cache(maxsize=1)
def known_models() -> tuple[str, ...]:
    """The literal model ids of ``anthropic.types.Model``, in the SDK's order."""
    literals: list[str] = []
    for member in get_args(Model):
        literals.extend(arg for arg in get_args(member) if isinstance(arg, str))
    return tuple(literals)


def is_known_model(model: str) -> bool:
    return model in known_models()


def _display_name(model_id: str) -> str:
    # "claude-sonnet-4-5-20250929" -> "Claude Sonnet 4.5"
    words = [w for w in model_id.split("-") if not re.fullmatch(r"\d{8}", w)]
    out: list[str] = []
    for word in words:
        if word.isdigit() and out and re.fullmatch(r"[\d.]+", out[-1]):
            out[-1] += "." + word
        else:
            out.append(word if word.isdigit() else word.capitalize())
    return " ".join(out)


def model_info(model_id: str) -> ModelInfo:
    return ModelInfo(
        type="model",
        id=model_id,
        display_name=_display_name(model_id),
        created_at=_UNKNOWN_DATE,
        lifecycle="active",
    )


def model_page(*, limit: int = 20, after_id: str | None = None, before_id: str | None = None) -> dict[str, Any]:
    """One page in the API's shape: ``data``, ``has_more``, ``first_id``, ``last_id``."""
    ids = list(known_models())
    if after_id in ids:
        ids = ids[ids.index(after_id) + 1 :]
        page, has_more = ids[:limit], len(ids) > limit
    elif before_id in ids:
        ids = ids[: ids.index(before_id)]
        page, has_more = ids[-limit:], len(ids) > limit
    else:
        page, has_more = ids[:limit], len(ids) > limit
    return {
        "data": [model_info(i).model_dump(mode="json", exclude_unset=True) for i in page],
        "has_more": has_more,
        "first_id": page[0] if page else None,
        "last_id": page[-1] if page else None,
    }
