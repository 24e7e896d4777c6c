"""The model catalogue: one entry per model the SDK knows, with its limits, capabilities and lifecycle.

This table is the one place in the package that says what a model can do. The emulator's
``/v1/models`` routes serve it in the SDK's ``ModelInfo`` shape, and its request checks
(:mod:`._validate`) read it: prefill, temperature, ``max_tokens``, thinking types, effort
levels, structured outputs, retirement. Clients learn capabilities through
``GET /v1/models/{id}`` like they would from the API, never by importing this module.

Sources: model ids from ``anthropic.types.Model`` (SDK 2.14), lifecycle from the SDK's
``DEPRECATED_MODELS``, limits, thinking and effort from the models' documentation pages.
Release dates the documentation does not give (marked ``~``) are placed between their
neighbours' so that "newest first" keeps the order the models came out in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Literal, get_args

from anthropic.types import Model, ModelInfo

__all__ = [
    "EFFORT_LEVELS",
    "CatalogModel",
    "catalog",
    "find_model",
    "is_known_model",
    "known_models",
    "model_info",
    "model_page",
    "LIMIT_MESSAGE",
    "page_body",
    "page_limit",
    "paginate",
]

EFFORT_LEVELS = ("low", "medium", "high", "xhigh", "max")
Lifecycle = Literal["active", "deprecated", "retired"]


@dataclass(frozen=True)
class CatalogModel:
    """What the API knows about one model; ``aliases`` are other ids that resolve to it."""

    id: str
    display_name: str
    created_at: str
    line: str | None
    max_tokens: int
    max_input_tokens: int
    thinking_types: frozenset[str]
    efforts: tuple[str, ...]
    #: Whether a conversation may end with an assistant turn (Claude 4.6 and later: no).
    prefill: bool
    #: Whether ``temperature``/``top_p``/``top_k`` are taken (API version 2023-06-01 only):
    #: generation 5 and Opus 4.7+ refuse them.
    temperature: bool
    structured_outputs: bool = True
    lifecycle: Lifecycle = "active"
    deprecated_at: str | None = None
    retires_at: str | None = None
    aliases: tuple[str, ...] = ()
    compaction: bool = False
    #: The shortest prompt prefix the cache takes; shorter ones are silently not cached.
    cache_min_tokens: int = 1024

    def info(self) -> ModelInfo:
        """This model as the API's ``ModelInfo`` (every capability key present)."""
        return ModelInfo.model_validate(
            {
                "type": "model",
                "id": self.id,
                "display_name": self.display_name,
                "created_at": _time(self.created_at),
                "line": self.line,
                "lifecycle": self.lifecycle,
                "deprecated_at": _time(self.deprecated_at),
                "retires_at": _time(self.retires_at),
                "max_tokens": self.max_tokens,
                "max_input_tokens": self.max_input_tokens,
                "capabilities": self._capabilities(),
            }
        )

    def _capabilities(self) -> dict[str, Any]:
        def yes(flag: bool) -> dict[str, bool]:
            return {"supported": flag}

        thinking_types = ("enabled", "adaptive", "disabled", "between_tools")
        return {
            "batch": yes(True),
            "citations": yes(True),
            "code_execution": yes(self.line != "haiku"),
            "context_management": {
                "supported": True,
                "clear_thinking_20251015": yes(True),
                "clear_tool_uses_20250919": yes(True),
                "compact_20260112": yes(self.compaction),
            },
            "effort": {"supported": bool(self.efforts), **{lvl: yes(lvl in self.efforts) for lvl in EFFORT_LEVELS}},
            "image_input": yes(True),
            "pdf_input": yes(True),
            "server_tools": {"supported": True, "web_search": yes(True), "code_execution": yes(True)},
            "structured_outputs": yes(self.structured_outputs),
            "thinking": {
                "supported": bool(self.thinking_types - {"disabled"}),
                "types": {kind: yes(kind in self.thinking_types) for kind in thinking_types},
            },
        }


def _time(day: str | None) -> datetime | None:
    return None if day is None else datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


_ALL_EFFORTS = EFFORT_LEVELS
_EXTENDED = frozenset({"enabled", "disabled"})
_ADAPTIVE = frozenset({"adaptive", "disabled"})
_ALWAYS_ON = frozenset({"adaptive", "between_tools"})  # adaptive thinking that cannot be turned off


def _gen5(
    model_id: str, name: str, created: str, line: str, thinking: frozenset[str], *, cache_min_tokens: int = 512,
    **lifecycle: Any,
) -> CatalogModel:
    """Claude 4.7 and later: 1M context, 128K output, every effort level, no prefill, no temperature."""
    return CatalogModel(
        model_id, name, created, line, 128_000, 1_000_000, thinking, _ALL_EFFORTS, prefill=False, temperature=False,
        compaction=True, cache_min_tokens=cache_min_tokens, **lifecycle,
    )


