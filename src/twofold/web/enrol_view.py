"""The enrolment step both enrolment pages share (`/u/mfa/enroll` during a sign-in, and My MFA
settings' `/u/account/security/add`): the chosen option's form and what its posts do.

Generic over factors: an option's `page` says whether it shows a key to scan (its first code
confirms it), first asks where to send codes (`sends_code`: a destination, then the code,
with "Resend code" and "Call me instead"), or runs a WebAuthn ceremony (`ceremony`: a name,
then the browser's registration response). The routes wrap the result in their own layout
and decide what a passed enrolment leads to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from twofold.api.params import Params
from twofold.domain import AuthorizationRequest
from twofold.errors import (
    AccessDeniedError,
    ExpiredTokenError,
    InvalidGrantError,
    InvalidPhoneNumberError,
    InvalidRequestError,
    TooManyAttemptsError,
    TooManySendsError,
    TwofoldError,
)
from twofold.factors.oob import OobChannel
from twofold.flows import hosted_mfa, hosted_oob, hosted_push, hosted_webauthn
from twofold.flows.account import valid_name
from twofold.flows.factor_pages import EnrolOption
from twofold.flows.hosted_mfa import Passed, StartedEnrolment
from twofold.flows.oob_enrolment import EmailNeedsAnotherFactorError
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.web import mfa_view as view
from twofold.web import webauthn_view

REFUSALS: Mapping[type[TwofoldError], str] = MappingProxyType(
    {
        EmailNeedsAnotherFactorError: (
            "Email can only be added beside another authenticator. Add an authenticator app"
            " or a phone first."
        ),
    }
)
"""Refusals whose API description speaks to a program; the page says it to a person."""


def refusal_message(exc: TwofoldError) -> str:
    return REFUSALS.get(type(exc), exc.description)


@dataclass(frozen=True, slots=True)
class Shown:
    """The option's form to show (again): its template values and status."""

    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


def _form(
    option: EnrolOption,
    *,
    enrolment: StartedEnrolment | None = None,
    error: str | None = None,
    notice: str | None = None,
    **extra: object,
) -> dict[str, Any]:
    return {
        "page": option.page,
        "option": option,
        "enrolment": enrolment,
        "error": error,
        "notice": notice,
        **extra,
    }


async def show(
    rt: Runtime,
    user_id: str,
    option: EnrolOption,
    info: RequestInfo,
    *,
    sign_in: AuthorizationRequest | None = None,
) -> Shown:
    """The first form: where to send codes, a key's name, or (a new pending authenticator)
    an app's key."""
    if option.page.sends_code:
        return Shown(_form(option))
    if option.page.name_field is not None:
        return Shown(_form(option, typed=option.page.name_field.default))
    if option.page.pushes:
        return await push_form(rt, user_id, option, info, sign_in=sign_in)
    client_id = sign_in.client_id if sign_in else None
    enrolment = await hosted_mfa.start_enrolment(
        rt, user_id, option.factor_type, info, client_id=client_id, sign_in=sign_in
    )
    return Shown(_form(option, enrolment=enrolment))


async def submit(
    rt: Runtime,
    form: Params,
    option: EnrolOption,
    user_id: str,
    info: RequestInfo,
    *,
    session_id: str,
    sign_in: AuthorizationRequest | None = None,
) -> Shown | Passed:
    """A post of the option's form: Passed once the enrolment is confirmed, else the form to
    show again with what went wrong (or, after a resend, that a new code went out). A
    ceremony is bound to the browser session `session_id`."""
    step = _Step(rt, option, user_id, info, sign_in, session_id)
    if option.page.runs_ceremony:
        return await step.ceremony(form)
    if option.page.pushes:
        return await step.finish_push(form)
    authenticator_id = form.text("authenticator_id", max_length=100)
    if option.page.sends_code:
        if authenticator_id is None:
            return await step.start(form)
        if form.text("resend", max_length=10) is not None:
            return await step.resend(form, authenticator_id)
        return await step.confirm_sent(form, authenticator_id)
    if authenticator_id is None:
        raise InvalidRequestError("This enrolment form is incomplete. Start again.")
    return await step.confirm_app(form, authenticator_id)


