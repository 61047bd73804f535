"""`/authorize` (OIDC Core 3.1.2): validate the request, keep it while the user is on the
hosted pages, and finish it with an authorization code once every step is passed.

Errors before the redirect URI is known to be registered are shown on a page (redirecting
to an unchecked URI would make Twofold an open redirector); later ones go back to the
client as `error`/`error_description` query parameters (RFC 6749 section 4.1.2.1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from twofold.audit import events
from twofold.domain import Application, AuthorizationRequest, JsonObject
from twofold.errors import AccessDeniedError, InvalidRequestError, TwofoldError
from twofold.flows.codes import issue_code
from twofold.flows.grants import GrantType
from twofold.flows.hosted_policy import policy_demands, policy_state
from twofold.flows.policy_check import PolicyDeniedError, record_success
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession
from twofold.flows.step_up import Demands, MfaDemand, proof_of
from twofold.flows.tenant import current_policies
from twofold.flows.tokens import MULTI_FACTOR_ACR, granted_scope, resolve_audience
from twofold.policy.engine import decide_tenant
from twofold.security import pkce, tokens
from twofold.types import ClientId

MAX_AGE_LIMIT = 10 * 365 * 86400


@dataclass(frozen=True, slots=True)
class AuthorizeParams:
    """The query parameters as received (already length-checked by the transport)."""

    client_id: str | None
    redirect_uri: str | None
    response_type: str | None = None
    response_mode: str | None = None
    scope: str | None = None
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    prompt: str | None = None
    max_age: str | None = None
    acr_values: str | None = None
    login_hint: str | None = None
    audience: str | None = None


class AuthorizeRedirectError(TwofoldError):
    """An error to send back to the (verified) redirect URI, not to show on a page."""

    def __init__(self, error: TwofoldError | str, description: str, *, location: str) -> None:
        super().__init__(description)
        self.code = error if isinstance(error, str) else error.code
        self.location = location


class SignInExpiredError(InvalidRequestError):
    description = "This sign-in has expired or belongs to another browser. Start again."


def redirect_with(redirect_uri: str, params: dict[str, str]) -> str:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return redirect_uri + separator + urlencode(params)


async def registered_client(rt: Runtime, params: AuthorizeParams) -> Application:
    """The client and an exactly registered redirect URI; anything else is shown, not sent."""
    if not params.client_id:
        raise InvalidRequestError("Missing required parameter: client_id")
    async with rt.store.read() as tx:
        application = await tx.applications.get(params.client_id)
    if application is None:
        raise InvalidRequestError("Unknown client: no application has this client_id.")
    if not params.redirect_uri:
        raise InvalidRequestError("Missing required parameter: redirect_uri")
    if params.redirect_uri not in application.callbacks:
        raise InvalidRequestError(
            "Callback URL mismatch. The redirect_uri is not in the application's list of "
            "allowed callback URLs."
        )
    return application


def _fail(rt: Runtime, params: AuthorizeParams, code: str, description: str) -> None:
    body = {"error": code, "error_description": description, "iss": rt.settings.issuer}
    if params.state:
        body["state"] = params.state
    raise AuthorizeRedirectError(
        code, description, location=redirect_with(params.redirect_uri or "", body)
    )


def _max_age(rt: Runtime, params: AuthorizeParams) -> int | None:
    if params.max_age is None or params.max_age == "":
        return None
    if not params.max_age.isdigit() or int(params.max_age) > MAX_AGE_LIMIT:
        _fail(rt, params, "invalid_request", "max_age must be a number of seconds.")
    return int(params.max_age)


def _check_pkce(rt: Runtime, params: AuthorizeParams, application: Application) -> None:
    if params.code_challenge is None:
        if application.is_public:
            _fail(rt, params, "invalid_request", "Public clients must use PKCE (code_challenge).")
        return
    if (params.code_challenge_method or "plain") != "S256":
        _fail(rt, params, "invalid_request", "code_challenge_method must be S256.")
    if not pkce.is_valid_challenge(params.code_challenge):
        _fail(rt, params, "invalid_request", "code_challenge must be 43 base64url characters.")


def validated(rt: Runtime, params: AuthorizeParams, application: Application) -> JsonObject:
    """The request's parameters as kept while the user signs in; redirects on errors."""
    if params.response_type != "code":
        _fail(rt, params, "unsupported_response_type", "Only response_type=code is supported.")
    if params.response_mode not in (None, "", "query"):
        _fail(rt, params, "invalid_request", "Only response_mode=query is supported.")
    if GrantType.AUTHORIZATION_CODE.value not in application.grant_types:
        _fail(rt, params, "unauthorized_client", "The client may not use the code flow.")
    _check_pkce(rt, params, application)
    prompts = set((params.prompt or "").split())
    if "none" in prompts and len(prompts) > 1:
        _fail(rt, params, "invalid_request", "prompt=none cannot be combined.")
    try:
        audience = resolve_audience(rt.settings, params.audience)
    except AccessDeniedError as exc:
        _fail(rt, params, "access_denied", exc.description)
    return {
        "redirect_uri": params.redirect_uri,
        "scope": granted_scope(rt.settings, audience=audience, requested=params.scope),
        "audience": audience,
        "state": params.state,
        "nonce": params.nonce,
        "code_challenge": params.code_challenge,
        "code_challenge_method": "S256" if params.code_challenge else None,
        "prompt_none": "none" in prompts,
        "force_login": "login" in prompts,
        "max_age": _max_age(rt, params),
        "mfa_requested": MULTI_FACTOR_ACR in (params.acr_values or "").split(),
        "login_hint": params.login_hint,
    }


