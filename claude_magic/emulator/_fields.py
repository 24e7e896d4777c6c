"""Unknown and missing fields: a Messages body checked against the SDK's own request types.

The API validates bodies like pydantic with ``extra="forbid"``: a field it does not know is a
400 ``"messages.0.name: Extra inputs are not permitted"``, and a tagged union puts the tag
in the path (``messages.0.content.0.text.foo``). The SDK's ``TypedDict`` params describe the
same bodies, so walking them keeps the emulator in step with whichever SDK is installed:
the beta types when the request names a beta, the ordinary ones otherwise.
"""

from __future__ import annotations

import collections.abc
import functools
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from typing_extensions import NotRequired, Required, is_typeddict

__all__ = ["FieldError", "check_fields"]


class FieldError(ValueError):
    """A field the API does not know, or a required one missing; the message names its path."""


_WRAPPERS = (Annotated, Required, NotRequired, typing.Required, typing.NotRequired, typing.Annotated)
_SEQUENCES = (list, collections.abc.Iterable, collections.abc.Sequence)


def _strip(tp: Any) -> Any:
    while get_origin(tp) in _WRAPPERS:
        tp = get_args(tp)[0]
    return tp


@functools.cache
def _fields(td: Any) -> tuple[dict[str, Any], frozenset[str]]:
    # The SDK's modules use postponed annotations, so ``__required_keys__`` cannot see
    # ``Required[...]``: read it from the resolved hints instead.
    hints = typing.get_type_hints(td, include_extras=True)
    total = getattr(td, "__total__", True)
    required = {
        key
        for key, hint in hints.items()
        if get_origin(hint) in (Required, typing.Required)
        or (total and get_origin(hint) not in (NotRequired, typing.NotRequired))
    }
    return hints, frozenset(required)


def _tags(td: Any, key: str) -> tuple[tuple[Any, ...], bool]:
    """The literals a TypedDict accepts for ``key``, and whether ``key`` may be left out."""
    hints, required = _fields(td)
    if key not in hints:
        return (), True
    literals = tuple(a for a in get_args(_strip(hints[key])) if isinstance(a, str))
    for member in get_args(_strip(hints[key])):  # Optional[Literal[...]]
        literals += tuple(a for a in get_args(member) if isinstance(a, str))
    return literals, key not in required


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


_NOT_AN_OBJECT = "Input should be a valid dictionary or object to extract fields from"


def _walk(value: Any, tp: Any, path: str) -> None:
    tp = _strip(tp)
    if value is None:
        return
    if is_typeddict(tp):
        if not isinstance(value, Mapping):
            raise FieldError(f"{path}: {_NOT_AN_OBJECT}")
        hints, required = _fields(tp)
        for key in value:
            if key not in hints:
                raise FieldError(f"{_join(path, key)}: Extra inputs are not permitted")
        for key in sorted(required - value.keys()):
            raise FieldError(f"{_join(path, key)}: Field required")
        for key, item in value.items():
            _walk(item, hints[key], _join(path, key))
        return
    origin = get_origin(tp)
    if origin is Union:
        members = [_strip(m) for m in get_args(tp) if m is not type(None)]
        objects = [m for m in members if is_typeddict(m)]
        if objects and len(objects) == len(members) and not isinstance(value, Mapping):
            raise FieldError(f"{path}: {_NOT_AN_OBJECT}")
        if isinstance(value, Mapping):
            if any(get_origin(m) in (dict, collections.abc.Mapping) for m in members):
                return  # free-form JSON (a tool's input schema) may hold anything
            _walk_tagged(value, objects, path)
        elif isinstance(value, list):
            for member in members:
                if get_origin(member) in _SEQUENCES or "Sequence" in getattr(get_origin(member), "__name__", ""):
                    _walk(value, member, path)
                    return
        return
    if (
        isinstance(value, list)
        and origin is not None
        and (origin in _SEQUENCES or "Sequence" in getattr(origin, "__name__", ""))
    ):
        (item_type,) = get_args(tp)[:1]
        for index, item in enumerate(value):
            _walk(item, item_type, _join(path, index))


def _walk_tagged(value: Mapping[str, Any], members: list[Any], path: str) -> None:
    if len(members) == 1:
        _walk(value, members[0], path)
        return
    # Blocks, tools and configs are tagged by `type` (the tag shows in the path, as pydantic
    # puts it); messages by `role` (it does not).
    for key, in_path in (("type", True), ("role", False)):
        tag = value.get(key)
        for member in members:
            literals, optional = _tags(member, key)
            if tag in literals or (tag is None and optional and literals):
                where = _join(path, tag if tag is not None else literals[0]) if in_path else path
                _walk(value, member, where)
                return
    tag = value.get("type")
    expected = [lit for member in members for lit in _tags(member, "type")[0]]
    if isinstance(tag, str) and expected:
        tags = ", ".join(f"'{lit}'" for lit in expected)
        raise FieldError(
            f"{path}: Input tag '{tag}' found using 'type' does not match any of the expected tags: {tags}"
        )
    # No tag at all: the shape checks and the routes decide; nothing to compare fields with.


@functools.cache
def _params(endpoint: str, beta: bool) -> Any:
    if beta:
        from anthropic.types.beta import message_count_tokens_params as beta_count
        from anthropic.types.beta import message_create_params as beta_create

        return (
            beta_count.MessageCountTokensParams
            if endpoint == "count_tokens"
            else beta_create.MessageCreateParamsNonStreaming
        )
    from anthropic.types import message_count_tokens_params as count
    from anthropic.types import message_create_params as create

    return count.MessageCountTokensParams if endpoint == "count_tokens" else create.MessageCreateParamsNonStreaming


#: Sent by the SDK as headers (``anthropic-workspace-id``...), never in the body.
_HEADER_PARAMS = frozenset({"user_profile_id", "workspace_id", "betas"})


def check_fields(
    body: Mapping[str, Any], *, endpoint: str, beta: bool = False, also_allowed: frozenset[str] = frozenset()
) -> None:
    """Raise :class:`FieldError` for the first unknown or missing field, in body order."""
    hints, _ = _fields(_params(endpoint, beta))
    for key in body:
        if (key not in hints or key in _HEADER_PARAMS) and key not in also_allowed:
            raise FieldError(f"{key}: Extra inputs are not permitted")
    _walk({k: v for k, v in body.items() if k not in also_allowed}, _params(endpoint, beta), "")
