"""The model catalogue: the model ids the installed SDK knows, served as ``/v1/models`` pages."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timezone
from typing import Any, get_args

from anthropic.types import Model, ModelInfo

__all__ = ["is_known_model", "known_models", "model_info", "model_page", "page_body", "paginate"]

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


def paginate(ids: list[str], *, limit: int, after_id: str | None, before_id: str | None) -> tuple[list[str], bool]:
    """The API's cursor paging over ``ids`` (in listing order): the page and ``has_more``."""
    if after_id in ids:
        ids = ids[ids.index(after_id) + 1 :]
        return ids[:limit], len(ids) > limit
    if before_id in ids:
        ids = ids[: ids.index(before_id)]
        return ids[-limit:], len(ids) > limit
    return ids[:limit], len(ids) > limit


def page_body(data: list[dict[str, Any]], page: list[str], has_more: bool) -> dict[str, Any]:
    """A list response in the API's shape: ``data``, ``has_more``, ``first_id``, ``last_id``."""
    return {"data": data, "has_more": has_more, "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None}


def model_page(*, limit: int = 20, after_id: str | None = None, before_id: str | None = None) -> dict[str, Any]:
    """One page of models in the API's shape."""
    page, has_more = paginate(list(known_models()), limit=limit, after_id=after_id, before_id=before_id)
    return page_body([model_info(i).model_dump(mode="json", exclude_unset=True) for i in page], page, has_more)
