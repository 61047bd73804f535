"""The save-time checks that keep a rule's CEL condition inside its sandbox (ADR 009).

Two sources of truth, both needed:
- the `cel` package's static analysis of the compiled program (`Program.references()`): the
  variables and the functions/operators it really calls, as the parser understood them;
- a tokenizer over the source (string literals and comments skipped; it runs after a
  successful compile, so the input is lexically valid CEL). The package exposes no AST, and
  its references expand macros into plain operators, so only the source shows a macro call,
  a field path, a list literal's length, the nesting, and where each one is (line, column).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from twofold.errors import InvalidRuleError
from twofold.policy.context import SCHEMA, VARIABLES

MAX_LENGTH = 1_000
MAX_DEPTH = 16
MAX_LITERAL_ITEMS = 100
MACROS = frozenset({"map", "filter", "all", "exists", "exists_one"})
"""CEL's comprehensions: the only unbounded evaluation it has, hence refused."""

FUNCTIONS = frozenset(
    {
        # operators, as the package names their overloads
        "_==_",
        "_!=_",
        "_<_",
        "_<=_",
        "_>_",
        "_>=_",
        "_&&_",
        "_||_",
        "!_",
        "-_",
        "@in",
        "_?_:_",
        "_[_]",
        "_+_",
        "_-_",
        "_*_",
        "_/_",
        "_%_",
        # standard functions: pure, linear in their (bounded) inputs; `matches` is RE2-style
        # (the Rust regex crate: no backtracking, size-limited)
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "int",
        "uint",
        "double",
        "string",
        # ours
        "in_cidr",
    }
)
"""Everything a condition may call. Left out on purpose: `timestamp`/`duration` and their
accessors (not time-zone aware: `request.time` is), `dyn`/`type`, the macros' helpers."""

