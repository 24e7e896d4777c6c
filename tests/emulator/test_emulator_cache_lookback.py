"""Prompt caching across the turns of a conversation: the API's lookback before a breakpoint."""

from __future__ import annotations

from claude_magic.emulator._prompt_cache import PromptCache

LONG = "A long and stable context paragraph for caching. " * 120  # about 1,500 tokens


def test_marking_only_the_last_turn_reads_the_turns_written_before():
    cache = PromptCache()
    first = {"model": "m", "messages": [{"role": "user", "content": LONG}], "cache_control": {"type": "ephemeral"}}
    written = cache.use(first, min_tokens=1024).written
    second = {
        "model": "m",
        "messages": [
            {"role": "user", "content": LONG},
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": "And now?"},
        ],
        "cache_control": {"type": "ephemeral"},
    }
    usage = cache.use(second, min_tokens=1024)
    assert written > 1000
    assert usage.read == written
    assert usage.written > 0  # the new turns are written after the part read


def test_a_cache_control_marker_is_not_part_of_the_prefix():
    cache = PromptCache()
    plain = {"model": "m", "messages": [{"role": "user", "content": LONG}], "cache_control": {"type": "ephemeral"}}
    written = cache.use(plain, min_tokens=1024).written
    marked = {"model": "m", "messages": [{"role": "user", "content": [
        {"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]}]}
    assert cache.use(marked, min_tokens=1024).read == written
