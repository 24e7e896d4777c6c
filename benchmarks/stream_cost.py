"""What streaming an answer into a notebook costs: IOPub traffic, latency, kernel CPU, wall time.

Starts the emulator and a real kernel, then streams each scenario into each variant in that
one kernel: the bare SDK (the floor), the SDK's raw events, %%claude with each display, the
Chat() playground, and the naive full-text Markdown update per delta. Prints a table of
ratios against the floor and the issue's targets; ``--json PATH`` also writes every number.

    python benchmarks/stream_cost.py                # full size, medians of 3: about 15 minutes
    python benchmarks/stream_cost.py --quick        # deltas divided by 10: about 2 minutes
    python benchmarks/stream_cost.py --json out.json --scenarios S1 --variants bare,widget

Exit status 1 when a run did not measure what it should (a delta or an output missing, IOPub
messages lost before the recorder); a missed target is reported, not an error.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._load import LoadResult, load_text, measure_load  # noqa: E402
from benchmarks._measure import RunResult, measure_run, median_run  # noqa: E402
from benchmarks._report import table, targets, targets_text  # noqa: E402
from benchmarks._scenarios import SCENARIOS, VARIANTS  # noqa: E402
from benchmarks._session import BENCH_KEY, bench_session, chat_missing  # noqa: E402

#: The floor first, the naive patterns last: on the full firehose they are by far the slowest.
ORDER = ("bare", "raw", "markdown", "widget", "text", "rawview", "chat", "compare", "print",
         "naive", "naivelanes", "naive3", "naiveraw")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Divide every delta count by 10.")
    parser.add_argument("--json", metavar="PATH", help="Write every measurement to this JSON file.")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"Comma-separated, of {','.join(SCENARIOS)} (default: all).")
    parser.add_argument("--no-load", action="store_true", help="Skip the load-time figures (two fresh kernels).")
    parser.add_argument("--variants", default=",".join(ORDER),
                        help=f"Comma-separated, of {','.join(ORDER)} (default: all; bare is the floor).")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="Run each scenario and variant N times and report medians (default: 3).")
    parser.add_argument("--as-shipped", action="store_true",
                        help="Leave Nagle's algorithm on in the emulator (it adds ~40 ms before the first delta).")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat needs 1 or more")
    names = _pick(args.scenarios, SCENARIOS, "scenario", parser)
    keys = _pick(args.variants, VARIANTS, "variant", parser)
    scenarios = [SCENARIOS[n].scaled(10) if args.quick else SCENARIOS[n] for n in names]

    runs: list[RunResult] = []  # medians, one per scenario and variant
    samples: list[RunResult] = []  # every run
    unavailable: dict[str, str] = {}
    loads: list[LoadResult] = []
    started = time.time()
    with bench_session(nodelay=not args.as_shipped) as session:
        wanted = {k for s in scenarios for k in s.variants if k in keys}
        missing = chat_missing(session.kernel) if wanted & {"chat", "compare"} else None
        if missing:
            wanted -= {"chat", "compare"}
        session.warm_up(VARIANTS[k] for k in ORDER if k in wanted)
        for scenario in scenarios:
            if missing and {"chat", "compare"} & set(scenario.variants):
                unavailable[scenario.name] = f"not available: claude_magic.Chat missing ({missing})"
                continue
            variants = [VARIANTS[k] for k in ORDER if k in wanted and k in scenario.variants]
            # Repeats go round the variants, so a slow spell of the machine hits them all alike.
            batch = {variant.key: [] for variant in variants}
            for repeat in range(args.repeat):
                for variant in variants:
                    progress = f"{scenario.name} {variant.label} ({repeat + 1}/{args.repeat}) ..."
                    print(progress, file=sys.stderr, flush=True)
                    batch[variant.key].append(measure_run(session.kernel, session.emulator, scenario, variant))
            runs += [median_run(found) for found in batch.values()]
            samples += [run for found in batch.values() for run in found]
        if not args.no_load:
            # "auto" as a fresh JupyterLab kernel starts (the widget), and the plain display.
            for display in ("auto", "markdown"):
                print(f"load time, display={display} ...", file=sys.stderr, flush=True)
                with tempfile.TemporaryDirectory(prefix="claude-magic-load-") as scratch:
                    loads.append(measure_load(session.emulator, Path(scratch), key=BENCH_KEY, display=display))

    titles = {s.name: s.title + (f" (quick: {s.deltas} deltas)" if args.quick else "") for s in scenarios}
    found = targets(runs)
    print(table(runs, titles, unavailable))
    if not args.as_shipped:
        print("The emulator's connections had TCP_NODELAY set by the benchmark (see _session.py).")
    print(targets_text(found))
    if loads:
        print(load_text(loads))
    if args.json:
        report = {
            "meta": {
                "quick": args.quick,
                "repeat": args.repeat,
                "emulator_tcp_nodelay_forced": not args.as_shipped,
                "started": started,
                "duration_s": time.time() - started,
                "python": platform.python_version(),
                "machine": platform.platform(),
                "versions": _versions(),
                "clock": "time.time() in this process for both the emulator's send times and IOPub arrival",
            },
            "scenarios": {s.name: {"title": s.title, "deltas": s.deltas, "delta_chars": s.delta_chars,
                                   "tokens_per_second": s.tokens_per_second} for s in scenarios},
            "runs": [r.as_dict() for r in runs],
            "samples": [r.as_dict() for r in samples],
            "unavailable": unavailable,
            "targets": [t.__dict__ for t in found],
            "load": [r.as_dict() for r in loads],
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nWrote {args.json}")
    return 0 if all(r.ok for r in runs) else 1


def _pick(value: str, known: dict, what: str, parser: argparse.ArgumentParser) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown {what} {', '.join(unknown)}: choose from {', '.join(known)}")
    return names


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("claude_magic", "anthropic", "ipykernel", "jupyter_client", "pyzmq")}


if __name__ == "__main__":
    sys.exit(main())
