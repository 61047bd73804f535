"""Recovery codes: format, normalisation, hashed comparison, and the Factor protocol path."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

import pytest

from twofold.config import OtpSettings
from twofold.errors import InvalidRecoveryCodeError, TwofoldError
from twofold.factors.base import Challenge, FactorContext, FactorState
from twofold.factors.recovery import RecoveryCodeFactor, normalise

TEST_KEY = b"recovery-code test key"
CODE = "N3BGPZZWJ85JLCNPZBDW6QXC"


def keyed_hash(code: str) -> str:
    return hmac.new(TEST_KEY, code.encode(), hashlib.sha256).hexdigest()


FACTOR = RecoveryCodeFactor(hasher=keyed_hash)
CTX = FactorContext(
    now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
    tenant_name="Acme",
    account_name="jane@example.com",
    otp=OtpSettings(),
)


def test_new_code_is_24_uppercase_letters_and_digits_with_its_hash() -> None:
    code, code_hash = FACTOR.new_code()

    assert re.fullmatch(r"[A-Z0-9]{24}", code)
    assert code_hash == keyed_hash(code)


def test_new_codes_differ() -> None:
    codes = {FACTOR.new_code()[0] for _ in range(50)}

    assert len(codes) == 50


def test_the_issued_code_checks() -> None:
    code, code_hash = FACTOR.new_code()

    verification = FACTOR.check(code_hash, code)

    assert verification.amr == ()
    assert verification.last_step is None
    assert verification.state is None


@pytest.mark.parametrize(
    "typed",
    [
        "n3bgpzzwj85jlcnpzbdw6qxc",
        "N3BG-PZZW-J85J-LCNP-ZBDW-6QXC",
        " N3BG PZZW J85J LCNP ZBDW 6QXC\n",
        "n3Bg-pzzw j85j-LCNP zbdw-6qxc",
    ],
)
def test_case_spaces_and_dashes_are_forgiven(typed: str) -> None:
    assert normalise(typed) == CODE
    assert FACTOR.check(keyed_hash(CODE), typed).amr == ()


def test_the_hasher_sees_the_normalised_code() -> None:
    seen: list[str] = []

    def recording_hash(code: str) -> str:
        seen.append(code)
        return keyed_hash(code)

    RecoveryCodeFactor(hasher=recording_hash).check(
        keyed_hash(CODE), "n3bg-pzzw-j85j-lcnp-zbdw-6qxc"
    )

    assert seen == [CODE]


def test_a_different_valid_code_is_rejected() -> None:
    with pytest.raises(InvalidRecoveryCodeError) as caught:
        FACTOR.check(keyed_hash(CODE), "N3BGPZZWJ85JLCNPZBDW6QXD")

    assert caught.value.code == "invalid_grant"
    assert caught.value.description == "Invalid recovery_code."


def test_the_right_code_under_another_key_is_rejected() -> None:
    other_key_hash = hmac.new(b"another key", CODE.encode(), hashlib.sha256).hexdigest()

    with pytest.raises(InvalidRecoveryCodeError):
        FACTOR.check(other_key_hash, CODE)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        CODE[:-1],
        CODE + "A",
        CODE[:-1] + "_",
        CODE[:-1] + "\u0131",  # dotless i upper-cases to "I"
        CODE[:-1] + "\uff21",  # fullwidth A
        CODE[:-1] + "+",
    ],
)
def test_malformed_code_is_rejected_before_hashing(typed: str) -> None:
    seen: list[str] = []

    def recording_hash(code: str) -> str:
        seen.append(code)
        return keyed_hash(code)

    with pytest.raises(InvalidRecoveryCodeError):
        RecoveryCodeFactor(hasher=recording_hash).check(keyed_hash(CODE), typed)
    assert seen == []


async def test_protocol_enrolment_and_verification_round_trip() -> None:
    enrolment = await FACTOR.begin_enrolment(CTX)
    code = enrolment.display["recovery_code"]

    assert enrolment.state.params == {"hash": keyed_hash(code)}
    assert enrolment.state.secret == b""
    assert (await FACTOR.finish_enrolment(CTX, enrolment.state, code.lower())).amr == ()
    assert (await FACTOR.verify(CTX, enrolment.state, code)).amr == ()
    with pytest.raises(InvalidRecoveryCodeError):
        await FACTOR.verify(CTX, enrolment.state, CODE if code != CODE else CODE[::-1])


async def test_protocol_verify_without_a_stored_hash_is_a_server_error() -> None:
    with pytest.raises(TwofoldError) as caught:
        await FACTOR.verify(CTX, FactorState(secret=b"", params={}), CODE)

    assert type(caught.value) is TwofoldError


async def test_challenge_is_recovery_code() -> None:
    state = FactorState(secret=b"", params={"hash": keyed_hash(CODE)})

    assert await FACTOR.challenge(CTX, state) == Challenge("recovery-code", {})
