"""Generated bodies (hypothesis, 100 of them): each gets a valid answer or the API's JSON error.

Bodies are near-misses of a Messages request (odd types, lone surrogates, extra fields),
arbitrary JSON, and arbitrary bytes, sent to ``/v1/messages`` and ``count_tokens`` of a
command-line emulator; its stderr must stay empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import KEY, MODEL
from .hostile import CliServer, cli_server

# Every character, and often lone surrogates: JSON escapes them (\ud800), as a hostile client may.
SURROGATES = st.text(st.characters(codec=None, categories=["Cs"]), min_size=1, max_size=2)
TEXT = st.text(st.characters(exclude_categories=()), max_size=12) | st.builds(
    lambda head, odd: head + odd, st.text(max_size=6), SURROGATES
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=12
)
BLOCK = st.fixed_dictionaries({"type": st.sampled_from(["text", "image", "tool_result"]) | TEXT, "text": TEXT | JSON})


def _mostly(good: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` half the time (``a | b`` would weigh each of ``odd``'s branches like ``good``)."""
    return st.booleans().flatmap(lambda ok: good if ok else odd)


# Mostly well formed, so that generated strings reach the parts of the server that echo them.
MESSAGE = st.fixed_dictionaries(
    {
        "role": st.just("user") | st.sampled_from(["assistant", "system"]) | TEXT,
        "content": TEXT.filter(bool) | st.lists(BLOCK, max_size=2),
    }
)
USER = st.fixed_dictionaries({"role": st.just("user"), "content": TEXT.filter(bool)})
NEAR_MISS = st.fixed_dictionaries(
    {
        "model": _mostly(st.just(MODEL), TEXT.map(lambda t: "claude-" + t)),
        "max_tokens": _mostly(st.integers(1, 4000), SCALARS),
        "messages": _mostly(st.lists(USER, min_size=1, max_size=1), st.lists(MESSAGE, max_size=3) | JSON),
    },
    optional={"stream": st.booleans(), "system": TEXT | JSON, "metadata": JSON, "tools": JSON},
)
EXTRA_FIELDS = st.dictionaries(TEXT, JSON, max_size=2)
BODIES = (
    st.tuples(EXTRA_FIELDS, NEAR_MISS).map(lambda parts: json.dumps({**parts[0], **parts[1]}).encode())
    | JSON.map(lambda value: json.dumps(value).encode())
    | st.binary(max_size=64)
)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliServer]:
    with cli_server(tmp_path_factory.mktemp("fuzz")) as server:
        yield server


@pytest.fixture(scope="module")
def http(cli: CliServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=cli.url, timeout=30) as client:
        yield client


def _check(response: httpx2.Response, path: str) -> None:
    if response.status_code == 200:
        if response.headers["content-type"].startswith("text/event-stream"):
            assert response.text.rstrip().endswith('data: {"type":"message_stop"}')
        elif path.endswith("count_tokens"):
            assert isinstance(response.json()["input_tokens"], int)
        else:
            assert response.json()["type"] == "message"
        return
    body: Any = response.json()
    assert 400 <= response.status_code < 500, body
    assert body["type"] == "error" and isinstance(body["error"]["message"], str)
    assert body["error"]["type"] in ("invalid_request_error", "not_found_error", "authentication_error")
    assert body["request_id"] == response.headers["request-id"]


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, path=st.sampled_from(["/v1/messages", "/v1/messages/count_tokens"]), keyed=st.booleans())
def test_every_generated_body_gets_an_answer_or_the_apis_error(
    http: httpx2.Client, body: bytes, path: str, keyed: bool
) -> None:
    headers = {"content-type": "application/json"} | ({"x-api-key": KEY} if keyed else {})

    _check(http.post(path, content=body, headers=headers), path)


def test_the_generated_bodies_left_nothing_on_stderr(cli: CliServer, http: httpx2.Client) -> None:
    # Runs after the property above (same module, same server): its stderr is still empty.
    assert http.get("/v1/models", headers={"x-api-key": KEY}).status_code == 200
    assert cli.err() == ""
