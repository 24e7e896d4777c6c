"""Re-execute the tutorial notebooks against the emulator and save them with their outputs.

    python notebooks/execute.py                 # every notebooks/NN_*.ipynb
    python notebooks/execute.py notebooks/02_raw_events.ipynb

Each notebook runs in a fresh kernel whose environment is pinned first (see
:func:`pin_environment`): no ANTHROPIC_* variable from your shell, an empty SDK config
folder and a private data folder, so the run is offline and the saved outputs are the
emulator's, whatever your machine holds. nbclient applies display updates to the saved
outputs, which is what ``pytest --nbval`` compares against (see sanitize.cfg).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

__all__ = ["HERE", "notebooks", "pin_environment", "run_notebook"]


def pin_environment(environ: Any = None) -> Path:
    """Make kernels started from now on offline and reproducible; returns the scratch folder.

    Removes every ANTHROPIC_* variable and CLAUDE_MAGIC_LIVE (so a key in your shell does not
    turn the run live), points ANTHROPIC_CONFIG_DIR at an empty folder (no SDK profile is
    found) and XDG_DATA_HOME at a private one (the usage log starts empty).
    """
    env = os.environ if environ is None else environ
    scratch = Path(tempfile.mkdtemp(prefix="claude-magic-notebooks-"))
    for name in [n for n in env if n.startswith("ANTHROPIC_")] + ["CLAUDE_MAGIC_LIVE"]:
        env.pop(name, None)
    (scratch / "anthropic-config").mkdir()
    env["ANTHROPIC_CONFIG_DIR"] = str(scratch / "anthropic-config")
    env["XDG_DATA_HOME"] = str(scratch / "data")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger warning on stderr
    return scratch


def notebooks() -> list[Path]:
    """The tutorial notebooks, in order."""
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def run_notebook(path: Path, *, timeout: int = 120) -> Any:
    """Execute ``path`` in a fresh kernel (cwd: the notebook's folder); returns the notebook."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,  # the live areas are closed at the end: nothing to keep
        record_timing=False,  # no per-cell timestamps in the saved file
        coalesce_streams=True,  # one stdout output per cell, not one per flush
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to run (default: all)")
    args = parser.parse_args(argv)
    import nbformat

    pin_environment()
    for path in args.paths or notebooks():
        started = time.perf_counter()
        nb = run_notebook(path.resolve())
        nbformat.write(nb, path)
        print(f"{path.name}: {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
