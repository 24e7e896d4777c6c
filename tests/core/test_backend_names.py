"""claude_magic.backend() takes a shipped script's name, as the emulator's CLI does."""

from __future__ import annotations

import claude_magic
from claude_magic.core.state import kernel_state


def test_backend_starts_the_emulator_with_a_shipped_script_by_name() -> None:
    chosen = claude_magic.backend("workshop", live=False)
    try:
        assert "workshop" in chosen.describe()
        with chosen.client(max_retries=0) as client:
            reply = client.messages.create(model="claude-sonnet-4-6", max_tokens=200,
                                           messages=[{"role": "user", "content": "Show me markdown"}])
        assert reply.content[0].text.startswith("## ")  # the workshop script's markdown rule
    finally:
        chosen.close()
        kernel_state().use_backend(None)
