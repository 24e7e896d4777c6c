"""What ``%%claude --map`` costs beside a bare SDK loop: wall time, kernel CPU, memory, IOPub.

The emulator runs in its own process (``python -m claude_magic.emulator --latency 0.05``), so
its CPU is not charged to either side. Each measurement gets a fresh kernel: a warm-up of the
same variant on a few rows (imports, connections), then the measured cell.

- **bare**: ``asyncio.Semaphore(c)`` + ``gather`` over ``AsyncAnthropic.messages.create``:
  no journal, no bar, no usage log; the floor.
- **map**: ``%%claude --map tickets -o labels --concurrency c`` with the journal, the usage log
  and the progress bar on (a fresh ``--job`` name, so nothing comes from the journal).

    python benchmarks/map_cost.py                  # 10,000 rows at concurrency 16 and 64, 3 times each
    python benchmarks/map_cost.py --rows 1000      # a quicker look
    python benchmarks/map_cost.py --json out.json

Wall s is the kernel's own (``pre_run_cell`` to ``post_run_cell``); CPU ms/row is
``time.process_time()`` of the kernel over the cell, per row; peak MB is the growth of the
kernel's peak resident set during the cell (``ru_maxrss``); IOPub KB counts every frame of
the cell's display messages (the bar) as they arrived. Exit status 1 when a run did not
answer every row.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._kernel import BenchKernel, clean_env  # noqa: E402

MODEL = "claude-opus-4-8"
KEY = "sk-ant-bench-not-a-key"
MAX_TOKENS = 20
WARM_UP_ROWS = 64

_SETUP = """
import resource as _bench_resource
_bench_rss = lambda: _bench_resource.getrusage(_bench_resource.RUSAGE_SELF).ru_maxrss
tickets = [f"ticket {{i}}: the invoice is wrong" for i in range({rows})]
warm = tickets[:{warm}]
"""

_BARE = """
import asyncio, anthropic, os
async def _bench_bare(items, concurrency):
    client = anthropic.AsyncAnthropic(base_url=os.environ["ANTHROPIC_BASE_URL"], api_key=os.environ["ANTHROPIC_API_KEY"],
                                      max_retries=0)
    gate = asyncio.Semaphore(concurrency)
    async def one(text):
        async with gate:
            message = await client.messages.create(model="{model}", max_tokens={max_tokens},
                                                   messages=[{{"role": "user", "content": "Classify: " + text}}])
            return message.content[0].text
    try:
        return await asyncio.gather(*(one(t) for t in items))
    finally:
        await client.close()