def _entries() -> Iterable[CatalogModel]:
    yield _gen5("claude-fable-5-2", "Claude Fable 5.2", "2026-11-17~", "fable", _ALWAYS_ON)
    yield _gen5("claude-mythos-5-2", "Claude Mythos 5.2", "2026-11-17~", "mythos", _ALWAYS_ON)
    yield _gen5("claude-haiku-5-5", "Claude Haiku 5.5", "2026-10-07", "haiku", _ADAPTIVE | {"between_tools"})
    yield _gen5("claude-sonnet-5-5", "Claude Sonnet 5.5", "2026-09-22~", "sonnet", _ADAPTIVE | {"between_tools"})
    yield _gen5("claude-opus-5-5", "Claude Opus 5.5", "2026-09-15~", "opus", _ALWAYS_ON)
    yield _gen5("claude-fable-5-1", "Claude Fable 5.1", "2026-09-01", "fable", _ALWAYS_ON)
    yield _gen5("claude-mythos-5-1", "Claude Mythos 5.1", "2026-09-01", "mythos", _ALWAYS_ON)
    yield _gen5("claude-opus-5", "Claude Opus 5", "2026-07-24", "opus", _ADAPTIVE)
    yield _gen5("claude-sonnet-5", "Claude Sonnet 5", "2026-06-30", "sonnet", _ADAPTIVE)
    yield _gen5("claude-fable-5", "Claude Fable 5", "2026-06-09", "fable", _ADAPTIVE)
    yield _gen5("claude-mythos-5", "Claude Mythos 5", "2026-06-09", "mythos", _ADAPTIVE)
    yield _gen5("claude-opus-4-8", "Claude Opus 4.8", "2026-05-28~", "opus", _ADAPTIVE, cache_min_tokens=1024)
    yield _gen5("claude-opus-4-7", "Claude Opus 4.7", "2026-04-16", "opus", _ADAPTIVE, cache_min_tokens=1024)
    yield _gen5("claude-mythos-preview", "Claude Mythos Preview", "2026-04-07~", "mythos", _ADAPTIVE,
                cache_min_tokens=1024, lifecycle="retired", deprecated_at="2026-03-31~", retires_at="2026-06-30")
    yield CatalogModel("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17", "sonnet", 128_000, 1_000_000,
                       _EXTENDED | _ADAPTIVE, ("low", "medium", "high", "max"), prefill=False, temperature=True,
                       compaction=True)
    yield CatalogModel("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05", "opus", 128_000, 1_000_000,
                       _EXTENDED | _ADAPTIVE, ("low", "medium", "high", "max"), prefill=False, temperature=True,
                       compaction=True)
    yield CatalogModel("claude-opus-4-5-20251101", "Claude Opus 4.5", "2025-11-24", "opus", 64_000, 200_000, _EXTENDED,
                       ("low", "medium", "high"), prefill=True, temperature=True, cache_min_tokens=4096,
                       lifecycle="deprecated",
                       deprecated_at="2026-07-24~", retires_at="2027-01-22", aliases=("claude-opus-4-5",))
    yield CatalogModel("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15", "haiku", 64_000, 200_000,
                       _EXTENDED, (), prefill=True, temperature=True, cache_min_tokens=4096,
                       aliases=("claude-haiku-4-5",))
    yield CatalogModel("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29", "sonnet", 64_000, 200_000,
                       _EXTENDED, (), prefill=True, temperature=True, lifecycle="deprecated",
                       deprecated_at="2026-06-30~", retires_at="2026-11-30", aliases=("claude-sonnet-4-5",))


@functools.lru_cache(maxsize=1)
def catalog() -> tuple[CatalogModel, ...]:
    """Every model, newest first (the order ``GET /v1/models`` pages in)."""
    models = [_undated(m) for m in _entries()]
    return tuple(sorted(models, key=lambda m: m.created_at, reverse=True))


def _undated(model: CatalogModel) -> CatalogModel:
    # "~" marks an estimated date; it is a note for readers, not part of the date.
    fix = {k: v.rstrip("~") for k in ("created_at", "deprecated_at", "retires_at") if (v := getattr(model, k))}
    return CatalogModel(**{**model.__dict__, **fix})


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, CatalogModel]:
    return {name: m for m in catalog() for name in (m.id, *m.aliases)}


def find_model(name: str) -> CatalogModel | None:
    """The catalogue entry for a model id or alias, or ``None``."""
    return _by_name().get(name)


@functools.lru_cache(maxsize=1)
def known_models() -> tuple[str, ...]:
    """The literal model ids of ``anthropic.types.Model``, in the SDK's order."""
    literals: list[str] = []
    for member in get_args(Model):
        literals.extend(arg for arg in get_args(member) if isinstance(arg, str))
    return tuple(literals)


def is_known_model(model: str) -> bool:
    return find_model(model) is not None


def model_info(name: str) -> ModelInfo:
    """``ModelInfo`` for a model id or alias (an alias answers with the model's own id)."""
    model = find_model(name)
    if model is None:
        raise KeyError(name)
    return model.info()


#: The API's words for a list request's limit out of range.
LIMIT_MESSAGE = "limit: Input should be between 1 and 1000"


def page_limit(params: Mapping[str, Any]) -> int | None:
    """A list request's ``limit`` (default 20), or None when it is not a number from 1 to 1000."""
    try:
        limit = int(params.get("limit", "20"))
    except ValueError:
        return None
    return limit if 1 <= limit <= 1000 else None


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
    """One page of models in the API's shape: newest first."""
    page, has_more = paginate([m.id for m in catalog()], limit=limit, after_id=after_id, before_id=before_id)
    return page_body([model_info(i).model_dump(mode="json") for i in page], page, has_more)
