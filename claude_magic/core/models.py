"""Which models the endpoint offers: ``GET /v1/models`` through the SDK, newest first."""

from __future__ import annotations

from typing import Any

__all__ = ["list_models", "MODEL_LIST_LIMIT"]

#: One page is enough for a selector; the API lists the newest first.
MODEL_LIST_LIMIT = 50


async def list_models(client: Any, *, limit: int = MODEL_LIST_LIMIT) -> list[str]:
    """Model ids as the API orders them (newest first); raises what the SDK raises."""
    page = await client.models.list(limit=limit)
    return [model.id for model in page.data]
