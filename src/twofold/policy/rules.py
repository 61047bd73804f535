"""Policy rules (ADR 009): a readable name, a CEL condition compiled once when saved, an action.

Evaluation fails closed: an error or a non-bool result counts as a match that requires MFA.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import cel

from twofold.errors import InvalidRuleError
from twofold.policy import sandbox
from twofold.types import FactorType

MAX_NAME_LENGTH = 100
MAX_REMEMBER_DAYS = 365
_PARSE_ERROR = re.compile(r"<input>:(\d+):(\d+): ([^\n]*)")

Remember = Literal[False] | int | None
"""Whether the browser may be remembered after MFA: `None` = the tenant's default, `False` =
never, a number = for that many days."""


class ActionKind(StrEnum):
    REQUIRE_MFA = "require_mfa"
    SKIP_MFA = "skip_mfa"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    factors: tuple[FactorType, ...] = ()
    """With `require_mfa`: the factor types allowed (empty: any)."""
    max_age: int | None = None
    """With `require_mfa`: seconds since the last MFA beyond which it is asked again."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A CEL expression that passed the sandbox checks, and its compiled program."""

    source: str
    program: cel.Program
    variables: frozenset[str]
    """The context variables it reads: only those are converted for CEL (the conversion,
    not the evaluation, is most of a decision's cost)."""


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    enabled: bool
    condition: Condition
    action: Action
    remember_browser: Remember = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One rule's result. An error counts as matched (fail closed) and is kept for the trace."""

    matched: bool
    error: str | None = None

    @property
    def label(self) -> str:
        """The trace's wording: `matched`, `not_matched` or `error: <message>`."""
        if self.error is not None:
            return f"error: {self.error}"
        return "matched" if self.matched else "not_matched"


def compile_condition(source: str) -> Condition:
    """Compile and check a condition, or refuse it with `InvalidRuleError` (line, column).

    The length is checked before the parser sees it; the package's parser refuses (without
    crashing) nesting far beyond ours, so the finer checks run on what it accepted."""
    sandbox.check_length(source)
    try:
        program = cel.compile(source)
    except ValueError as exc:
        raise _parse_refusal(str(exc)) from exc
    sandbox.check_tokens(source, sandbox.tokenize(source))
    references = program.references()
    sandbox.check_references(
        source, variables=references["variables"], functions=references["functions"]
    )
    return Condition(source, program, frozenset(references["variables"]))


def compile_rule(
    *,
    name: str,
    enabled: bool,
    condition: str,
    action: Action,
    remember_browser: Remember = None,
) -> Rule:
    """A rule ready to evaluate, or `InvalidRuleError`: everything is checked when saved."""
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidRuleError(f"name must have 1 to {MAX_NAME_LENGTH} characters")
    _check_action(action)
    _check_remember(remember_browser)
    return Rule(name, enabled, compile_condition(condition), action, remember_browser)


def in_cidr(ip: object, cidr: object) -> bool:
    """CEL's `request.ip.in_cidr("10.0.0.0/8")`: IPv4 and IPv6; an IPv4-mapped IPv6 address
    matches IPv4 networks. Malformed input raises, which fails the rule closed."""
    if not isinstance(ip, str) or not isinstance(cidr, str):
        raise TypeError("in_cidr takes an address string and a CIDR string")
    address = ipaddress.ip_address(ip)
    network = _network(cidr)
    if isinstance(address, ipaddress.IPv6Address) and network.version == 4:
        return address.ipv4_mapped is not None and address.ipv4_mapped in network
    return address in network


@functools.lru_cache(maxsize=1024)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """Rules name a few networks over and over: parse each once (bounded; errors not kept)."""
    return ipaddress.ip_network(cidr, strict=False)


FUNCTIONS = {"in_cidr": in_cidr}
"""The Python functions CEL may call: ours, each also named in sandbox.FUNCTIONS."""


def environment(variables: dict[str, object]) -> cel.Context:
    """One CEL context per decision: the variables are converted once, not once per rule."""
    return cel.Context(variables=variables, functions=dict(FUNCTIONS))


def evaluate(condition: Condition, env: cel.Context) -> Evaluation:
    """Run the condition. Any error, or a non-bool, is a match with the error recorded.

    CEL's `||` and `&&` absorb errors (`error || true` is true): that is only ever a
    legitimate true — the other side held — so a skip rule matching that way is correct, and
    an error that does surface still requires MFA."""
    try:
        result = condition.program.execute(env)
    # The fail-closed boundary: the package raises KeyError, IndexError, TypeError,
    # ValueError, ZeroDivisionError, RuntimeError... each means "cannot tell".
    except Exception as exc:  # noqa: BLE001
        return Evaluation(True, _error_message(exc))
    if not isinstance(result, bool):
        return Evaluation(True, f"result is {type(result).__name__}, not a bool")
    return Evaluation(result)


def _check_action(action: Action) -> None:
    if action.kind is not ActionKind.REQUIRE_MFA and (action.factors or action.max_age):
        raise InvalidRuleError("factors and max_age apply to require_mfa only")
    allowed = {factor.value for factor in FactorType}
    if any(factor not in allowed for factor in action.factors):
        raise InvalidRuleError("unknown factor type in factors")
    if action.max_age is not None and (isinstance(action.max_age, bool) or action.max_age < 0):
        raise InvalidRuleError("max_age must be a number of seconds, 0 or more")


def _check_remember(remember: Remember) -> None:
    if remember is None or remember is False:
        return
    if isinstance(remember, bool) or not 1 <= remember <= MAX_REMEMBER_DAYS:
        raise InvalidRuleError(
            f"remember_browser must be null, false or 1 to {MAX_REMEMBER_DAYS} days"
        )


def _parse_refusal(text: str) -> InvalidRuleError:
    """The parser's first error, e.g. `<input>:1:4: Syntax error: mismatched input...`."""
    match = _PARSE_ERROR.search(text)
    if match is None:
        return InvalidRuleError("condition does not compile")
    message = match.group(3).strip()[:200]
    return InvalidRuleError(message, line=int(match.group(1)), column=int(match.group(2)))


def _error_message(exc: Exception) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return f"no such key: {str(exc.args[0])[:80]!r}"
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    # the package appends advice sentences ("CEL does not coerce between types, ..."): the
    # first sentence is the error
    return text.split(". ", 1)[0][:200]
