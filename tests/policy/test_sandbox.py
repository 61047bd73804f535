"""Hostile or broken conditions are refused when saved, with a position and a message."""

from __future__ import annotations

import pytest

from tests.policy.facts import a_rule
from tests.policy.test_rules import EXAMPLES, WEEKEND_OR_EARLY
from twofold.errors import InvalidRequestError, InvalidRuleError
from twofold.policy.rules import Action, ActionKind, compile_condition, compile_rule
from twofold.policy.sandbox import FUNCTIONS, MAX_DEPTH, tokenize
from twofold.types import FactorType


def refusal(condition: str) -> InvalidRuleError:
    with pytest.raises(InvalidRuleError) as caught:
        compile_condition(condition)
    return caught.value


@pytest.mark.parametrize(
    ("condition", "message", "line", "column"),
    [
        # Python internals: nothing but plain data is handed in, and the names are refused
        ("user.__class__", "identifier not allowed: '__class__'", 1, 6),
        ("user.__dict__ == {}", "identifier not allowed: '__dict__'", 1, 6),
        ("__import__('os')", "identifier not allowed: '__import__'", 1, 1),
        ("user.email.__len__() > 0", "identifier not allowed: '__len__'", 1, 12),
        ("request.__class__.__mro__", "identifier not allowed: '__class__'", 1, 9),
        # names outside the allowlist
        ("os.system('id')", "unknown variable 'os'", 1, 1),
        ("self", "unknown variable 'self'", 1, 1),
        ("true &&\n  env.HOME == ''", "unknown variable 'env'", 2, 3),
        ("user.emial == 'a@b.c'", "user has no field 'emial'", 1, 6),
        ("request.geo.planet == 'Mars'", "request.geo has no field 'planet'", 1, 13),
        ("user.email.domain == 'x'", "user.email has no fields", 1, 12),
        ("eval('1') == 1", "function not allowed: 'eval'", 1, 1),
        ("user.email.lowerAscii() == 'x'", "function not allowed: 'lowerAscii'", 1, 12),
        (
            "timestamp('2026-01-01T00:00:00Z') > timestamp('2025-01-01T00:00:00Z')",
            "function not allowed: 'timestamp'",
            1,
            1,
        ),
        ("type(user) == map", "function not allowed: 'type'", 1, 1),
        ("dyn(user).x", "function not allowed: 'dyn'", 1, 1),
        ("getattr(user, 'x')", "function not allowed: 'getattr'", 1, 1),
        ("google.protobuf.Any{} == user", "unknown variable 'google'", 1, 1),
        ("Foo{a: 1} == user", "unknown variable 'Foo'", 1, 1),
        # comprehension macros: the only unbounded evaluation CEL has
        ("user.roles.exists(r, r == 'admin')", "comprehension macro not allowed: exists", 1, 12),
        ("user.roles.all(r, r != 'x')", "comprehension macro not allowed: all", 1, 12),
        (
            "user.roles.exists_one(r, r == 'x')",
            "comprehension macro not allowed: exists_one",
            1,
            12,
        ),
        ("size(user.roles.filter(r, true)) > 0", "comprehension macro not allowed: filter", 1, 17),
        (
            "size([1,2,3].map(x, [1,2,3].map(y, [1,2,3].map(z, z)))) > 0",
            "comprehension macro not allowed: map",
            1,
            14,
        ),
        # a bound name that shadows a variable does not slip through
        ("user.roles.exists(user, user == 'a')", "comprehension macro not allowed: exists", 1, 12),
        # huge literals, deep nesting, overlong
        (
            "user.email in [" + ", ".join(f"'{n}'" for n in range(101)) + "]",
            "literal with more than 100 items",
            1,
            611,
        ),
        (
            "size({" + ", ".join(f"{n}: 1" for n in range(101)) + "}) > 0",
            "literal with more than 100 items",
            1,
            703,
        ),
        ("(" * 17 + "true" + ")" * 17, f"nested deeper than {MAX_DEPTH}", 1, 17),
        ("!" * 17 + "true", f"nested deeper than {MAX_DEPTH}", 1, 17),
        ("[" * 17 + "1" + "]" * 17 + " == []", f"nested deeper than {MAX_DEPTH}", 1, 17),
        ("!(" * 9 + "true" + ")" * 9, f"nested deeper than {MAX_DEPTH}", 1, 17),
        ("size(" * 17 + "user.roles" + ")" * 17 + " > 0", f"nested deeper than {MAX_DEPTH}", 1, 85),
        ("true || " * 125 + "false", "condition longer than 1000 characters", 1, 1001),
        ("'" + "a" * 1_000 + "' == user.email", "condition longer than 1000 characters", 1, 1001),
    ],
)
def test_hostile_conditions_are_refused(
    condition: str, message: str, line: int, column: int
) -> None:
    error = refusal(condition)
    assert (error.message, error.line, error.column) == (message, line, column)
    assert error.code == "invalid_request"
    assert isinstance(error, InvalidRequestError)
    assert error.description == f"Invalid rule: {message} (line {line}, column {column})"


@pytest.mark.parametrize(
    ("condition", "line", "column", "message"),
    [
        ("1 +", 1, 4, "Syntax error: mismatched input '<EOF>'"),
        ("user.roles ==", 1, 14, "Syntax error: mismatched input '<EOF>'"),
        ("'unterminated", 1, 1, "Syntax error: token recognition error"),
        ("true &&\n  (1 +)", 2, 7, "Syntax error: mismatched input ')'"),
        ("user @ 1", 1, 6, "Syntax error: token recognition error at: '@'"),
        ("", 1, 1, "Syntax error"),
        ("(" * 120 + "true" + ")" * 120, 1, 97, "Syntax error"),
    ],
)
def test_syntax_errors_carry_the_parsers_position(
    condition: str, line: int, column: int, message: str
) -> None:
    error = refusal(condition)
    assert (error.line, error.column) == (line, column)
    assert error.message.startswith(message)
    assert "\n" not in error.message


