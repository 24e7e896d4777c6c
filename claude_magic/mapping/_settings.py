"""Options for a job from the loaded ``%%claude`` settings (or the defaults without the extension)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..core import client as _client
from ._rows import MapError
from ._run import MapOptions

__all__ = ["endpoint_for", "loaded_magics", "options_from"]


def loaded_magics() -> Any:
    """The ClaudeMagic of this process when the extension is loaded, else None."""
    from ..core.state import kernel_state

    state = kernel_state()
    return state.settings if state.shell is not None else None


def options_from(magics: Any, **given: Any) -> MapOptions:
    """``MapOptions`` from ``given`` (None: not given), then ClaudeMagic's settings, then defaults."""
    values: dict[str, Any] = {}
    if magics is not None:
        values.update(
            model=magics.model, max_tokens=magics.max_tokens, system=magics.system, temperature=magics.temperature,
            prices=dict(magics.prices), usage_log=magics.usage_log, max_retries=magics.max_retries,
            retry_cap_s=magics.retry_cap_s, stall_timeout=magics.stall_timeout, session=magics.session.session_id,
            concurrency=magics.map_concurrency, poll_s=magics.map_poll_s,
        )
    else:
        from ..usage.log import default_log_path

        values["usage_log"] = str(default_log_path())
    known = {f.name for f in dataclasses.fields(MapOptions)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"map() got unexpected options: {', '.join(unknown)}")
    values.update({k: v for k, v in given.items() if v is not None})
    return MapOptions(**values)


def endpoint_for(magics: Any) -> _client.Endpoint:
    """Where requests go: the kernel's offline emulator when on, else the environment's key."""
    offline = magics.session.offline_url if magics is not None else None
    try:
        return _client.resolve_endpoint(offline_url=offline)
    except _client.MissingKeyError:
        from ..core.errors import MISSING_KEY_MESSAGE

        raise MapError(MISSING_KEY_MESSAGE) from None
