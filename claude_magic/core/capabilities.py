"""What a model can do, from ``GET /v1/models/{id}``, and what a cell may therefore send.

The catalogue is asked once per endpoint and model in a kernel (through the SDK's
``client.models.retrieve``). :func:`plan_request` then decides, before any Messages request,
how the cell's options go out: the thinking type (adaptive where the model has it, else
enabled with a budget), effort and its levels, structured output, whether a ``--continue``
may prefill. An option the model lacks is one :class:`UnsupportedOptionError` line naming
the model and what it does support; a retired model is refused; a deprecated one warns once.

The catalogue is a help, never a gate: when it cannot be reached (no network, an endpoint
without ``/v1/models``, an unknown model id) the request goes out as the user asked and the
API's own answer is what the user sees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import UserError

__all__ = [
    "EFFORT_LEVELS",
    "DEFAULT_THINKING_BUDGET",
    "MIN_THINKING_BUDGET",
    "ModelCapabilities",
    "CapabilityCache",
    "RequestPlan",
    "UnsupportedOptionError",
    "RetiredModelError",
    "plan_request",
]

EFFORT_LEVELS = ("low", "medium", "high", "xhigh", "max")
#: The API's smallest thinking budget.
MIN_THINKING_BUDGET = 1024
#: ``--think`` without a number, on a model that takes budgets.
DEFAULT_THINKING_BUDGET = 4096
#: How long one catalogue look-up may take before the cell goes on without it.
LOOKUP_TIMEOUT_S = 10.0


class UnsupportedOptionError(UserError):
    """A cell's option that its model does not support (the line names what it does)."""


class RetiredModelError(UserError):
    """The model is retired: the API would answer 404."""


def _supported(node: Any) -> bool:
    return bool(getattr(node, "supported", False))


@dataclass(frozen=True)
class ModelCapabilities:
    """The parts of the API's ``ModelInfo`` that decide a request."""

    model: str
    thinking_types: frozenset[str] = frozenset()
    efforts: tuple[str, ...] = ()
    structured_outputs: bool = True
    max_tokens: int | None = None
    lifecycle: str = "active"
    retires_at: str | None = None

    @property
    def thinks(self) -> bool:
        return bool(self.thinking_types & {"enabled", "adaptive"})

    @property
    def prefill(self) -> bool:
        """Whether a conversation may end with an assistant turn.

        ``ModelInfo`` has no prefill capability. Prefill went away with Claude 4.6, the same
        generation that brought adaptive thinking, and every model since has both changes: so
        a model with adaptive thinking is taken to refuse prefill (the API's 400 "This model
        does not support assistant message prefill") and one without it to accept prefill.
        """
        return "adaptive" not in self.thinking_types

    @classmethod
    def from_info(cls, info: Any) -> ModelCapabilities:
        """From the SDK's ``ModelInfo`` (an older API without ``capabilities`` allows everything)."""
        caps = getattr(info, "capabilities", None)
        retires = getattr(info, "retires_at", None)
        common: dict[str, Any] = dict(
            model=str(info.id),
            max_tokens=getattr(info, "max_tokens", None),
            lifecycle=str(getattr(info, "lifecycle", None) or "active"),
            retires_at=retires.date().isoformat() if retires is not None else None,
        )
        if caps is None:
            return cls(**common, thinking_types=frozenset({"enabled"}), efforts=EFFORT_LEVELS)
        thinking = caps.thinking
        types = getattr(thinking, "types", None)
        kinds = frozenset(
            kind for kind in ("enabled", "adaptive", "disabled")
            if _supported(thinking) and _supported(getattr(types, kind, None))
        )
        effort = caps.effort
        efforts = tuple(lvl for lvl in EFFORT_LEVELS if _supported(effort) and _supported(getattr(effort, lvl, None)))
        return cls(**common, thinking_types=kinds, efforts=efforts,
                   structured_outputs=_supported(caps.structured_outputs))


