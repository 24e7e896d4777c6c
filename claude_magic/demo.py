"""``python -m claude_magic.demo``: run the quickstart notebook's cells in a terminal, live.

The cells run in an in-process IPython shell, so every ``%%claude`` answer prints token by
token as it streams. The notebook's first cell picks the backend and says which: without
``ANTHROPIC_API_KEY`` and ``CLAUDE_MAGIC_LIVE=1`` the answers come from the local emulator.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main"]

DEFAULT_NOTEBOOK = Path("notebooks") / "00_quickstart.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m claude_magic.demo", description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", default=str(DEFAULT_NOTEBOOK), help="notebook to run")
    args = parser.parse_args(argv)
    path = Path(args.notebook)
    if not path.exists():
        print(f"No notebook at {path}: run this from the project's folder, or name one.", file=sys.stderr)
        return 2

    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    from .core.backend import live_requested

    if not live_requested():
        print("No ANTHROPIC_API_KEY with CLAUDE_MAGIC_LIVE=1: answers come from the local emulator, offline.\n")
    notebook = nbformat.read(path, as_version=4)
    shell = InteractiveShell.instance()
    os.chdir(path.parent)  # the notebook's scripts sit next to it
    failed = 0
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        print(f"\n\033[1mIn [{shell.execution_count}]:\033[0m " + cell.source.replace("\n", "\n    "))
        result = shell.run_cell(cell.source, store_history=True)
        failed += not result.success
    print(f"\nRan {path.name}: {'all cells succeeded' if not failed else f'{failed} cells failed'}.")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
