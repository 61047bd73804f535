"""Push on the hosted pages (flows layer): send a push for a sign-in, read its status,
complete the MFA step once the device approved it; and enrol a device from a page.

The device's approval alone proves nothing to the page: the page's completing post must come
from the session the push was sent for (its `session_id`), for the same user, and may count
only once (a conditional update that releases the push from its session). An enrolment's
completing post is bound the same way, to the sign-in, through its `oob_code`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Authenticator, AuthorizationRequest
from twofold.errors import (
    InvalidGrantError,
    InvalidRequestError,
    NotFoundError,
    PushExpiredError,
    PushRejectedError,
)
from twofold.factors.barcode import render_barcode
from twofold.factors.push.state import is_active_push, is_push
from twofold.flows.attempts import active_recovery_code, on_authenticator
from twofold.flows.enrolment import issue_recovery_code
from twofold.flows.hosted_mfa import Passed, StartedEnrolment
from twofold.flows.hosted_policy import policy_state
from twofold.flows.policy_check import check_allowed
from twofold.flows.push_answer import MAX_PUSH_ID
from twofold.flows.push_challenge import issue_push
from twofold.flows.push_delivery import answer_topic
from twofold.flows.push_enrolment import begin_push_enrolment, require_push_enabled
from twofold.flows.push_poll import AMR
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_channels
from twofold.security import tokens
from twofold.store.repos.push_transactions import APPROVED, EXPIRED, PENDING, PushTransaction
from twofold.types import FactorType


class PushUsedError(InvalidGrantError):
    description = "This sign-in request was already used. Send a new one."


@dataclass(frozen=True, slots=True)
class SentPush:
    """A push on its way: its transaction id (the page's handle) and the number to show."""

    txn: str
    number: int | None
    """None when number matching is off: the page shows no number."""
    device: str


class PushWaitingError(InvalidGrantError):
    """Completed before the device answered: the page keeps waiting for the same push."""

    description = "The sign-in request has not been approved on your device yet."

    def __init__(self, push: SentPush) -> None:
        super().__init__()
        self.push = push


async def device_of(rt: Runtime, user_id: str, authenticator_id: str) -> Authenticator:
    """The user's active push device while the tenant has push on; anything else is refused
    as a device that cannot be sent a push."""
    async with rt.store.read() as tx:
        found = await tx.authenticators.get(authenticator_id, user_id=user_id)
        channels = await enabled_channels(tx)
    if found is None or not is_active_push(found) or found.oob_channel not in channels:
        raise InvalidGrantError("This authenticator cannot be sent a push.")
    return found


async def send(
    rt: Runtime,
    user_id: str,
    authenticator_id: str,
    info: RequestInfo,
    *,
    session_id: str,
    sign_in: AuthorizationRequest,
) -> SentPush:
    """Send a push for this sign-in, bound to the browser session `session_id`. The fatigue
    limits raise TooManyPushError or PushPausedError, a dead device PushDeliveryError."""
    check_allowed(policy_state(sign_in), FactorType.OOB)
    device = await device_of(rt, user_id, authenticator_id)
    client_id = sign_in.client_id or ""
    async with rt.store.read() as tx:
        application = await tx.applications.get(client_id) if client_id else None
    push, _ = await issue_push(
        rt,
        device,
        info,
        application=application.name if application else client_id,
        client_id=client_id or None,
        session_id=session_id,
    )
    return _sent(rt, push, device)


def _sent(rt: Runtime, push: PushTransaction, device: Authenticator | None) -> SentPush:
    number = push.number if rt.settings.push.number_matching else None
    name = device.name if device is not None and device.name else "your device"
    return SentPush(txn=push.id, number=number, device=name)


async def _shown(rt: Runtime, push: PushTransaction) -> SentPush:
    async with rt.store.read() as tx:
        device = await tx.authenticators.get(push.authenticator_id, user_id=push.user_id)
    return _sent(rt, push, device)


async def owned(rt: Runtime, txn: str, *, user_id: str, session_id: str) -> PushTransaction:
    """The push if it was sent for this session and user; any other id looks unknown."""
    async with rt.store.read() as tx:
        push = await tx.push_transactions.get(txn) if 0 < len(txn) <= MAX_PUSH_ID else None
    if push is None or push.user_id != user_id or push.session_id != session_id:
        raise NotFoundError("No such sign-in request.")
    return push


async def status(rt: Runtime, txn: str, *, user_id: str, session_id: str) -> str:
    """`pending`, `approved`, `rejected` or `expired`, as the page must see it now."""
    push = await owned(rt, txn, user_id=user_id, session_id=session_id)
    return push.status_at(rt.clock.now())


def topic(txn: str) -> str:
    """The broker topic the push's answer is published on (flows/push_delivery.py)."""
    return answer_topic(txn)


async def complete(
    rt: Runtime,
    txn: str,
    info: RequestInfo,
    *,
    user_id: str,
    session_id: str,
    sign_in: AuthorizationRequest,
) -> Passed:
    """The approved push passes the MFA step once: releasing it from the session is a
    conditional update, so a replayed post (or a racing one on another node) finds nothing."""
    check_allowed(policy_state(sign_in), FactorType.OOB)
    push = await owned(rt, txn, user_id=user_id, session_id=session_id)
    state = push.status_at(rt.clock.now())
    if state == PENDING:
        raise PushWaitingError(await _shown(rt, push))
    if state == EXPIRED:
        raise PushExpiredError
    if state != APPROVED:
        raise PushRejectedError
    async with rt.store.transaction() as tx:
        if not await tx.push_transactions.release(push.id, session_id=session_id):
            raise PushUsedError
        device = await tx.authenticators.get(push.authenticator_id, user_id=user_id)
        if device is None or not is_active_push(device):
            raise InvalidGrantError("This authenticator was removed.")
        tx.record(
            on_authenticator(events.MfaSucceeded, device, client_id=sign_in.client_id, info=info)
        )
    return Passed(amr=AMR)


BOUND = "hosted:"
"""A hosted enrolment's `oob_code` is bound to `hosted:<sign-in id>` (or `hosted:account`
in My MFA settings): no `mfa_token`'s transaction matches it, so the API never polls it."""
FINISHED = "hosted:finished"


class PushEnrolmentWaitingError(InvalidGrantError):
    description = "Your device has not finished setting up yet. Scan the QR code with the app."


def _binding(sign_in: AuthorizationRequest | None) -> str:
    return BOUND + (sign_in.id if sign_in else "account")


async def start_enrolment(
    rt: Runtime, user_id: str, info: RequestInfo, *, sign_in: AuthorizationRequest | None
) -> tuple[StartedEnrolment, str]:
    """A pending push device and its QR code, and the `oob_code` the page finishes it with
    (kept in the page's form: it proves this page started the enrolment)."""
    check_allowed(policy_state(sign_in), FactorType.OOB)
    client_id = sign_in.client_id if sign_in else None
    async with rt.store.transaction() as tx:
        await require_push_enabled(tx)
        user = await tx.users.get(user_id)
        if user is None:
            raise NotFoundError("The user no longer exists.")
        authenticator_id, body = await begin_push_enrolment(
            rt, tx, user, info, client_id=client_id, transaction_id=_binding(sign_in)
        )
    uri = str(body["barcode_uri"])
    svg = render_barcode(uri, fmt="svg")
    qr = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    started = StartedEnrolment(
        authenticator_id=authenticator_id,
        factor_type=FactorType.OOB,
        display={"barcode_uri": uri},
        qr=qr,
    )
    return started, str(body["oob_code"])


async def enrolment_status(rt: Runtime, user_id: str, authenticator_id: str) -> str:
    """`enrolled` once the device registered, `pending` before; another user's or a removed
    device looks unknown."""
    async with rt.store.read() as tx:
        found = await tx.authenticators.get(authenticator_id, user_id=user_id)
    if found is None or not is_push(found):
        raise NotFoundError("No such enrolment.")
    return "enrolled" if is_active_push(found) else "pending"


async def finish_enrolment(
    rt: Runtime,
    handle: str,
    *,
    user_id: str,
    sign_in: AuthorizationRequest | None,
) -> Passed:
    """The device registered: the page's enrolment counts once, as a first code does (the
    binding moves to `hosted:finished`, so a replay finds nothing). A user without an active
    recovery code gets one, shown once."""
    check_allowed(policy_state(sign_in), FactorType.OOB)
    if not tokens.is_well_formed(handle):
        raise InvalidRequestError("This enrolment form is incomplete. Start again.")
    handle_hash = tokens.token_hash(handle)
    async with rt.store.transaction() as tx:
        enrolment = await tx.push_enrolments.by_oob_code(handle_hash)
        if enrolment is None or enrolment.user_id != user_id:
            raise InvalidGrantError("This enrolment has expired or was replaced. Start again.")
        if enrolment.used_at is None:
            raise PushEnrolmentWaitingError
        device = await tx.authenticators.get(enrolment.authenticator_id, user_id=user_id)
        if device is None or not is_active_push(device):
            raise InvalidGrantError("The enrolment was cancelled. Start again.")
        if not await tx.push_enrolments.rebind(
            handle_hash, bound_to=_binding(sign_in), to=FINISHED
        ):
            raise InvalidGrantError("This enrolment was already completed.")
        items = await tx.authenticators.for_user(user_id)
        has_code = active_recovery_code(items) is not None
        code = None if has_code else await issue_recovery_code(rt, tx, user_id, active=True)
    return Passed(amr=AMR, recovery_code=code)