@dataclass
class CapabilityCache:
    """One look-up per endpoint and model for as long as the kernel runs.

    A model the catalogue does not know is remembered as unknown; a look-up that failed
    (network, timeout) is not remembered, so the next cell asks again.
    """

    _known: dict[tuple[Hashable, str], ModelCapabilities | None] = field(default_factory=dict)
    #: Deprecated models already warned about, per endpoint.
    _warned: set[tuple[Hashable, str]] = field(default_factory=set)

    async def get(self, client: Any, endpoint_key: Hashable, model: str) -> ModelCapabilities | None:
        key = (endpoint_key, model)
        if key in self._known:
            return self._known[key]
        try:
            info = await asyncio.wait_for(client.models.retrieve(model), LOOKUP_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - the catalogue never blocks a cell
            if getattr(exc, "status_code", None) == 404:
                self._known[key] = None
            return None
        caps = ModelCapabilities.from_info(info)
        self._known[key] = caps
        return caps

    def first_warning(self, endpoint_key: Hashable, model: str) -> bool:
        """True the first time a deprecated model is used on this endpoint."""
        key = (endpoint_key, model)
        if key in self._warned:
            return False
        self._warned.add(key)
        return True


@dataclass(frozen=True)
class RequestPlan:
    """What the request carries besides model, messages and system."""

    max_tokens: int
    thinking: dict[str, Any] | None = None
    output_config: dict[str, Any] = field(default_factory=dict)
    cache_control: dict[str, Any] | None = None
    #: Whether ``--continue`` may end the conversation with the partial answer (prefill).
    prefill: bool = False
    #: One line to show under the answer (a deprecated model).
    warning: str | None = None

    def apply(self, params: dict[str, Any]) -> dict[str, Any]:
        params["max_tokens"] = self.max_tokens
        if self.thinking is not None:
            params["thinking"] = self.thinking
        if self.output_config:
            params["output_config"] = dict(self.output_config)
        if self.cache_control is not None:
            params["cache_control"] = dict(self.cache_control)
        return params


def _levels(caps: ModelCapabilities) -> str:
    return ", ".join(caps.efforts)


def _thinking(spec: Any, caps: ModelCapabilities | None) -> tuple[dict[str, Any] | None, int]:
    """The ``thinking`` parameter and the tokens it may use on top of the answer's."""
    budget: int | None = spec.think_budget
    if budget is not None and budget < MIN_THINKING_BUDGET:
        raise UnsupportedOptionError(f"--think {budget}: a thinking budget is at least {MIN_THINKING_BUDGET:,} tokens.")
    if caps is None:
        # Unknown model: send what the user asked for (a budget means extended thinking).
        if budget is None:
            return {"type": "adaptive"}, DEFAULT_THINKING_BUDGET
        return {"type": "enabled", "budget_tokens": budget}, budget
    if not caps.thinks:
        raise UnsupportedOptionError(f"{caps.model} does not think: leave out --think (and ClaudeMagic.think).")
    if budget is not None:
        if "enabled" not in caps.thinking_types:
            raise UnsupportedOptionError(
                f"{caps.model} thinks adaptively and takes no thinking budget: use --think without a number"
                + (f", and --effort {_levels(caps)} to steer it." if caps.efforts else ".")
            )
        return {"type": "enabled", "budget_tokens": budget}, budget
    if "adaptive" in caps.thinking_types:
        return {"type": "adaptive"}, DEFAULT_THINKING_BUDGET
    return {"type": "enabled", "budget_tokens": DEFAULT_THINKING_BUDGET}, DEFAULT_THINKING_BUDGET


def plan_request(
    spec: Any,
    caps: ModelCapabilities | None,
    *,
    cache: bool,
    cache_ttl: str = "5m",
    warn_deprecated: bool = True,
) -> RequestPlan:
    """Decide how ``spec``'s options go out on its model, or raise one line saying why not.

    ``spec`` is a :class:`~claude_magic.core.session.CellSpec`; ``caps`` is ``None`` when the
    catalogue could not say, and then everything goes out as asked.
    """
    model = spec.model
    if caps is not None and caps.lifecycle == "retired":
        raise RetiredModelError(
            f"{model} is retired"
            + (f" (since {caps.retires_at})" if caps.retires_at else "")
            + ": choose another model with -m, or `%config ClaudeMagic.model = \"claude-sonnet-4-6\"`."
        )
    thinking: dict[str, Any] | None = None
    extra = 0
    if spec.think:
        if spec.temperature is not None:
            raise UnsupportedOptionError(
                "-t/--temperature does not go with --think: thinking runs at the model's own temperature."
            )
        thinking, extra = _thinking(spec, caps)
    output: dict[str, Any] = {}
    if spec.effort is not None:
        if spec.effort not in EFFORT_LEVELS:
            raise UnsupportedOptionError(f"--effort takes one of {', '.join(EFFORT_LEVELS)}, not {spec.effort!r}.")
        if caps is not None and spec.effort not in caps.efforts:
            raise UnsupportedOptionError(
                f"{model} takes --effort {_levels(caps)}." if caps.efforts
                else f"{model} does not take --effort: leave it out (and ClaudeMagic.effort)."
            )
        output["effort"] = spec.effort
    if spec.json_schema is not None:
        if caps is not None and not caps.structured_outputs:
            raise UnsupportedOptionError(f"{model} has no structured outputs: leave out --json.")
        output["format"] = {"type": "json_schema", "schema": spec.json_schema}
    max_tokens = spec.max_tokens + extra
    if caps is not None and caps.max_tokens:
        if spec.max_tokens > caps.max_tokens:
            raise UnsupportedOptionError(f"{model} answers at most {caps.max_tokens:,} tokens: lower --max-tokens.")
        # Thinking gets its room on top of the answer's, as far as the model allows.
        max_tokens = min(max_tokens, caps.max_tokens)
        if thinking is not None and thinking.get("type") == "enabled" and thinking["budget_tokens"] >= max_tokens:
            raise UnsupportedOptionError(
                f"--think {thinking['budget_tokens']:,} leaves no room for the answer on {model} "
                f"(at most {caps.max_tokens:,} tokens in all): use a smaller budget."
            )
    cache_control: dict[str, Any] | None = None
    if cache:
        cache_control = {"type": "ephemeral"} if cache_ttl == "5m" else {"type": "ephemeral", "ttl": cache_ttl}
    warning = None
    if caps is not None and caps.lifecycle == "deprecated" and warn_deprecated:
        warning = (
            f"{model} is deprecated"
            + (f" and retires on {caps.retires_at}" if caps.retires_at else "")
            + ": move to a current model (-m, or %config ClaudeMagic.model)."
        )
    return RequestPlan(
        max_tokens=max_tokens,
        thinking=thinking,
        output_config=output,
        cache_control=cache_control,
        # Unknown model: a user turn carries the continuation, which every model takes.
        prefill=caps is not None and caps.prefill and thinking is None,
        warning=warning,
    )