KEYWORDS = frozenset({"true", "false", "null", "in"})
_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''))
  | (?P<rawstring>(?:[rR][bB]?|[bB][rR])(?:"[^"\n]*"|'[^'\n]*'))
  | (?P<quoted>[bB]?(?:"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|\d*\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)|\d+[uU]?)
  | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
  | (?P<punct>==|!=|<=|>=|&&|\|\||[-+*/%!<>?:.,()\[\]{}])
    """,
    re.VERBOSE,
)
_OPERAND_END = frozenset({")", "]", "}"})
"""A `[` after one of these (or after an identifier or literal) indexes; otherwise it opens
a list literal. A `-` or `!` after an operand is binary; otherwise unary."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    """`string`, `number`, `ident`, `keyword` or `punct`."""
    text: str
    offset: int


def tokenize(source: str) -> list[Token]:
    """The significant tokens of `source` (whitespace, comments dropped; strings kept whole)."""
    tokens: list[Token] = []
    offset = 0
    while offset < len(source):
        match = _TOKEN.match(source, offset)
        if match is None:
            raise refusal(source, offset, "unexpected character")
        kind = match.lastgroup or "punct"
        if kind in {"rawstring", "quoted"}:
            kind = "string"
        if kind == "ident" and match.group() in KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(Token(kind, match.group(), offset))
        offset = match.end()
    return tokens


def refusal(source: str, offset: int, message: str) -> InvalidRuleError:
    """A refusal pointing at `offset` as a 1-based line and column."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return InvalidRuleError(message, line=line, column=column)


def check_length(source: str) -> None:
    if len(source) > MAX_LENGTH:
        raise refusal(source, MAX_LENGTH, f"condition longer than {MAX_LENGTH} characters")


def check_references(source: str, *, variables: Iterable[str], functions: Iterable[str]) -> None:
    """The package's view: every variable and function in the allowlists."""
    for name in sorted(set(variables) - set(VARIABLES)):
        raise _at_name(source, name, f"unknown variable {name[:40]!r}")
    for name in sorted(set(functions) - FUNCTIONS):
        raise _at_name(source, name, f"function not allowed: {name[:40]!r}")


def check_tokens(source: str, tokens: Sequence[Token]) -> None:
    """The source's view: identifiers, macros, field paths, nesting and literal sizes."""
    for token in tokens:
        if token.kind == "ident" and "__" in token.text:
            raise refusal(source, token.offset, f"identifier not allowed: {token.text[:40]!r}")
    for index, token in enumerate(tokens):
        if token.kind == "ident":
            _check_identifier(source, tokens, index)
    _check_brackets(source, tokens)


def _check_identifier(source: str, tokens: Sequence[Token], index: int) -> None:
    token = tokens[index]
    called = _text(tokens, index + 1) == "("
    if called and token.text in MACROS:
        raise refusal(source, token.offset, f"comprehension macro not allowed: {token.text}")
    if called and token.text not in FUNCTIONS and token.text != "has":
        raise refusal(source, token.offset, f"function not allowed: {token.text[:40]!r}")
    if called or _text(tokens, index - 1) == ".":
        return
    if token.text not in VARIABLES:
        raise refusal(source, token.offset, f"unknown variable {token.text[:40]!r}")
    _check_path(source, tokens, index)


def _check_path(source: str, tokens: Sequence[Token], index: int) -> None:
    """`user.emial` is refused when saved rather than failing every login closed."""
    shape: object = SCHEMA[tokens[index].text]
    path = tokens[index].text
    index += 1
    while isinstance(shape, Mapping) and _text(tokens, index) == ".":
        name = tokens[index + 1]
        if _text(tokens, index + 2) == "(":
            return
        if name.text not in shape:
            raise refusal(source, name.offset, f"{path} has no field {name.text[:40]!r}")
        shape = shape[name.text]
        path = f"{path}.{name.text}"
        index += 2
    if shape is not dict and _text(tokens, index) == "." and _text(tokens, index + 2) != "(":
        raise refusal(source, tokens[index + 1].offset, f"{path} has no fields")


def _check_brackets(source: str, tokens: Sequence[Token]) -> None:
    """Nesting: brackets of any kind, each opened after a run of unary operators counting
    those too (`!(!(x))` is 4 deep). Literal lists and maps: at most MAX_LITERAL_ITEMS."""
    frames: list[tuple[int, int, bool]] = []  # (depth after opening, commas, literal?)
    unary = 0
    previous: Token | None = None
    for token in tokens:
        operand_before = _ends_operand(previous)
        depth = frames[-1][0] if frames else 0
        if token.text in {"!", "-"} and token.kind == "punct" and not operand_before:
            unary += 1
        elif token.kind == "punct" and token.text in {"(", "[", "{"}:
            literal = token.text == "{" or (token.text == "[" and not operand_before)
            frames.append((depth + 1 + unary, 0, literal))
            unary = 0
        elif token.kind == "punct" and token.text in {")", "]", "}"}:
            if not frames:  # the parser accepted it, so only a tokenizer gap gets here
                raise refusal(source, token.offset, "unbalanced brackets")
            opened_depth, commas, literal = frames.pop()
            items = commas + (0 if _text_is(previous, {"[", "{", ","}) else 1)
            if literal and items > MAX_LITERAL_ITEMS:
                raise refusal(
                    source, token.offset, f"literal with more than {MAX_LITERAL_ITEMS} items"
                )
        elif token.text == "," and token.kind == "punct" and frames:
            opened_depth, commas, literal = frames[-1]
            frames[-1] = (opened_depth, commas + 1, literal)
        else:
            unary = 0
        if (frames[-1][0] if frames else 0) + unary > MAX_DEPTH:
            raise refusal(source, token.offset, f"nested deeper than {MAX_DEPTH}")
        previous = token


def _ends_operand(token: Token | None) -> bool:
    if token is None:
        return False
    if token.kind == "punct":
        return token.text in _OPERAND_END
    return token.text != "in"


def _text(tokens: Sequence[Token], index: int) -> str:
    return tokens[index].text if 0 <= index < len(tokens) else ""


def _text_is(token: Token | None, texts: set[str]) -> bool:
    return token is not None and token.kind == "punct" and token.text in texts


def _at_name(source: str, name: str, message: str) -> InvalidRuleError:
    """Point at the first identifier spelled `name` (an operator has no single place: 1:1)."""
    for token in tokenize(source):
        if token.kind == "ident" and token.text == name:
            return refusal(source, token.offset, message)
    return refusal(source, 0, message)
