"""ClaudeMagic: the %%claude magics, their options and configurable defaults.

A thin layer: it parses options with magic_arguments (so ``%%claude?`` documents them),
fills ``{name}`` fields from the user's namespace and hands a CellSpec to the runner.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import IPython
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, CaselessStrEnum, Dict, Float, Int, List, Unicode, Union, default

from ..core.session import CellSpec, KernelSession
from ..core.capabilities import EFFORT_LEVELS
from ..core.settings import DEFAULTS, think_option
from ..core.state import kernel_state
from ..exceptions import UserError
from ..usage.log import default_log_path
from .cell import CellRunner
from .frontend import in_kernel
from ..core.prompt import interpolate_parts
from .tracebacks import ErrorLog
from .options import parse_line

__all__ = ["ClaudeMagic", "check_out_name", "check_encodable"]


def check_out_name(name: str) -> None:
    """``-o NAME`` must be a plain variable: a keyword cannot be assigned, and a dunder such as
    ``__builtins__`` would break every later cell of the kernel."""
    import keyword

    shown = name if len(name) <= 40 else name[:39] + "…"
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(f"-o/--out needs a variable name, not {shown!r}.")
    if name.startswith("__") and name.endswith("__"):
        raise UsageError(f"-o/--out {shown}: names like __this__ belong to Python; choose another name.")


def check_encodable(what: str, text: str) -> None:
    """A lone surrogate (half of a UTF-16 pair, from a bad paste or decode) cannot be sent."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        raise UsageError(
            f"The {what} holds a lone surrogate (U+{code:04X}) at character {exc.start}, which cannot "
            "be sent as UTF-8: remove it, or repair the text with "
            "text.encode('utf-16', 'surrogatepass').decode('utf-16')."
        ) from None


