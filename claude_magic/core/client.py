"""The one place that builds the API client and resolves the key.

One ``AsyncAnthropic`` per event loop and endpoint, reused across cells so the HTTP
connection stays alive. The key is passed explicitly (never left for the SDK to find in the
environment), which also keeps the SDK's once-per-process "ANTHROPIC_API_KEY is set and takes
precedence" log line out of the notebook.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import weakref
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2

from ..exceptions import MissingKeyError

__all__ = ["Endpoint", "sampling_options", "resolve_endpoint", "get_client", "MissingKeyError", "close_loop_clients", "close_all_clients"]

#: What the emulator accepts; not a secret.
EMULATOR_KEY = "emulator-offline"


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and with which credential; its repr never shows the credential."""

    base_url: str | None
    api_key: str | None = field(default=None, repr=False)
    auth_token: str | None = field(default=None, repr=False)
    offline: bool = False

    def cache_key(self) -> str:
        # Hash, so the cache dict never holds a readable key in a repr or a traceback.
        secret = (self.api_key or "") + "\0" + (self.auth_token or "")
        return f"{self.base_url}|{hashlib.sha256(secret.encode()).hexdigest()}"


#: SDK 2.x sends API version 2026-10-21, which removed temperature, top_p and top_k (a 400
#: even at default values), and the SDK dropped the parameters. The previous version still
#: takes them on the models that support them; a model that does not (generation 5, Opus
#: 4.7+) answers 400 "temperature is deprecated for this model", which the user then sees.
SAMPLING_API_VERSION = "2023-06-01"


def sampling_options(*, temperature: float | None) -> dict[str, Any]:
    """Extra request options that carry a temperature, or nothing when none is set."""
    if temperature is None:
        return {}
    return {"extra_body": {"temperature": temperature}, "extra_headers": {"anthropic-version": SAMPLING_API_VERSION}}


def resolve_endpoint(*, offline_url: str | None) -> Endpoint:
    """Offline emulator if running, else the environment's key; raises MissingKeyError."""
    if offline_url:
        return Endpoint(base_url=offline_url, api_key=EMULATOR_KEY, offline=True)
    base_url = os.environ.get("ANTHROPIC_BASE_URL") or None
    api_key = os.environ.get("ANTHROPIC_API_KEY") or None
    if api_key:
        return Endpoint(base_url=base_url, api_key=api_key)
    auth_token = os.environ.get("ANTHROPIC_AUTH_TOKEN") or None
    if auth_token:
        return Endpoint(base_url=base_url, auth_token=auth_token)
    # Profiles and workload federation (SDK 2.x) are found by the SDK itself when it has them.
    try:
        probe = anthropic.AsyncAnthropic(base_url=base_url, max_retries=0)
    except anthropic.AnthropicError as exc:
        # With ANTHROPIC_CONFIG_DIR set and no profile in it, the SDK raises CredentialsError.
        raise MissingKeyError(str(exc)) from None
    if probe.credentials is None:
        raise MissingKeyError()
    return Endpoint(base_url=base_url)


# Per loop: an httpx2 connection pool belongs to the loop that opened its connections.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, anthropic.AsyncAnthropic]] = (
    weakref.WeakKeyDictionary()
)


def get_client(endpoint: Endpoint, *, stall_timeout: float) -> anthropic.AsyncAnthropic:
    """The client for this loop and endpoint, built once."""
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    key = f"{endpoint.cache_key()}|{stall_timeout}"
    client = per_loop.get(key)
    if client is None or client.is_closed():
        kwargs: dict[str, Any] = {}
        if endpoint.api_key:
            kwargs["api_key"] = endpoint.api_key
        elif endpoint.auth_token:
            kwargs["auth_token"] = endpoint.auth_token
        client = anthropic.AsyncAnthropic(
            base_url=endpoint.base_url,
            max_retries=0,  # see _retry.py: one visible policy, not two stacked
            timeout=httpx2.Timeout(connect=10.0, read=stall_timeout, write=30.0, pool=10.0),
            **kwargs,
        )
        per_loop[key] = client
    return client


async def close_loop_clients() -> None:
    """Close the clients of the running loop (a worker thread's loop, before it closes)."""
    for client in _clients.pop(asyncio.get_running_loop(), {}).values():
        await client.close()


def close_all_clients() -> None:
    """Close every cached client (on unload), on the loop that owns its connections."""
    for loop, clients in list(_clients.items()):
        for client in clients.values():
            if loop.is_closed():
                continue
            if loop.is_running():
                # A kernel: this is the loop's own thread, inside a cell; close after it.
                loop.call_soon_threadsafe(_close_later, loop, client)
            else:
                loop.run_until_complete(client.close())
    _clients.clear()


def _close_later(loop: asyncio.AbstractEventLoop, client: anthropic.AsyncAnthropic) -> None:
    loop.create_task(client.close())
