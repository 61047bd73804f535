"""`/api/v2/mfa/policy/rules` request and response shapes (ADR 009, docs/policies.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from twofold.api.schemas.management import TEXT_PATTERN, Strict
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
