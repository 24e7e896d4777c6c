"""Command line: ``python -m claude_magic.emulator [--port N] [--script FILE] [--replay FILE] [--latency S]``.

Prints the base URL as the first line on stdout, then serves until Ctrl-C (exit 0).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from ._script import ScriptError, example_scripts
from ._server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m claude_magic.emulator",
        description="Serve an Anthropic-compatible Messages API on this machine, offline.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one (default: 8765)")
    parser.add_argument(
        "--script",
        help=f"rules file (.toml or .json), or a shipped example: {', '.join(example_scripts())}",
    )
    parser.add_argument("--replay", help="SSE transcript to send, byte for byte, to every streamed request")
    parser.add_argument("--replay-delay", type=float, help="seconds between replayed SSE records")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds to hold every POST /v1/messages before answering (default: 0)")
    parser.add_argument("--batch-seconds", type=float, default=1.0,
                        help="seconds a Message Batch processes before it ends (default: 1)")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default: warning)")
    parser.add_argument("--access-log", action="store_true", help="log every request on stderr")
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.script and args.replay:
        _parser().error("give --script or --replay, not both")
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        emulator = Emulator(
            args.script,
            host=args.host,
            port=args.port,
            replay=args.replay,
            replay_delay=args.replay_delay,
            log_level=args.log_level,
            access_log=args.access_log,
        )
        emulator.start()
        emulator.traffic.latency_s = args.latency
        emulator.batches.processing_s = args.batch_seconds
    except (ScriptError, ValueError, OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # A service manager stops us with SIGTERM: leave as cleanly as on Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(emulator.url, flush=True)
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