@pytest.mark.parametrize(
    "condition",
    [
        "!" * 995 + "true",
        "-" * 998 + "1",
        "user" + ".x" * 498,
        "[" + ",".join(["1"] * 499) + "]",
        "{" + ",".join(f"{n}:1" for n in range(199)) + "}",
        "(" * 333 + ")" * 333 + "(" * 333,
        "\x00",
        "'\\x00' == user.email",
        'r"\\"" == \'\\u0000\'',
        "\"\"\"a\"\"\" + '''b''' == user.email // comment with __class__ and map(x, x)",
        "b'\\xff' == b'\\xff'",
        "1u == 1u && 0x1F == 31 && .5 == 0.5 && 1e3 == 1000.0",
        "user['__class__'] == 'x'",
        "\u202e" + "user.email",
        "user.email == 'ß' && user.email == '\U0001f600'",
    ],
)
def test_never_a_crash(condition: str) -> None:
    """Whatever comes in: a compiled condition or an InvalidRuleError, nothing else."""
    try:
        outcome = compile_condition(condition).source
    except InvalidRuleError as error:
        outcome = error.message
    assert outcome


@pytest.mark.parametrize(
    "condition",
    [
        *(c for c, _, _ in EXAMPLES),
        WEEKEND_OR_EARLY,
        "user['app_metadata']['tier'] == 'gold'",
        "// admins only\n'admin' in user.roles",
        "'not map(x, x) nor __class__' == user.email",  # names inside strings are text
        "user.app_metadata.a.b.c == 1 && user.user_metadata.z == 'y'",
        "risk.codes.NewDevice == 'no_match' ? true : risk.confidence == 'low'",
        "user.email.startsWith('a') && -request.time.hour < 0 && request.time.minute % 2 == 0",
        "user.email in [" + ", ".join(f"'{n}'" for n in range(100)) + "]",
        "(" * MAX_DEPTH + "true" + ")" * MAX_DEPTH,
        "size(user.roles) > 1 && user.roles[0] == 'x' && string(request.time.hour) == '9'",
    ],
)
def test_readable_conditions_compile(condition: str) -> None:
    assert compile_condition(condition).source == condition


def test_every_allowed_function_is_used_by_some_accepted_condition() -> None:
    """The allowlist is deliberate: each entry is a CEL name the package really reports."""
    accepted = (
        "size(user.roles) + int('1') - 1 * 2 / 1 % 2 == 0 && user.email.contains('a')"
        " && user.email.startsWith('a') && user.email.endsWith('m')"
        " && user.email.matches('a') && uint(1) == 1u && double(1) == 1.0 && string(1) == '1'"
        " && request.ip.in_cidr('203.0.113.0/24') && user.roles != [] && !(1 > 2) && 1 < 2"
        " && 1 <= 2 && 2 >= 1 && ('a' in ['a'] || false) && (true ? true : false)"
        " && [1][0] == 1 && -request.time.hour <= 0"
    )
    references = compile_condition(accepted).program.references()
    assert set(references["functions"]) <= FUNCTIONS
    assert FUNCTIONS - set(references["functions"]) <= {"-_"}


def test_tokenizer_keeps_strings_and_drops_comments() -> None:
    tokens = tokenize('user.email == \'a // b\' // trailing\n && r"x\\" == """y"""')
    assert [t.text for t in tokens] == [
        "user",
        ".",
        "email",
        "==",
        "'a // b'",
        "&&",
        'r"x\\"',
        "==",
        '"""y"""',
    ]
    assert [t.kind for t in tokens][:5] == ["ident", "punct", "ident", "punct", "string"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "name must have 1 to 100 characters"),
        ({"name": "x" * 101}, "name must have 1 to 100 characters"),
        ({"action": Action(ActionKind.SKIP_MFA, factors=(FactorType.OTP,))}, "require_mfa only"),
        ({"action": Action(ActionKind.DENY, max_age=60)}, "require_mfa only"),
        ({"action": Action(ActionKind.REQUIRE_MFA, max_age=-1)}, "max_age"),
        (
            {"action": Action(ActionKind.REQUIRE_MFA, factors=("password",))},  # type: ignore[arg-type]
            "unknown factor type",
        ),
        ({"remember_browser": True}, "remember_browser"),
        ({"remember_browser": 0}, "remember_browser"),
        ({"remember_browser": 366}, "remember_browser"),
        ({"condition": "user.__class__"}, "identifier not allowed"),
    ],
)
def test_rules_are_checked_whole_when_saved(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "name": "admins",
        "enabled": True,
        "condition": "'admin' in user.roles",
        "action": Action(ActionKind.REQUIRE_MFA),
        "remember_browser": None,
    } | fields
    with pytest.raises(InvalidRuleError, match=message):
        compile_rule(**values)  # type: ignore[arg-type]


def test_a_valid_rule_keeps_what_it_was_given() -> None:
    action = Action(ActionKind.REQUIRE_MFA, (FactorType.WEBAUTHN_ROAMING,), max_age=900)
    rule = a_rule("'admin' in user.roles", name="admins", action=action, remember=30)
    assert (rule.name, rule.enabled, rule.action, rule.remember_browser) == (
        "admins",
        True,
        action,
        30,
    )
    assert rule.condition.source == "'admin' in user.roles"
    assert rule.condition.variables == {"user"}
