"""Command line: ``python -m claude_magic.emulator [--port N] [--script FILE] [--replay FILE|DIR] [--latency S]``.

Prints the base URL as the first line on stdout (then the access token, when one is
required), then serves until Ctrl-C (exit 0). ``--record DIR --upstream URL`` runs a
recording proxy instead; ``--replay DIR`` answers from what it recorded.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from ._limits import MB, Limits
from ._script import ScriptError, example_scripts
from ._server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m claude_magic.emulator",
        description="Serve an Anthropic-compatible Messages API on this machine, offline.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1; any other needs a token)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one (default: 8765)")
    parser.add_argument(
        "--script",
        help=f"rules file (.toml or .json), or a shipped example: {', '.join(example_scripts())}",
    )
    parser.add_argument(
        "--replay",
        help="SSE transcript to send, byte for byte, to every streamed request; or a folder made by --record",
    )
    parser.add_argument("--replay-delay", type=float, help="seconds between replayed SSE records (transcript only)")
    parser.add_argument("--record", metavar="DIR", help="forward every request to --upstream and save each exchange")
    parser.add_argument(
        "--upstream", metavar="URL", help="the API the recording proxy forwards to (the real API's base URL)"
    )
    parser.add_argument(
        "--token", help="access token clients must send as their API key (generated when binding beyond 127.0.0.1)"
    )
    parser.add_argument(
        "--max-request-mb", type=int, default=32, help="largest request body in MB, as the API (default: 32)"
    )
    parser.add_argument(
        "--client-timeout",
        type=float,
        default=Limits.client_timeout,
        help=f"seconds a client may take to send headers, or stay silent mid-body (default: {Limits.client_timeout:g})",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=Limits.body_timeout,
        help=f"seconds a whole request body may take to arrive (default: {Limits.body_timeout:g})",
    )
    parser.add_argument(
        "--keep-requests", type=int, default=Limits.keep_requests, help="requests kept in memory (default: 1000)"
    )
    parser.add_argument("--files-dir", help="keep Files API uploads in this folder (default: in memory)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds to hold every POST /v1/messages before answering (default: 0)")
    parser.add_argument("--batch-seconds", type=float, default=1.0,
                        help="seconds a Message Batch processes before it ends (default: 1)")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default: warning)")
    parser.add_argument("--access-log", action="store_true", help="log every request on stderr")
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.script and args.replay:
        parser.error("give --script or --replay, not both")
    if args.record and (args.replay or args.script or not args.upstream):
        parser.error("--record needs --upstream URL, and goes with neither --replay nor --script")
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s", stream=sys.stderr)
    limits = Limits(
        max_request_bytes=args.max_request_mb * MB,
        client_timeout=args.client_timeout,
        body_timeout=args.body_timeout,
        keep_requests=args.keep_requests,
    )
    try:
        emulator = Emulator(
            args.script,
            host=args.host,
            port=args.port,
            replay=args.replay,
            replay_delay=args.replay_delay,
            record=args.record,
            upstream=args.upstream,
            token=args.token,
            limits=limits,
            on_miss=_say,
            files_dir=args.files_dir,
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
        if emulator.token is not None and args.token is None:
            # Printed once, here; no log or recording ever holds it.
            print(f"access token: {emulator.token}", flush=True)
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
