"""`/api/v2/mfa/policy/rules` and `/evaluate` request and response shapes (ADR 009,
docs/policies.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from twofold.api.schemas.management import TEXT_PATTERN, Strict
from twofold.flows.policy_explain import RFC3339
from twofold.flows.policy_rules import MAX_RULES
from twofold.policy.rules import MAX_NAME_LENGTH, MAX_REMEMBER_DAYS

ActionType = Literal["require_mfa", "skip_mfa", "deny"]
FactorName = Literal["otp", "oob", "recovery-code", "webauthn-roaming", "webauthn-platform", "duo"]
"""Auth0's authenticator types, as the engine allows them (`types.FactorType`)."""
MAX_AGE = 366 * 24 * 3600
RuleName = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=TEXT_PATTERN)]
Condition = Annotated[
    str,
    Field(
        min_length=1,
        max_length=4_000,
        description="A CEL expression over `user`, `application`, `organization`, `request` "
        "and `risk`; compiled when saved (a refusal is a 400 naming line and column).",
    ),
]
RuleId = Annotated[str, Field(min_length=1, max_length=40)]


def _not_zero(value: object) -> object:
    """`Literal[False]` would take a JSON `0` (0 == False in Python): `false` is meant."""
    if type(value) is int and value == 0:
        raise ValueError("remember_browser is null, false or a number of days")
    return value


RememberBrowser = Annotated[
    Literal[False] | Annotated[int, Field(ge=1, le=MAX_REMEMBER_DAYS)] | None,
    BeforeValidator(_not_zero),
    Field(
        description="`null`: the tenant's default; `false`: never remember the browser; "
        f"a number: remember it for that many days (1 to {MAX_REMEMBER_DAYS})."
    ),
]


class ActionIn(Strict):
    type: ActionType
    factors: list[FactorName] = Field(
        default_factory=list,
        max_length=6,
        description="With `require_mfa`: the factor types allowed (empty: any).",
    )
    max_age: int | None = Field(
        default=None,
        ge=0,
        le=MAX_AGE,
        description="With `require_mfa`: seconds since the last MFA beyond which it is asked "
        "again.",
    )


class RuleCreate(Strict):
    name: RuleName
    enabled: bool = True
    condition: Condition
    action: ActionIn
    remember_browser: RememberBrowser = None


class RuleUpdate(Strict):
    """Only the members named change (`null` leaves `name`, `enabled`, `condition` and
    `action` as they are; for `remember_browser` it means the tenant's default)."""

    name: RuleName | None = None
    enabled: bool | None = None
    condition: Condition | None = None
    action: ActionIn | None = None
    remember_browser: RememberBrowser = None


class RuleOrder(Strict):
    ids: list[RuleId] = Field(
        max_length=MAX_RULES, description="Every rule's id, once each, in the new order."
    )


class ActionOut(BaseModel):
    type: ActionType
    factors: list[FactorName]
    max_age: int | None


class RuleOut(BaseModel):
    id: str
    name: str
    enabled: bool
    condition: str
    action: ActionOut
    remember_browser: Literal[False] | int | None
    position: int = Field(description="Rules are tried in ascending position.")
    created_at: str
    updated_at: str


IpAddress = Annotated[
    str, Field(min_length=2, max_length=64, description="An IPv4 or IPv6 address.")
]
Rfc3339 = Annotated[
    str,
    Field(
        min_length=20,
        max_length=40,
        pattern=RFC3339.pattern,
        description="RFC 3339 with an offset (`2026-11-22T12:00:00Z`); a naive time is a 400.",
    ),
]
Text = Annotated[str, Field(max_length=500, pattern=TEXT_PATTERN)]


class MadeUpUserIn(Strict):
    """A user who does not exist: no history, so the login is their first."""

    email: str = Field(default="", max_length=320, pattern=TEXT_PATTERN)
    roles: list[Annotated[str, Field(max_length=100, pattern=TEXT_PATTERN)]] = Field(
        default_factory=list, max_length=100
    )
    app_metadata: dict[str, Any] = Field(default_factory=dict)
    user_metadata: dict[str, Any] = Field(default_factory=dict)
    enrolled: list[FactorName] = Field(
        default_factory=list, max_length=6, description="Factor types with an authenticator."
    )


class LastLoginIn(Strict):
    ip: IpAddress
    time: Rfc3339


class PolicyEvaluate(Strict):
    """A hypothetical login: exactly one of `user_id` and `user`."""

    user_id: str | None = Field(default=None, min_length=1, max_length=100)
    user: MadeUpUserIn | None = None
    client_id: str | None = Field(default=None, min_length=1, max_length=100)
    ip: IpAddress
    time: Rfc3339 | None = Field(default=None, description="Default: now.")
    user_agent: Text | None = None
    device_cookie: str | None = Field(
        default=None,
        max_length=200,
        description="The `twofold_device` cookie a browser holds (hashed as a login does).",
    )
    last_login: LastLoginIn | None = Field(
        default=None, description="Instead of the stored last successful login."
    )
    failed_logins_from_ip: int | None = Field(
        default=None, ge=0, le=1_000_000, description="Instead of the count in the audit log."
    )


class DecisionOut(BaseModel):
    outcome: Literal["mfa", "skip", "deny"]
    factors: list[str]
    max_age: int | None
    remember_browser: bool | int | None


class RuleTraceOut(BaseModel):
    rule: str
    result: str = Field(description="`matched`, `not_matched`, `disabled` or `error: ...`.")


class AssessorTraceOut(BaseModel):
    assessor: str
    risky: bool
    code: str


class TraceOut(BaseModel):
    rules: list[RuleTraceOut]
    assessors: list[AssessorTraceOut]
    confidence: str
    decided_by: str


class Explanation(BaseModel):
    """What a real login with these facts is told, and why (as its `tf_policy` log event)."""

    decision: DecisionOut
    trace: TraceOut
    risk_assessment: dict[str, Any]
    context: dict[str, Any] = Field(description="The variables the rules saw.")
