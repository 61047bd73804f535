"""The bearer-free WebAuthn cores the hosted pages will call with a browser session's binding:
enrol, answer the second factor and sign in with a passkey, each bound to the session that
started it, with no MFA API token anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.api.webauthn import device, security_key
from tests.builders import a_user
from twofold.app import build_runtime, close_runtime
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.errors import InvalidGrantError
from twofold.flows.passkeys import start_passkey, verify_passkey
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.webauthn_challenge import start_assertion
from twofold.flows.webauthn_enrolment import finish_registration, start_registration
from twofold.flows.webauthn_state import Binding
from twofold.flows.webauthn_verification import verify_for
from twofold.types import FactorType

INFO = RequestInfo(ip="10.9.8.7", user_agent="pytest")


@pytest.fixture
async def switched_on(runtime: Runtime) -> AsyncIterator[Runtime]:
    async with runtime.store.read() as tx:
        before = await tx.tenant.factor_overrides()
    async with runtime.store.transaction() as tx:
        for name in ("webauthn-roaming", "webauthn-platform"):
            await tx.tenant.set_factor(name, enabled=True)
    yield runtime
    async with runtime.store.transaction() as tx:
        for name in ("webauthn-roaming", "webauthn-platform"):
            await tx.tenant.set_factor(name, enabled=before.get(name, False))


async def test_a_session_enrols_a_key_and_answers_with_it(switched_on: Runtime) -> None:
    rt = switched_on
    person = await a_user(rt)
    session = Binding.session("sess_" + person.user_id[-8:])
    key = security_key(rt, uv=False)

    started = await start_registration(
        rt, person.user_id, FactorType.WEBAUTHN_ROAMING, INFO, binding=session, name="Key"
    )
    created = key.create(started.ceremony.authn_params_public_key)
    registered = await finish_registration(
        rt, person.user_id, started.ceremony.auth_session, created, INFO, binding=session
    )

    assert started.recovery_code is None  # the pages show it once the key counts
    assert registered.recovery_code is not None
    assert (registered.authenticator.name, registered.amr) == ("Key", ("hwk",))
    asked = await start_assertion(rt, person.user_id, INFO, binding=session)
    response = key.get(asked.authn_params_public_key)
    other_session = Binding.session("sess_other")
    with pytest.raises(InvalidGrantError):
        await verify_for(
            rt, person.user_id, asked.auth_session, response, INFO, binding=other_session
        )
    passed = await verify_for(
        rt, person.user_id, asked.auth_session, response, INFO, binding=session
    )
    assert passed.authenticator.id == registered.authenticator.id
    assert passed.amr == ("hwk",)


async def test_a_session_signs_in_with_a_passkey(
    settings: Settings, clock: FrozenClock, switched_on: Runtime
) -> None:
    custom = settings.model_copy(
        update={"webauthn": settings.webauthn.model_copy(update={"passkeys": True})}
    )
    rt = await build_runtime(custom, clock=clock)
    try:
        person = await a_user(rt)
        key = device(rt, resident=True)
        session = Binding.session("sess_passkey_" + person.user_id[-8:])
        started = await start_registration(
            rt, person.user_id, FactorType.WEBAUTHN_PLATFORM, INFO, binding=session
        )
        created = key.create(started.ceremony.authn_params_public_key)
        await finish_registration(
            rt, person.user_id, started.ceremony.auth_session, created, INFO, binding=session
        )

        asked = await start_passkey(rt, INFO, binding=session, client_id=None)
        response = key.get(asked.authn_params_public_key)
        [raw] = key.credentials
        signed_in = await verify_passkey(
            rt,
            asked.auth_session,
            response,
            raw,
            INFO,
            binding=session,
            client_id=None,
            completes_login=False,
        )

        assert signed_in.user.id == person.user_id
        assert signed_in.amr == ("hwk", "user", "mfa")
    finally:
        await close_runtime(rt)
