"""The reply to a checked Messages request, planned once for every route that answers one.

``POST /v1/messages`` (streamed or not) and each row of a Message Batch plan their answer
here: the rule's blocks or the default answer, what the request asks for honoured (tool
choice, thinking, JSON), the media it sent described and its documents cited, and the prompt
cache's reads and writes counted.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from . import _script
from ._answer import default_answer, estimate_input_tokens
from ._catalog import find_model
from ._citations import attach_citations, media_answer
from ._events import Answer, plan_answer
from ._honour import answer_blocks, wants_json
from ._media import Media
from ._prompt_cache import PromptCache

__all__ = ["plan_reply"]


def plan_reply(body: Mapping[str, Any], rule: _script.Rule | None, *, media: Media | None = None,
               prompt_cache: PromptCache | None = None) -> Answer:
    model: str = body["model"]
    media = media or Media()
    scripted = list(rule.blocks) if rule is not None and rule.blocks else []
    cited: dict[int, Any] = {}
    if not scripted and (media.images or media.documents) and not wants_json(body):
        # Without a rule, the answer says what media it got and cites the documents that ask for it.
        scripted, citations = media_answer(model, body["messages"], media)
        cited = {id(block): citation for block, citation in zip(scripted, citations)}
    specs = answer_blocks(body, scripted, default_text=default_answer(model, body["messages"]))
    catalogued = find_model(model)
    cache = None
    if prompt_cache is not None:
        used = prompt_cache.use(body, min_tokens=catalogued.cache_min_tokens if catalogued else 1024)
        # The cache splits the text's tokens; images and documents count as uncached input.
        cache = dataclasses.replace(used, input_tokens=used.input_tokens + media.tokens)
    answer = plan_answer(
        specs,
        model=model,
        max_tokens=body["max_tokens"],
        input_tokens=estimate_input_tokens(body) + media.tokens,
        cache=cache,
        stop_sequences=body.get("stop_sequences") or (),
        delta_chars=rule.delta_chars if rule else None,
        json_chunk=rule.json_chunk if rule else 8,
        usage=rule.usage if rule else None,
    )
    attach_citations(answer, [cited.get(id(spec)) for spec in specs])
    return answer
