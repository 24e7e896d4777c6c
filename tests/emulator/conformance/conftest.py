"""Fixtures for the conformance checks: a cache folder that survives between test runs."""

from __future__ import annotations

from pathlib import Path

import pytest


def cache_folder(config: pytest.Config, name: str) -> Path:
    """``<pytest cache dir>/d/<name>``, made if missing; works with ``-p no:cacheprovider`` too."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir(name))
    try:
        cache_dir = str(config.getini("cache_dir"))
    except ValueError:  # the option is registered by the cache plugin, which is off
        cache_dir = ".pytest_cache"
    folder = config.rootpath / cache_dir / "d" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