@magics_class
class ClaudeMagic(Magics):
    """Stream Claude's answers into the notebook. Defaults: ``%config ClaudeMagic``."""

    model = Unicode(DEFAULTS.model, help="Model used when a cell gives no -m/--model.").tag(config=True)
    max_tokens = Int(DEFAULTS.max_tokens, help="Largest answer, in tokens, when a cell gives no --max-tokens.").tag(config=True)
    system = Unicode(DEFAULTS.system, allow_none=True, help="System prompt when a cell gives no -s/--system.").tag(config=True)
    temperature = Float(DEFAULTS.temperature, allow_none=True, help="Sampling temperature (0 to 1); None: the API's default. Sent with API version 2023-06-01, "
        "the last that accepts it; newer models refuse it.").tag(
        config=True
    )
    display = CaselessStrEnum(
        ["auto", "widget", "markdown", "text"],
        default_value=DEFAULTS.display,
        help="How answers stream: auto (widget where the front end renders widgets, else markdown), "
        "widget, markdown or text.",
    ).tag(config=True)
    prices = Dict(
        help="Extra or corrected prices, USD per million tokens: "
        '{"model-id": {"input": 3, "output": 15, "cache_write": 3.75, "cache_read": 0.3}}.'
    ).tag(config=True)
    usage_log = Unicode(
        allow_none=True, help="SQLite file that keeps every usage record across restarts; None turns it off."
    ).tag(config=True)
    budget_usd = Float(
        DEFAULTS.budget_usd, allow_none=True, help="Refuse new requests once this kernel has spent this many dollars."
    ).tag(config=True)
    max_retries = Int(DEFAULTS.max_retries, help="Retries before the first token on 429, 529, 5xx and lost connections.").tag(
        config=True
    )
    retry_cap_s = Float(DEFAULTS.retry_cap_s, help="Longest wait between two retries, in seconds.").tag(config=True)
    stall_timeout = Float(DEFAULTS.stall_timeout, help="Seconds without data before a stream counts as stalled.").tag(config=True)
    tools = List(Unicode(), help="Names of functions in the user namespace that every cell may call as tools.").tag(
        config=True
    )
    max_tool_rounds = Int(DEFAULTS.max_tool_rounds, help="Most rounds of tool calls in one cell.").tag(config=True)
    map_concurrency = Int(8, help="Requests in flight at once for %%claude --map (live mode).").tag(config=True)
    map_poll_s = Float(10.0, help="First wait between two polls of a --map --batch job, in seconds.").tag(config=True)
    think = Union(
        [Bool(), Int()], default_value=DEFAULTS.think,
        help="Thinking in every cell: False, True (the model's own way: adaptive where it exists, else a "
        "budget), or a thinking budget in tokens.",
    ).tag(config=True)
    effort = CaselessStrEnum(
        list(EFFORT_LEVELS), default_value=DEFAULTS.effort, allow_none=True,
        help="output_config.effort for every cell (low, medium, high, xhigh, max); None: the model's default.",
    ).tag(config=True)
    cache = Bool(DEFAULTS.cache, help="Prompt caching: conversation requests carry a top-level cache_control, "
                 "so the history is paid for once.").tag(config=True)
    cache_ttl = CaselessStrEnum(["5m", "1h"], default_value=DEFAULTS.cache_ttl,
                                help="How long the prompt cache keeps a prefix: 5m, or 1h (dearer writes).").tag(config=True)
    autoawait_cells = Bool(
        True, help="Run %%claude cells on the kernel's own event loop (rewrites them to `await`)."
    ).tag(config=True)

    @default("usage_log")
    def _default_usage_log(self) -> str:
        return str(default_log_path())

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.state = kernel_state()
        self.runner = CellRunner(shell=shell, state=self.state)
        self._cell_id: str | None = None
        self._count_at_pre_run: int | None = None
        self._count_offset = 1 if IPython.version_info >= (9,) else 0
        self.errors = ErrorLog(shell)

    @property
    def _ip(self) -> Any:
        """The shell (a loaded magic always has one; IPython types it as optional)."""
        return self.shell

    @property
    def session(self) -> KernelSession:
        return self.state.session

    # -- %%claude ----------------------------------------------------------------------------
    @magic_arguments()
    @argument("-m", "--model", help="Model for this cell (default: ClaudeMagic.model).")
    @argument("--max-tokens", type=int, help="Largest answer in tokens (default: ClaudeMagic.max_tokens).")
    @argument("-s", "--system", help="System prompt for this cell.")
    @argument("-t", "--temperature", type=float, help="Sampling temperature, 0 to 1.")
    @argument("-o", "--out", metavar="NAME", help="Also store the answer's text in this variable.")
    @argument("--new", action="store_true", help="Start a fresh conversation with this cell.")
    @argument("--once", action="store_true", help="Ask this cell alone, outside the conversation.")
    @argument("--tools", metavar="NAMES", help="Comma-separated functions from your namespace the model may call.")
    @argument("--confirm", action="store_true", help="Ask before each tool call.")
    @argument("--raw", action="store_true", help="Show the stream's raw events live as a table.")
    @argument("--file", action="append", metavar="PATH", help="Attach a PDF, text file or image (repeatable).")
    @argument("--cite", action="store_true", help="Turn on citations for the attached documents; sources end the answer.")
    @argument("--code", action="store_true", help="Put the answer's Python code into a new cell below (never run).")
    @argument("--map", metavar="VAR", help="Ask the cell (a template of {column} names) of every row of VAR.")
    @argument("--job", metavar="NAME", help="Name of the --map job (resumes it; a changed template is refused).")
    @argument("--concurrency", type=int, help="--map: requests in flight at once (default: ClaudeMagic.map_concurrency).")
    @argument("--batch", action="store_true", help="--map: send the rows through the Message Batches API (50%% price).")
    @argument("--estimate", action="store_true", help="--map: print expected tokens and cost; send nothing billable.")
    @argument("--budget", type=float, metavar="USD", help="--map: stop scheduling rows once this much is spent.")
    @argument("--resubmit", action="store_true", help="--map --batch: resubmit expired and canceled rows once.")
    @argument("--think", nargs="?", const="", metavar="N",
              help="Think before answering, shown live (N: a thinking budget in tokens, where the model takes one).")
    @argument("--effort", choices=EFFORT_LEVELS, help="How hard the model works: low, medium, high, xhigh or max.")
    @argument("--no-cache", action="store_true", help="Send this cell without prompt caching.")
    @argument("--json", metavar="NAME", dest="json_name",
              help="Answer as JSON for this pydantic model, dataclass, TypedDict or JSON-schema dict; -o gets the value.")
    @argument(
        "prompt", nargs=argparse.REMAINDER, help="The prompt (line magic); in %%claude the cell body is the prompt."
    )
    @no_var_expand  # the prompt's {name} fields are filled by .prompt alone, on every path
    @line_cell_magic
    def claude(self, line: str = "", cell: str | None = None) -> None:
        """Ask Claude; the answer streams in live.

        ``%%claude [options]`` takes the cell as the prompt; ``%claude [options] PROMPT`` a
        one-line prompt. ``{name}`` is replaced by that variable (``{{`` and ``}}`` for
        literal braces). Cells form one conversation: each request carries the earlier
        turns, and re-running a cell replaces its turn. ``--map VAR`` asks the cell, as a
        template of ``{column}`` names, of every row of VAR (a DataFrame, Series or list), live or
        with ``--batch``; a re-run resumes the job (``%claude_jobs`` lists them).
        """
        return self._run_blocking(self.run_claude(line, cell))

    async def run_claude(self, line: str, cell: str | None) -> None:
        from ..mapping._cell import check_map_flags, run_map_cell

        args = parse_line(self.claude, line)
        check_map_flags(args)
        if args.map is not None:
            await run_map_cell(self, args, cell)
            return
        spec = self.parse_cell(line, cell, args=args)
        await self._run_spec(spec)

    async def _run_spec(self, spec: CellSpec) -> None:
        if not spec.raw:
            await self.runner.run(spec)
            return
        from ..display.raw_live import RawEventsView

        view = RawEventsView(events=self.state.events, in_kernel=in_kernel(self.shell))
        try:
            await self.runner.run(spec, on_event=view.on_event)
        finally:
            view.close()

    def parse_cell(self, line: str, cell: str | None, *, args: Any = None) -> CellSpec:
        # run_claude has read the line already (for --map): read it once.
        args = args if args is not None else parse_line(self.claude, line)
        if args.think and not args.think.isdigit():
            # `%claude --think Why?`: the optional N took the prompt's first word; give it back.
            args.prompt, args.think = [args.think, *args.prompt], ""
        raw_prompt = cell if cell is not None else " ".join(args.prompt)
        if cell is not None and args.prompt:
            raise UsageError(f"Unexpected words after %%claude: {' '.join(args.prompt)!r}. Put the prompt in the cell.")
        try:
            prompt, parts = self._prompt_parts(raw_prompt, args)
        except UserError as exc:
            raise UsageError(str(exc)) from None
        if not prompt:
            raise UsageError("The prompt is empty: write it in the cell under %%claude, or after %claude.")
        if args.max_tokens is not None and args.max_tokens < 1:
            raise UsageError("--max-tokens must be a positive number of tokens.")
        if args.temperature is not None and not 0.0 <= args.temperature <= 1.0:
            raise UsageError("--temperature must be between 0 and 1.")
        if args.out is not None:
            check_out_name(args.out)
        system = args.system if args.system is not None else self.system
        for what, text in (("prompt", prompt), ("system prompt", system or "")):
            check_encodable(what, text)
        think, budget = think_option(self.think)
        if args.think is not None:
            think, budget = True, (int(args.think) if args.think else None)
        output = None
        if args.json_name is not None:
            output = self._output_schema(args.json_name)
        if args.new:
            self.session.conversation.reset()
        return CellSpec(
            prompt=prompt,
            model=args.model or self.model,
            max_tokens=args.max_tokens or self.max_tokens,
            system=system,
            temperature=args.temperature if args.temperature is not None else self.temperature,
            out=args.out,
            new=args.new,
            once=args.once,
            raw=args.raw,
            tools=args.tools,
            confirm=args.confirm,
            cell=self.current_cell_number(),
            cell_key=self._cell_id or raw_prompt.strip(),
            parts=parts,
            code=args.code,
            think=think,
            think_budget=budget,
            effort=args.effort or self.effort,
            # A --once cell is never followed by its own prefix: caching it would only pay the write.
            cache=self.cache and not args.no_cache and not args.once,
            cache_ttl=self.cache_ttl,
            output=output,
        )

    def _prompt_parts(self, raw_prompt: str, args: Any) -> tuple[str, tuple[Any, ...]]:
        """The prompt's text, and its parts when it attaches anything (images, documents)."""
        from ..core.attachments import Attachment, Table, attach_path, attach_value

        namespace = self.errors.namespace(self._ip.user_ns)
        pieces: list[Any] = [attach_path(Path(path), f"--file {path}") for path in args.file or []]
        pieces += interpolate_parts(raw_prompt, namespace, attach_value)
        notes = [p.note for p in pieces if isinstance(p, (Attachment, Table)) and p.note]
        pieces = [p.text if isinstance(p, Table) else p for p in pieces]
        if args.cite:
            if not any(isinstance(p, Attachment) and p.kind != "image" for p in pieces):
                raise UsageError("--cite needs a document: attach a PDF or text file with {a_path} or --file PATH.")
            pieces = [p.cited() if isinstance(p, Attachment) else p for p in pieces]
        # The conversation keeps the text; an attachment goes with its own cell only.
        prompt = "".join(f"[{p.kind}: {p.where}]" if isinstance(p, Attachment) else p for p in pieces).strip()
        for note in notes:
            print(note)
        has_media = any(isinstance(p, Attachment) for p in pieces)
        return prompt, tuple(pieces) if has_media else ()

    def _output_schema(self, name: str) -> Any:
        from ..core.structured import OutputSchema

        if name not in self._ip.user_ns:
            raise UsageError(f"--json {name}: no such name; define the pydantic model, dataclass, TypedDict or "
                             "schema dict first.")
        try:
            return OutputSchema.from_object(name, self._ip.user_ns[name])
        except Exception as exc:  # noqa: BLE001 - StructuredOutputError, or a type pydantic cannot describe
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UsageError(message if message.startswith("--json") else f"--json {name}: {message}") from None

    # -- the small magics ----------------------------------------------------------------
    @line_magic
    def claude_reset(self, line: str = "") -> None:
        """Forget the conversation: the next cell starts afresh."""
        self.session.conversation.reset()
        print("Conversation cleared.")

    @magic_arguments()
    @argument("--continue", dest="continue_", action="store_true", help="Continue from the partial answer.")
    @no_var_expand
    @line_magic
    def claude_retry(self, line: str = "") -> None:
        """Run the last %%claude cell again (``--continue``: go on from its partial answer)."""
        return self._run_blocking(self.run_retry(line))

    async def run_retry(self, line: str) -> None:
        args = parse_line(self.claude_retry, line)
        spec = self.session.last_spec
        if spec is None:
            raise UsageError("Nothing to retry yet: run a %%claude cell first.")
        from dataclasses import replace

        if args.continue_:
            partial = self.session.last_partial
            if not partial:
                raise UsageError("The last cell has no partial answer to continue from: use %claude_retry.")
            spec = replace(spec, continue_from=partial, cell=self.current_cell_number())
        else:
            spec = replace(spec, continue_from=None, cell=self.current_cell_number())
        await self._run_spec(spec)

    @magic_arguments()
    @argument("--all", dest="all_", action="store_true", help="Every record in the usage log, all sessions.")
    @argument("--csv", metavar="PATH", help="Also export the records to this CSV file.")
    @argument("--json", metavar="PATH", help="Also export the records to this JSON file.")
    @argument("--plot", action="store_true",
              help="Draw cost, tokens and time to first token per cell, and cost per model (needs matplotlib).")
    @line_magic
    def claude_usage(self, line: str = "") -> Any:
        """Usage and timing of every %%claude run, with totals."""
        from ..exceptions import UsageLogError
        from ..usage.log import UsageLog
        from ..usage.table import export_usage, usage_table

        args = parse_line(self.claude_usage, line)
        records = list(self.state.history)
        if args.all_:
            if not self.usage_log:
                raise UsageError("The usage log is off (ClaudeMagic.usage_log is None): --all has nothing to read.")
            try:
                records = UsageLog(self.usage_log).read_all()
            except UsageLogError as exc:
                raise UsageError(str(exc)) from None
        for path, kind in ((args.csv, "csv_path"), (args.json, "json_path")):
            if path:
                written = export_usage(records, **{kind: path})
                print(f"Wrote {len(records)} records to {written}")
        if args.plot:
            from ..usage.plot import usage_plot

            if not records:
                raise UsageError("Nothing to plot yet: run a %%claude cell first.")
            try:
                return usage_plot(records)
            except ImportError as exc:
                raise UsageError(str(exc)) from None
        # A terminal gets the text table, which fits 100 columns; a notebook gets pandas if present.
        return usage_table(records, use_pandas=None if in_kernel(self.shell) else False)

    @magic_arguments()
    @argument("--cancel", metavar="NAME", help="Cancel the job's running batches.")
    @argument("--forget", metavar="NAME", help="Drop the job from the journal (its next run starts over).")
    @line_magic
    def claude_jobs(self, line: str = "") -> Any:
        """The %%claude --map jobs in the journal, with their state; cancel or forget one."""
        from ..mapping._cell import jobs_command

        args = parse_argstring(self.claude_jobs, line)
        return self._run_blocking(jobs_command(self, cancel=args.cancel, forget=args.forget))

    @magic_arguments()
    @argument("--script", metavar="FILE",
              help="An emulator script (TOML or JSON) of scripted answers and faults, or a shipped one: workshop, errors.")
    @argument("--auto", action="store_true",
              help="Use the real API when ANTHROPIC_API_KEY is set and CLAUDE_MAGIC_LIVE=1, else the emulator.")
    @argument("--stop", action="store_true", help="Stop the emulator and go back to the real API.")
    @argument("--replay", metavar="DIR", help="Answer from a folder recorded with `python -m claude_magic.emulator --record`.")
    @line_magic
    def claude_offline(self, line: str = "") -> None:
        """Answer from the local emulator (no network, no key needed) instead of the API."""
        from ..core.backend import backend
        from ..emulator import ScriptError

        args = parse_line(self.claude_offline, line)
        if args.stop:
            self.session.stop_emulator()
            print("Offline mode off: answers come from the Anthropic API again.")
            return
        try:
            chosen = backend(args.script, live=None if args.auto else False, replay=args.replay)
        except (OSError, ScriptError) as exc:
            raise UsageError(f"Cannot load the emulator script: {exc}") from None
        except ValueError as exc:  # a replay folder with no readable recording
            raise UsageError(f"Cannot replay: {exc}") from None
        print(chosen.describe() + (" %claude_offline --stop goes back to the API." if chosen.forced else ""))

    # -- running a coroutine from a plain (non-awaited) magic call ------------------------
    def _run_blocking(self, coro: Any) -> Any:
        """Run ``coro`` when the magic was called directly, not through the await rewrite.

        With no loop running in this thread (terminal IPython, a plain shell) it runs on
        IPython's own loop. Inside a running loop (a kernel, called from a function) it runs
        on a worker thread that this cell waits for; an interrupt cancels the worker's task.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            from .aio import run_on_ipython_loop

            return run_on_ipython_loop(coro)
        from .aio import run_in_worker_thread

        return run_in_worker_thread(coro)

    def note_cell(self, *, cell_id: str | None) -> None:
        self._cell_id = cell_id
        self._count_at_pre_run = self._ip.execution_count

    def learn_count_offset(self, number: int | None) -> None:
        # IPython 9 counts a cell before running it, IPython 8 after: learn which from a
        # finished cell instead of guessing from version numbers.
        if number is not None and self._count_at_pre_run is not None:
            self._count_offset = self._count_at_pre_run - number

    def current_cell_number(self) -> int:
        return int(self._ip.execution_count) - self._count_offset
