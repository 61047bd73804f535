"""TOTP factor: RFC 6238 appendix B vectors, drift edges, single use, input rules, key URI."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from twofold.config import OtpSettings
from twofold.errors import InvalidOtpError, TwofoldError
from twofold.factors.base import Challenge, FactorContext, FactorState
from twofold.factors.otp import Algorithm, TotpFactor, encode_secret, totp_now
from twofold.types import Amr

FACTOR = TotpFactor()
SEEDS: dict[Algorithm, bytes] = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890" * 6 + b"1234",
}
RFC6238_VECTORS: list[tuple[int, Algorithm, str]] = [
    (59, "SHA1", "94287082"),
    (59, "SHA256", "46119246"),
    (59, "SHA512", "90693936"),
    (1111111109, "SHA1", "07081804"),
    (1111111109, "SHA256", "68084774"),
    (1111111109, "SHA512", "25091201"),
    (1111111111, "SHA1", "14050471"),
    (1111111111, "SHA256", "67062674"),
    (1111111111, "SHA512", "99943326"),
    (1234567890, "SHA1", "89005924"),
    (1234567890, "SHA256", "91819424"),
    (1234567890, "SHA512", "93441116"),
    (2000000000, "SHA1", "69279037"),
    (2000000000, "SHA256", "90698825"),
    (2000000000, "SHA512", "38618901"),
    (20000000000, "SHA1", "65353130"),
    (20000000000, "SHA256", "77737706"),
    (20000000000, "SHA512", "47863826"),
]
NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)  # a multiple of 30 s: a step boundary
STEP = int(NOW.timestamp()) // 30
SECRET = bytes(range(20))
SECRET_B32 = encode_secret(SECRET)


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def context(now: dt.datetime = NOW, **otp: object) -> FactorContext:
    return FactorContext(
        now=now,
        tenant_name="Acme Corp",
        account_name="jane@example.com",
        otp=OtpSettings.model_validate(otp),
    )


def state(secret: bytes = SECRET, *, last_step: int = -1, **params: object) -> FactorState:
    return FactorState(
        secret=secret,
        params={"algorithm": "SHA1", "digits": 6, "period": 30, **params},
        last_step=last_step,
    )


def decode_b32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code_at(step: int, secret: bytes = SECRET) -> str:
    return totp_now(encode_secret(secret), now=at(step * 30))


@pytest.mark.parametrize(("unix_time", "algorithm", "expected"), RFC6238_VECTORS)
async def test_rfc6238_appendix_b_vector_verifies(
    unix_time: int, algorithm: Algorithm, expected: str
) -> None:
    seed = SEEDS[algorithm]
    vector_state = state(seed, algorithm=algorithm, digits=8)

    verification = await FACTOR.verify(
        context(at(unix_time), drift_steps=0), vector_state, expected
    )

    assert verification.amr == (Amr.OTP,)
    assert verification.last_step == unix_time // 30
    assert verification.state is None
    assert totp_now(encode_secret(seed), now=at(unix_time), algorithm=algorithm, digits=8) == (
        expected
    )


@pytest.mark.parametrize("offset", [-1, 1])
async def test_code_at_the_drift_edge_is_accepted(offset: int) -> None:
    verification = await FACTOR.verify(context(drift_steps=1), state(), code_at(STEP + offset))

    assert verification.last_step == STEP + offset


@pytest.mark.parametrize("offset", [-2, 2])
async def test_code_just_past_the_drift_edge_is_rejected(offset: int) -> None:
    with pytest.raises(InvalidOtpError):
        await FACTOR.verify(context(drift_steps=1), state(), code_at(STEP + offset))


async def test_zero_drift_accepts_only_the_current_step() -> None:
    ctx = context(drift_steps=0)
    assert (await FACTOR.verify(ctx, state(), code_at(STEP))).last_step == STEP
    with pytest.raises(InvalidOtpError):
        await FACTOR.verify(ctx, state(), code_at(STEP - 1))


async def test_a_spent_step_is_rejected() -> None:
    first = await FACTOR.verify(context(), state(), code_at(STEP))
    assert first.last_step == STEP

    with pytest.raises(InvalidOtpError):
        await FACTOR.verify(context(), state(last_step=STEP), code_at(STEP))


async def test_an_earlier_step_is_rejected_after_a_later_one() -> None:
    later = await FACTOR.verify(context(), state(), code_at(STEP + 1))
    assert later.last_step == STEP + 1

    for earlier in (STEP, STEP - 1):
        with pytest.raises(InvalidOtpError):
            await FACTOR.verify(context(), state(last_step=STEP + 1), code_at(earlier))


async def test_the_step_after_the_spent_one_is_accepted() -> None:
    verification = await FACTOR.verify(context(), state(last_step=STEP - 1), code_at(STEP))

    assert verification.last_step == STEP


async def test_a_code_shared_by_two_steps_matches_the_newest_unspent_one() -> None:
    # With the RFC SHA1 seed, steps 910737 and 910738 both give 911617 (found by search).
    seed = SEEDS["SHA1"]
    assert code_at(910737, seed) == code_at(910738, seed) == "911617"
    ctx = context(at(910738 * 30))

    fresh = await FACTOR.verify(ctx, state(seed), "911617")
    after_older_spent = await FACTOR.verify(ctx, state(seed, last_step=910737), "911617")

    assert fresh.last_step == 910738
    assert after_older_spent.last_step == 910738


async def test_spaces_inside_the_code_are_ignored() -> None:
    code = code_at(STEP)

    verification = await FACTOR.verify(context(), state(), f" {code[:3]} {code[3:]}\t")

    assert verification.last_step == STEP


@pytest.mark.parametrize(
    "response",
    ["", "   ", "12345", "1234567", "12a456", "12-456", "+12345", "١٢٣٤٥٦", "12345\x00"],
)
async def test_malformed_code_is_rejected(response: str) -> None:
    with pytest.raises(InvalidOtpError) as caught:
        await FACTOR.verify(context(), state(), response)

    assert caught.value.code == "invalid_grant"
    assert caught.value.description == "Invalid otp_code."


async def test_six_digits_are_rejected_by_an_eight_digit_authenticator() -> None:
    eight = totp_now(SECRET_B32, now=NOW, digits=8)

    with pytest.raises(InvalidOtpError):
        await FACTOR.verify(context(), state(digits=8), eight[2:])
    assert (await FACTOR.verify(context(), state(digits=8), eight)).last_step == STEP


@pytest.mark.parametrize(
    "params",
    [{"algorithm": "MD5"}, {"digits": 7}, {"digits": "6"}, {"period": 0}, {"period": True}],
)
async def test_corrupt_stored_params_are_a_server_error(params: dict[str, object]) -> None:
    corrupt = FactorState(secret=SECRET, params={**state().params, **params})
    with pytest.raises(TwofoldError) as caught:
        await FACTOR.verify(context(), corrupt, code_at(STEP))

    assert type(caught.value) is TwofoldError
    assert caught.value.code == "server_error"


async def test_enrolment_shows_the_secret_and_an_auth0_shaped_key_uri() -> None:
    enrolment = await FACTOR.begin_enrolment(context())

    secret_b32 = enrolment.display["secret"]
    assert "=" not in secret_b32
    assert decode_b32(secret_b32) == enrolment.state.secret
    assert len(enrolment.state.secret) == 20
    assert enrolment.state.params == {"algorithm": "SHA1", "digits": 6, "period": 30}
    assert enrolment.state.last_step == -1
    assert enrolment.display["barcode_uri"] == (
        f"otpauth://totp/Acme%20Corp:jane%40example.com?secret={secret_b32}"
        "&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30"
    )


async def test_key_uri_parses_back_to_its_fields() -> None:
    ctx = FactorContext(
        now=NOW,
        tenant_name="Acme: Staging & Co",
        account_name="jane+mfa@example.com",
        otp=OtpSettings(),
    )
    enrolment = await FACTOR.begin_enrolment(ctx)

    uri = urlsplit(enrolment.display["barcode_uri"])
    issuer, _, account = uri.path.removeprefix("/").partition(":")
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert (unquote(issuer), unquote(account)) == ("Acme: Staging & Co", "jane+mfa@example.com")
    assert parse_qs(uri.query, strict_parsing=True) == {
        "secret": [enrolment.display["secret"]],
        "issuer": ["Acme: Staging & Co"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }


@pytest.mark.parametrize(("algorithm", "size"), [("SHA1", 20), ("SHA256", 32), ("SHA512", 64)])
async def test_secret_is_sized_to_the_hash(algorithm: Algorithm, size: int) -> None:
    enrolment = await FACTOR.begin_enrolment(context(algorithm=algorithm))

    assert len(enrolment.state.secret) == size
    assert "=" not in enrolment.display["secret"]
    assert decode_b32(enrolment.display["secret"]) == enrolment.state.secret
    assert enrolment.state.params["algorithm"] == algorithm


async def test_eight_digit_sha256_enrolment_round_trip() -> None:
    ctx = context(algorithm="SHA256", digits=8, period=60)
    enrolment = await FACTOR.begin_enrolment(ctx)
    query = parse_qs(urlsplit(enrolment.display["barcode_uri"]).query)
    assert (query["algorithm"], query["digits"], query["period"]) == (["SHA256"], ["8"], ["60"])

    code = totp_now(query["secret"][0], now=NOW, algorithm="SHA256", digits=8, period=60)
    verification = await FACTOR.finish_enrolment(ctx, enrolment.state, code)

    assert len(code) == 8
    assert verification.amr == (Amr.OTP,)
    assert verification.last_step == int(NOW.timestamp()) // 60


async def test_enrolments_get_distinct_secrets() -> None:
    first = await FACTOR.begin_enrolment(context())
    second = await FACTOR.begin_enrolment(context())

    assert first.state.secret != second.state.secret


async def test_challenge_is_otp_with_no_data() -> None:
    assert await FACTOR.challenge(context(), state()) == Challenge("otp", {})
