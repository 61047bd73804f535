"""The example's relying-party logic, offline: PKCE, the authorize and logout URLs, the
step-up decision, return paths, settings and its session store."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from examples.stepup_app.oidc import (
    SignIn,
    authorize_url,
    code_challenge,
    logout_url,
    needs_step_up,
    safe_return_to,
    start_sign_in,
)
from examples.stepup_app.sessions import PENDING_TTL, SessionStore
from examples.stepup_app.settings import AppSettings, SettingsError

from twofold.sdk import MULTI_FACTOR_ACR

SETTINGS = AppSettings(issuer="https://mfa.example.test", client_id="cid", client_secret="secret")
NOW = 1_800_000_000.0


def a_sign_in(
    *, amr: tuple[str, ...] = ("pwd", "mfa", "otp"), auth_time: int | None = None
) -> SignIn:
    return SignIn(
        sub="auth0|u1",
        email="u1@example.test",
        auth_time=int(NOW) if auth_time is None else auth_time,
        amr=amr,
        acr=MULTI_FACTOR_ACR if "mfa" in amr else None,
        id_token="id.token.value",
        access_token="access.token.value",
    )


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_code_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_each_sign_in_has_fresh_single_use_values() -> None:
    first, second = (start_sign_in(return_to="/", now=NOW) for _ in range(2))
    assert {first.state, first.nonce, first.code_verifier}.isdisjoint(
        {second.state, second.nonce, second.code_verifier}
    )
    assert 43 <= len(first.code_verifier) <= 128  # RFC 7636 section 4.1


def test_a_plain_sign_in_asks_for_the_code_with_pkce_and_a_nonce() -> None:
    pending = start_sign_in(return_to="/", now=NOW)
    url = authorize_url(SETTINGS, pending)
    assert url.startswith("https://mfa.example.test/authorize?")
    assert query(url) == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "http://localhost:5000/callback",
        "scope": "openid profile email",
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": code_challenge(pending.code_verifier),
        "code_challenge_method": "S256",
    }


def test_a_step_up_asks_for_the_multi_factor_acr_within_max_age() -> None:
    pending = start_sign_in(return_to="/sensitive", now=NOW, step_up=True, max_age=300)
    params = query(authorize_url(SETTINGS, pending))
    assert (params["acr_values"], params["max_age"]) == (MULTI_FACTOR_ACR, "300")


def test_a_named_api_audience_is_requested() -> None:
    settings = AppSettings(
        issuer="https://mfa.example.test/",
        client_id="cid",
        client_secret="secret",
        api_audience="https://api.example.test/",
    )
    pending = start_sign_in(return_to="/", now=NOW)
    assert query(authorize_url(settings, pending))["audience"] == "https://api.example.test/"
    assert SETTINGS.audience == "https://mfa.example.test/userinfo"


def test_logout_goes_to_twofold_with_the_id_token_hint() -> None:
    url = logout_url(SETTINGS, a_sign_in())
    assert url.startswith("https://mfa.example.test/oidc/logout?")
    assert query(url) == {
        "client_id": "cid",
        "post_logout_redirect_uri": "http://localhost:5000/",
        "id_token_hint": "id.token.value",
    }


@pytest.mark.parametrize(
    ("sign_in", "expected"),
    [
        (None, True),
        (a_sign_in(), False),
        (a_sign_in(auth_time=int(NOW) - 300), False),
        (a_sign_in(auth_time=int(NOW) - 301), True),
        (a_sign_in(amr=("pwd",)), True),
    ],
)
def test_step_up_is_needed_without_a_recent_mfa(sign_in: SignIn | None, expected: bool) -> None:
    assert needs_step_up(sign_in, max_age=300, now=NOW) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/sensitive?x=1", "/sensitive?x=1"),
        (None, "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
    ],
)
def test_only_local_paths_are_returned_to(value: str | None, expected: str) -> None:
    assert safe_return_to(value) == expected


def test_settings_come_from_the_environment() -> None:
    settings = AppSettings.from_env(
        {
            "TWOFOLD_ISSUER": "http://127.0.0.1:8000/",
            "CLIENT_ID": "cid",
            "CLIENT_SECRET": "s",
            "APP_BASE_URL": "http://localhost:5001/",
            "STEP_UP_MAX_AGE": "60",
        }
    )
    assert (settings.base_url, settings.redirect_uri, settings.step_up_max_age) == (
        "http://localhost:5001",
        "http://localhost:5001/callback",
        60,
    )
    with pytest.raises(SettingsError, match="CLIENT_ID, CLIENT_SECRET"):
        AppSettings.from_env({"TWOFOLD_ISSUER": "http://127.0.0.1:8000/"})
    with pytest.raises(SettingsError, match="issuer"):
        AppSettings(issuer="127.0.0.1:8000", client_id="c", client_secret="s")


def test_a_pending_sign_in_is_taken_once_and_expires() -> None:
    now = [NOW]
    store = SessionStore(clock=lambda: now[0])
    session = store.start()
    first, second = (start_sign_in(return_to="/", now=NOW) for _ in range(2))
    store.remember(session, first)
    store.remember(session, second)
    assert store.take(session, first.state) == first
    assert store.take(session, first.state) is None
    now[0] += PENDING_TTL + 1
    assert store.take(session, second.state) is None


def test_signing_in_changes_the_session_id() -> None:
    store = SessionStore(clock=lambda: NOW)
    anonymous = store.start()
    signed_in = store.sign_in(anonymous, a_sign_in())
    assert signed_in.id != anonymous.id
    assert store.get(anonymous.id) is None
    assert store.get(signed_in.id) is signed_in