async def push_form(
    rt: Runtime,
    user_id: str,
    option: EnrolOption,
    info: RequestInfo,
    *,
    sign_in: AuthorizationRequest | None,
) -> Shown:
    """A new pending push device: its QR code, and the page waiting for it to register."""
    enrolment, handle = await hosted_push.start_enrolment(rt, user_id, info, sign_in=sign_in)
    query = urlencode({"device": enrolment.authenticator_id})
    return Shown(
        _form(
            option,
            enrolment=enrolment,
            push_handle=handle,
            push_status_url=f"/u/mfa/push/enrolment?{query}",
        )
    )


@dataclass(frozen=True, slots=True)
class _Step:
    rt: Runtime
    option: EnrolOption
    user_id: str
    info: RequestInfo
    sign_in: AuthorizationRequest | None
    session_id: str

    async def ceremony(self, form: Params) -> Shown | Passed:
        """A key's name starts the ceremony; the browser's response finishes it. A refused
        response died with its ceremony, so the form comes back with a new one."""
        field = self.option.page.name_field
        auth_session, response = webauthn_view.answer_of(form)
        typed = form.text("name", max_length=1000)
        try:
            name = valid_name(typed)
        except InvalidRequestError:
            if auth_session is not None or field is None:
                raise  # the name rides in a hidden field then: a forged form
            return Shown(_form(self.option, typed=typed, error=field.invalid), 400)
        if auth_session is None:
            return await self._ceremony_form(name)
        try:
            return await hosted_webauthn.finish_enrolment(
                self.rt,
                self.user_id,
                auth_session,
                response,
                info=self.info,
                session_id=self.session_id,
                sign_in=self.sign_in,
            )
        except webauthn_view.REFUSALS as exc:
            refused = webauthn_view.message(exc, self.rt.clock.now())
            return await self._ceremony_form(name, error=refused, status=webauthn_view.status(exc))

    async def _ceremony_form(
        self, name: str, *, error: str | None = None, status: int = 200
    ) -> Shown:
        """The button's form with a new ceremony; refused one (the challenge limit), the
        name form again with why."""
        try:
            ceremony = await hosted_webauthn.start_enrolment(
                self.rt,
                self.user_id,
                self.option.factor_type,
                name=name,
                info=self.info,
                session_id=self.session_id,
                sign_in=self.sign_in,
            )
        except TooManyAttemptsError as exc:
            refused = view.asked_too_often(exc.retry_at, self.rt.clock.now())
            return Shown(_form(self.option, typed=name, error=refused), 429)
        return Shown(_form(self.option, ceremony=ceremony, name=name, error=error), status)

    async def finish_push(self, form: Params) -> Shown | Passed:
        """The page's post once the device registered (by script, or "Continue"); before
        that, or for an enrolment that can no longer finish, a new QR code and why."""
        handle = form.text("push_enrolment", max_length=100) or ""
        try:
            return await hosted_push.finish_enrolment(
                self.rt, handle, user_id=self.user_id, sign_in=self.sign_in
            )
        except InvalidGrantError as exc:
            again = await push_form(
                self.rt, self.user_id, self.option, self.info, sign_in=self.sign_in
            )
            return Shown(again.context | {"error": exc.description}, 400)

    async def confirm_app(self, form: Params, authenticator_id: str) -> Shown | Passed:
        """The first code of an app: a wrong one shows the same pending key again, since the
        person's app may already hold it."""
        rt, kind = self.rt, self.option.factor_type
        code = form.text("code", max_length=100)
        error, status = view.MISSING_CODE, 400
        if code:
            try:
                return await hosted_mfa.confirm_enrolment(
                    rt, self.user_id, kind, authenticator_id, code, self.info, sign_in=self.sign_in
                )
            except InvalidGrantError:
                error = view.INVALID_CODE
            except TooManyAttemptsError as exc:
                error, status = view.locked_message(exc.retry_at, rt.clock.now()), 429
        pending = await hosted_mfa.pending_enrolment(rt, self.user_id, kind, authenticator_id)
        return Shown(_form(self.option, enrolment=pending, error=error), status)

    async def start(self, form: Params) -> Shown:
        """The destination typed: a pending authenticator and its first code, or the
        destination form again with the refusal (nothing was stored or charged then)."""
        asked = self.option.page.destination
        if asked is None or self.option.channel is None:
            raise InvalidRequestError("This kind of authenticator cannot be added here.")
        typed = form.text(asked.name, max_length=asked.max_length)
        again = _form(self.option, typed=typed)
        try:
            enrolment, sent = await hosted_oob.start_enrolment(
                self.rt, self.user_id, self.option.channel, typed, self.info, sign_in=self.sign_in
            )
        except (InvalidPhoneNumberError, InvalidRequestError):
            return Shown(again | {"error": asked.invalid}, 400)
        except TooManySendsError as exc:
            return Shown(
                again | {"error": view.sends_message(exc.retry_at, self.rt.clock.now())}, 429
            )
        except AccessDeniedError as exc:  # the country lists, email as a first factor
            return Shown(again | {"error": refusal_message(exc)}, 403)
        return self._code_form(enrolment, sent)

    async def resend(self, form: Params, authenticator_id: str) -> Shown:
        """ "Resend code" or "Call me instead": a new code kills the last one; refused, the
        form keeps the last code's handle, which still works."""
        rt = self.rt
        pending = await hosted_oob.pending_enrolment(rt, self.user_id, authenticator_id)
        last = form.text("oob_code", max_length=100), form.text("sent_by", max_length=10)
        channel: OobChannel | None = (
            "voice" if form.text("resend", max_length=10) == "voice" else None
        )
        try:
            sent = await hosted_oob.send_code(
                rt,
                self.user_id,
                authenticator_id,
                self.info,
                channel=channel,
                sign_in=self.sign_in,
                enrolling=True,
            )
        except TooManySendsError as exc:
            refused = view.sends_message(exc.retry_at, rt.clock.now())
            return self._code_form(pending, None, last=last, error=refused, status=429)
        except (AccessDeniedError, InvalidGrantError) as exc:
            return self._code_form(pending, None, last=last, error=exc.description, status=403)
        return self._code_form(pending, sent, notice=view.SENT_AGAIN)

    async def confirm_sent(self, form: Params, authenticator_id: str) -> Shown | Passed:
        """The code the person received: the right one confirms the enrolment."""
        rt = self.rt
        code = form.text("code", max_length=100)
        oob_code = form.text("oob_code", max_length=100)
        last = oob_code, form.text("sent_by", max_length=10)
        error, status = view.MISSING_CODE, 400
        if code:
            try:
                return await hosted_oob.verify_code(
                    rt,
                    self.user_id,
                    oob_code or "",
                    code,
                    self.info,
                    sign_in=self.sign_in,
                    enrolling=authenticator_id,
                )
            except (InvalidGrantError, ExpiredTokenError) as exc:
                error = view.code_error(exc)
            except TooManyAttemptsError as exc:
                error, status = view.locked_message(exc.retry_at, rt.clock.now()), 429
        pending = await hosted_oob.pending_enrolment(rt, self.user_id, authenticator_id)
        return self._code_form(pending, None, last=last, error=error, status=status)

    def _code_form(
        self,
        enrolment: StartedEnrolment,
        sent: hosted_oob.SentCode | None,
        *,
        last: tuple[str | None, str | None] = (None, None),
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Shown:
        """The code step; a code that could not be delivered says so (503), and its resend
        form is right there. Without a new code, the form keeps the `last` one's handle and
        the channel it went by."""
        if sent is not None and not sent.delivered:
            error, status = view.NOT_SENT, 503
        oob_code, sent_by = (sent.oob_code, sent.channel) if sent is not None else last
        context = _form(
            self.option,
            enrolment=enrolment,
            error=error,
            notice=notice,
            oob_code=oob_code,
            sent_by=sent_by,
            description=view.sent_description(sent_by),
            can_call=self.option.channel == "sms",
        )
        return Shown(context, status)
