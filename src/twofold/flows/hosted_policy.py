"""The policy decision of a hosted sign-in (ADR 009): made once per authorization request and
user, kept with the request (`params.policy`), audited in the same write, and read back as
the step-up decision's `Demands` by every later page of that sign-in."""

from __future__ import annotations

import dataclasses

from twofold.domain import AuthorizationRequest, JsonObject
from twofold.errors import NotFoundError
from twofold.flows.policy_check import Device, check_policy, needs_email_verification
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.step_up import Demands, MfaDemand, Remember
from twofold.policy.engine import Outcome
from twofold.types import FactorType


def policy_state(request: AuthorizationRequest | None) -> JsonObject | None:
    """The policy decision kept with this sign-in (`params.policy`), None before it is made
    and for account-page sign-ins (no policy there)."""
    if request is None:
        return None
    state = request.params.get("policy")
    return state if isinstance(state, dict) else None


async def keep_policy(
    rt: Runtime, request: AuthorizationRequest, state: JsonObject
) -> AuthorizationRequest:
    """Write a new `params.policy` (the verify-by-email step's progress)."""
    params = {**request.params, "policy": state}
    async with rt.store.transaction() as tx:
        await tx.authorizations.set_params(request.id, params)
    return dataclasses.replace(request, params=params)


async def with_decision(
    rt: Runtime,
    request: AuthorizationRequest,
    *,
    user_id: str,
    info: RequestInfo,
    device: Device,
    saved: bool,
) -> AuthorizationRequest:
    """The sign-in with the policy's decision for `user_id`, made ONCE per request and user
    (ADR 009): a page shown again, or a later step, reads the kept one and audits nothing.

    A saved request gets its decision and the decision's audit event in one write; an
    unsaved one (`prepare`) keeps it in memory for `save`, and its event is written now.
    Account-page sign-ins (no client) have no policy."""
    kept = policy_state(request)
    if request.client_id is None or (kept is not None and kept.get("user_id") == user_id):
        return request
    async with rt.store.read() as tx:
        user = await tx.users.get(user_id)
        application = await tx.applications.get(request.client_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    check = await check_policy(rt, user=user, application=application, info=info, device=device)
    state: JsonObject = {
        "user_id": user_id,
        **check.state(),
        "verify_email": needs_email_verification(check),
        "email_verified": False,
    }
    params = {**request.params, "policy": state}
    decided = check.event("authorize", user_id=user_id, client_id=request.client_id, info=info)
    async with rt.store.transaction() as tx:
        if saved:
            await tx.authorizations.set_params(request.id, params)
        tx.record(decided.entry())
    return dataclasses.replace(request, params=params)


def _remember_of(decision: JsonObject) -> Remember:
    value = decision.get("remember_browser")
    if value is False or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return None


def policy_demands(request: AuthorizationRequest, state: JsonObject) -> Demands:
    """What the kept decision asks: the application's `acr_values` still demand MFA
    whatever it says, but a deny still denies and a factor restriction still applies."""
    params = request.params
    raw = state.get("decision")
    decision: JsonObject = raw if isinstance(raw, dict) else {}
    outcome = decision.get("outcome")
    verify_email = bool(state.get("verify_email"))
    verified = bool(state.get("email_verified"))
    if params.get("mfa_requested"):
        mfa = MfaDemand.EXPLICIT
    elif outcome == Outcome.MFA.value and not (verify_email and verified):
        # Adaptive's email check stands in for MFA for a user with no factor (Auth0):
        # once passed, the user goes on without being made to enrol.
        mfa = MfaDemand.POLICY
    else:
        mfa = MfaDemand.NONE
    factors = decision.get("factors")
    max_age = decision.get("max_age")
    return Demands(
        mfa=mfa,
        max_age=params.get("max_age"),
        force_login=bool(params.get("force_login")),
        denied=outcome == Outcome.DENY.value,
        verify_email=verify_email and not verified,
        factors=tuple(FactorType(f) for f in factors) if isinstance(factors, list) else (),
        mfa_max_age=max_age if isinstance(max_age, int) else None,
        remember=_remember_of(decision),
        started_at=request.created_at,
    )
