"""How many seats one machine serves: N concurrent SDK streams against one emulator.

    python benchmarks/room_load.py [--seats 30 90 200] [--workers 4] [--json out.json]

Starts ``python -m claude_magic.emulator`` (its own process, as a room server runs) with a
script that answers like a lesson's model: first token after 0.2 s, then 100 deltas at 50 a
second (2 s of streaming). For each N, ``--workers`` client processes open N streams in all at
the same moment with ``AsyncAnthropic`` (no retries, so a failure counts), and the report
gives time to first token (request sent to first text delta, the 0.2 s scripted latency
included) at p50 and p95, the slowest whole stream, failures, and the CPU time the server
process used. Clients and server share
the machine: on a real room, clients run on the students' machines. Not part of CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODEL = "claude-opus-4-8"
TTFT_S = 0.2
SCRIPT = {
    "rules": [
        {
            "name": "lesson answer",
            "ttft": TTFT_S,
            "tokens_per_second": 50,
            "delta_chars": 4,
            "blocks": [{"type": "text", "text": "word " * 80}],  # 400 characters: 100 deltas
        }
    ]
}


async def _streams(url: str, count: int, start_at: float) -> list[dict[str, Any]]:
    import anthropic

    async with anthropic.AsyncAnthropic(api_key="seat", base_url=url, max_retries=0, timeout=120) as client:

        async def one() -> dict[str, Any]:
            sent = time.monotonic()
            first: float | None = None
            try:
                async with client.messages.stream(
                    model=MODEL, max_tokens=500, messages=[{"role": "user", "content": "a question"}]
                ) as stream:
                    async for _text in stream.text_stream:
                        if first is None:
                            first = time.monotonic() - sent
                    await stream.get_final_message()
                return {"ttft": first, "total": time.monotonic() - sent, "error": None}
            except Exception as exc:  # counted, not raised: the report says how many and which
                return {"ttft": first, "total": time.monotonic() - sent, "error": type(exc).__name__}

        await asyncio.sleep(max(start_at - time.time(), 0))
        return list(await asyncio.gather(*(one() for _ in range(count))))


def _worker(args: tuple[str, int, float]) -> list[dict[str, Any]]:
    return asyncio.run(_streams(*args))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(url: str, seats: int, workers: int) -> dict[str, Any]:
    shares = [seats // workers + (1 if i < seats % workers else 0) for i in range(workers)]
    start_at = time.time() + 3.0  # every worker imported and connected before the bell
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = [r for part in pool.map(_worker, [(url, n, start_at) for n in shares if n]) for r in part]
    ttfts = [r["ttft"] for r in results if r["ttft"] is not None and r["error"] is None]
    failures = [r["error"] for r in results if r["error"] is not None]
    return {
        "seats": seats,
        "ttft_p50_s": round(statistics.median(ttfts), 3) if ttfts else None,
        "ttft_p95_s": round(_percentile(ttfts, 0.95), 3) if ttfts else None,
        "slowest_stream_s": round(max(r["total"] for r in results), 3),
        "failures": len(failures),
        "failure_kinds": sorted(set(failures)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, nargs="+", default=[30, 90, 200])
    parser.add_argument("--workers", type=int, default=4, help="client processes (default: 4)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--pythonpath", type=Path, help="the tree whose emulator to run (default: this one)")
    args = parser.parse_args()
    tree = args.pythonpath or Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "lesson.json"
        script.write_text(json.dumps(SCRIPT))
        server = subprocess.Popen(
            [sys.executable, "-m", "claude_magic.emulator", "--port", "0", "--script", str(script)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=tree,
            env=dict(os.environ, PYTHONPATH=str(tree)),
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            print(
                f"{'seats':>5} {'TTFT p50':>9} {'TTFT p95':>9} {'slowest':>8} {'failures':>8} {'server CPU':>10}"
                f"  (scripted TTFT {TTFT_S} s)"
            )
            rows = []
            for seats in args.seats:
                cpu_before = cpu_seconds(server.pid)
                row = run(url, seats, args.workers)
                row["server_cpu_s"] = round(cpu_seconds(server.pid) - cpu_before, 2)
                rows.append(row)
                print(
                    f"{row['seats']:>5} {row['ttft_p50_s']:>8.2f}s {row['ttft_p95_s']:>8.2f}s "
                    f"{row['slowest_stream_s']:>7.2f}s {row['failures']:>8} {row['server_cpu_s']:>9.2f}s "
                    f"{' '.join(row['failure_kinds'])}",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(10)
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