"""

_BARE_CELL = "_bench_rss0 = _bench_rss()\nlabels = await _bench_bare({items}, {concurrency})\n_bench_peak = _bench_rss() - _bench_rss0"
_MAP_CELL = "%%claude --map {items} -o labels -m {model} --max-tokens {max_tokens} --concurrency {concurrency} --job {job}\nClassify: {{item}}"


@dataclass
class Run:
    variant: str
    rows: int
    concurrency: int
    wall_s: float
    cpu_ms_per_row: float
    peak_mb: float
    iopub_kb: float
    display_messages: int
    answered: int
    #: Rows of the job in the usage log (map only): every row's usage was written.
    usage_logged: int | None


def start_emulator(latency: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "claude_magic.emulator", "--port", "0", "--latency", str(latency)],
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise RuntimeError(f"the emulator did not start: {url!r}")
    return process, url


def measure(variant: str, *, rows: int, concurrency: int, url: str, scratch: Path, job: str) -> Run:
    env = clean_env(scratch, ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY=KEY)
    kernel = BenchKernel(env, scratch)
    try:
        kernel.run("%load_ext claude_magic")
        kernel.run(_SETUP.format(rows=rows, warm=WARM_UP_ROWS))
        if variant == "bare":
            kernel.run(_BARE.format(model=MODEL, max_tokens=MAX_TOKENS))
            kernel.run(_BARE_CELL.format(items="warm", concurrency=concurrency))
            cell = _BARE_CELL.format(items="tickets", concurrency=concurrency)
        else:
            kernel.run(_MAP_CELL.format(items="warm", model=MODEL, max_tokens=MAX_TOKENS, concurrency=concurrency,
                                        job=job + "-warm"))
            cell = _MAP_CELL.format(items="tickets", model=MODEL, max_tokens=MAX_TOKENS, concurrency=concurrency,
                                    job=job)
            kernel.run("_bench_rss0 = _bench_rss()")
        timing = kernel.measure(cell)
        if variant == "map":
            kernel.run("_bench_peak = _bench_rss() - _bench_rss0")
        answered = kernel.value("sum(1 for x in labels if x is not None)")
        peak_kb = kernel.value("_bench_peak")
        logged = None
        if variant == "map":
            logged = kernel.value(
                f"__import__('sqlite3').connect(str(__import__('claude_magic.usage.log', fromlist=['x'])"
                f".default_log_path())).execute(\"SELECT COUNT(*) FROM usage WHERE job = '{job}'\").fetchone()[0]"
            )
        displays = [m for m in timing.messages if m.msg_type in ("display_data", "update_display_data")]
        return Run(
            variant=variant, rows=rows, concurrency=concurrency, wall_s=timing.kernel_wall_s,
            cpu_ms_per_row=timing.kernel_cpu_s * 1000 / rows, peak_mb=peak_kb / 1024,
            iopub_kb=sum(m.nbytes for m in displays) / 1024, display_messages=len(displays),
            answered=answered, usage_logged=logged,
        )
    finally:
        kernel.shutdown()


def _median(runs: list[Run]) -> Run:
    """The run of median wall time (its other figures with it, so a row stays one real run)."""
    return sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]


def table(runs: list[Run]) -> str:
    lines = [
        "| rows | concurrency | variant | wall s | vs bare | CPU ms/row | peak MB | bar IOPub KB (msgs) |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    bare = {(r.rows, r.concurrency): r for r in runs if r.variant == "bare"}
    for run in runs:
        floor = bare.get((run.rows, run.concurrency))
        ratio = f"{run.wall_s / floor.wall_s:.2f}x" if floor else "-"
        lines.append(
            f"| {run.rows:,} | {run.concurrency} | {run.variant} | {run.wall_s:.2f} | {ratio} | "
            f"{run.cpu_ms_per_row:.2f} | {run.peak_mb:.1f} | {run.iopub_kb:.1f} ({run.display_messages}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="Rows per run (default: 10,000).")
    parser.add_argument("--concurrency", default="16,64", help="Comma-separated levels (default: 16,64).")
    parser.add_argument("--latency", type=float, default=0.05, help="Emulator seconds per request (default: 0.05).")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="Measure each pair N times, alternating bare and map; report medians (default: 3).")
    parser.add_argument("--json", metavar="PATH", help="Also write every number to this JSON file.")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    runs: list[Run] = []
    samples: list[Run] = []
    started = time.time()
    process, url = start_emulator(args.latency)
    try:
        with tempfile.TemporaryDirectory(prefix="claude-magic-map-bench-") as scratch:
            for level in levels:
                found: dict[str, list[Run]] = {"bare": [], "map": []}
                # Alternating, so a slow spell of a shared machine hits both variants alike.
                for repeat in range(args.repeat):
                    for variant in ("bare", "map"):
                        print(f"{args.rows:,} rows, concurrency {level}, {variant} ({repeat + 1}/{args.repeat}) ...",
                              file=sys.stderr, flush=True)
                        found[variant].append(measure(variant, rows=args.rows, concurrency=level, url=url,
                                                      scratch=Path(scratch), job=f"bench-{level}-{repeat}"))
                samples += found["bare"] + found["map"]
                runs += [_median(found["bare"]), _median(found["map"])]
                print(table(runs), file=sys.stderr, flush=True)  # so far, in case a later level fails
    finally:
        process.terminate()
        try:
            process.wait(30)  # its graceful shutdown closes every kept-alive connection first
        except subprocess.TimeoutExpired:
            process.kill()
    print(table(runs))
    print(f"\nEmulator latency {args.latency * 1000:.0f} ms per request, in its own process; "
          f"{platform.python_version()} on {platform.machine()}, {time.time() - started:.0f} s in all.")
    if args.json:
        Path(args.json).write_text(json.dumps({"latency_s": args.latency, "runs": [asdict(r) for r in runs],
                                               "samples": [asdict(r) for r in samples]}, indent=2))
    return 0 if all(r.answered == r.rows and r.usage_logged in (None, r.rows) for r in samples) else 1


if __name__ == "__main__":
    sys.exit(main())
