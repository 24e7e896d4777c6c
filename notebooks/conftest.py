"""Pins the environment of the kernels that ``pytest --nbval notebooks/`` starts.

pytest imports this file before it collects the notebooks, so the kernels nbval starts
inherit an offline, reproducible environment: no ANTHROPIC_* variables or
CLAUDE_MAGIC_LIVE from your shell, an empty ANTHROPIC_CONFIG_DIR and a private
XDG_DATA_HOME (the usage log). The same function pins execute.py's runs.

    pytest --nbval notebooks/ --nbval-sanitize-with notebooks/sanitize.cfg
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from execute import pin_environment  # noqa: E402

pin_environment()
