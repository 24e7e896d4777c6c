"""Test-wide setup: no real keys, an empty SDK config folder, private data folders.

Set before any kernel starts, so kernels that pytest or nbval start inherit it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

_scratch = Path(tempfile.mkdtemp(prefix="claude-magic-tests-"))
for _name in [n for n in os.environ if n.startswith("ANTHROPIC_")]:
    del os.environ[_name]
(_scratch / "anthropic-config").mkdir()
os.environ["ANTHROPIC_CONFIG_DIR"] = str(_scratch / "anthropic-config")
os.environ["XDG_DATA_HOME"] = str(_scratch / "data")
os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