def prepare(
    rt: Runtime, current: OpenSession, *, client_id: ClientId | None, params: JsonObject
) -> AuthorizationRequest:
    """The validated request, bound to this browser's session; not stored yet: a browser
    that needs no page (already signed in) gets its code without it ever being written."""
    now = rt.clock.now()
    return AuthorizationRequest(
        id="req_" + tokens.new_token()[:32],
        session_id=current.session.id,
        client_id=client_id,
        params=params,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=rt.settings.oidc.login_ttl),
    )


async def save(rt: Runtime, request: AuthorizationRequest) -> None:
    """Keep the request while the user is on the hosted pages (they address it by id)."""
    async with rt.store.transaction() as tx:
        await tx.authorizations.add(request)


async def begin(
    rt: Runtime, current: OpenSession, *, client_id: ClientId | None, params: JsonObject
) -> AuthorizationRequest:
    """`prepare` and `save`: for a sign-in that will show pages."""
    request = prepare(rt, current, client_id=client_id, params=params)
    await save(rt, request)
    return request


async def load(rt: Runtime, request_id: str | None, current: OpenSession) -> AuthorizationRequest:
    """The request in flight for this browser; expired, unknown or foreign ones are refused."""
    if not request_id or len(request_id) > 64:
        raise SignInExpiredError
    async with rt.store.read() as tx:
        request = await tx.authorizations.get(request_id)
    if (
        request is None
        or request.session_id != current.session.id
        or rt.clock.now() >= request.expires_at
    ):
        raise SignInExpiredError
    return request


async def demands_of(rt: Runtime, request: AuthorizationRequest) -> Demands:
    """What this sign-in asks of the browser: the kept policy decision for an application's
    sign-in once the user is known; before that (the password step decides nothing) the
    tenant policy alone; account-page sign-ins MFA when enrolled (a setting), no policy."""
    params = request.params
    state = policy_state(request)
    if request.client_id is not None and state is not None:
        return policy_demands(request, state)
    if request.client_id is None:
        mfa = (
            MfaDemand.IF_ENROLLED if rt.settings.sessions.mfa_for_account_pages else MfaDemand.NONE
        )
    elif params.get("mfa_requested"):
        mfa = MfaDemand.EXPLICIT
    else:
        async with rt.store.read() as tx:
            policies = await current_policies(tx, rt.settings.policy)
        mfa = MfaDemand.POLICY if decide_tenant(policies).mfa_required else MfaDemand.NONE
    return Demands(
        mfa=mfa, max_age=params.get("max_age"), force_login=bool(params.get("force_login"))
    )


def _with_params(request: AuthorizationRequest, params: JsonObject) -> AuthorizationRequest:
    return dataclasses.replace(request, params=params)


async def password_done(rt: Runtime, request: AuthorizationRequest) -> AuthorizationRequest:
    """`prompt=login` is honoured once the password was entered within this request."""
    if not request.params.get("force_login"):
        return request
    params = {**request.params, "force_login": False}
    async with rt.store.transaction() as tx:
        await tx.authorizations.set_params(request.id, params)
    return _with_params(request, params)


async def finish(
    rt: Runtime,
    request: AuthorizationRequest,
    current: OpenSession,
    info: RequestInfo,
    *,
    saved: bool = True,
) -> str:
    """Issue the code and return where the browser goes next (the client's callback, or the
    account page for an account sign-in). A saved request is spent either way: deleting it
    is what makes a double submit issue one code only."""
    session = current.session
    if session.user_id is None:
        raise SignInExpiredError
    proof = proof_of(session)
    params = request.params
    async with rt.store.transaction() as tx:
        if saved and not await tx.authorizations.delete(request.id):
            raise SignInExpiredError
        if request.client_id is None:
            return str(params.get("return_to") or "/u/account/security")
        code = await issue_code(
            rt,
            tx,
            client_id=request.client_id,
            user_id=session.user_id,
            redirect_uri=params["redirect_uri"],
            scope=params["scope"],
            audience=params["audience"],
            auth_time=proof.auth_time,
            amr=proof.amr,
            acr=MULTI_FACTOR_ACR if "mfa" in proof.amr else None,
            nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge"),
            code_challenge_method=params.get("code_challenge_method"),
            session_id=session.id,
        )
        state = _state_for(request, session.user_id)
        await record_success(rt, tx, user_id=session.user_id, ip=info.ip, state=state)
        risk = state.get("risk_assessment") if state else None
        tx.record(
            events.LoginSucceeded(
                user_id=session.user_id,
                client_id=request.client_id,
                ip=info.ip,
                user_agent=info.user_agent,
                amr=proof.amr,
                risk_assessment=risk if isinstance(risk, dict) else None,
            ).entry()
        )
    body = {"code": code, "iss": rt.settings.issuer}
    if params.get("state"):
        body["state"] = params["state"]
    return redirect_with(params["redirect_uri"], body)


def _state_for(request: AuthorizationRequest, user_id: str) -> JsonObject | None:
    """The kept decision, if it was made for the user the session holds now."""
    state = policy_state(request)
    return state if state is not None and state.get("user_id") == user_id else None


def denied(rt: Runtime, request: AuthorizationRequest) -> str:
    """Where a sign-in the policy denies goes: back to the client with `access_denied`
    (RFC 6749 section 4.1.2.1), as `login_required` does."""
    params = request.params
    body = {
        "error": PolicyDeniedError.code,
        "error_description": PolicyDeniedError.description,
        "iss": rt.settings.issuer,
    }
    if params.get("state"):
        body["state"] = params["state"]
    return redirect_with(params["redirect_uri"], body)


def login_required(rt: Runtime, request: AuthorizationRequest, code: str) -> str:
    """Where `prompt=none` goes when the user would have to interact (OIDC Core 3.1.2.6)."""
    params = request.params
    body = {
        "error": code,
        "error_description": "The user must sign in."
        if code == "login_required"
        else "The user must complete multi-factor authentication.",
        "iss": rt.settings.issuer,
    }
    if params.get("state"):
        body["state"] = params["state"]
    return redirect_with(params["redirect_uri"], body)
