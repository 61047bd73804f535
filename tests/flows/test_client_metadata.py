"""flows/client_metadata.py: names, grant types per application type and redirect URLs."""

from __future__ import annotations

import pytest

from twofold.errors import InvalidRequestError
from twofold.flows.client_metadata import (
    DEFAULT_GRANTS,
    check_grants,
    check_name,
    check_url,
    check_urls,
)


@pytest.mark.parametrize(
    ("url", "native"),
    [
        ("https://app.example.com/callback?tenant=1", False),
        ("http://localhost:3000/callback", False),
        ("http://127.0.0.1/callback", False),
        ("http://[::1]:8080/callback", False),
        ("HTTP://LOCALHOST/cb", False),
        ("com.example.app:/callback", True),
        ("myapp://callback", True),
        ("http://127.0.0.1:53124/", True),
        ("https://app.example.com/ios/callback", True),
    ],
)
def test_accepted_urls(url: str, native: bool) -> None:
    check_url(url, native=native, where="callbacks[0]")


@pytest.mark.parametrize(
    ("url", "native", "problem"),
    [
        ("http://localhost.example.com/", False, "must use https"),
        ("http://10.0.0.1/", True, "must use https"),
        ("https:///no-host", False, "must name a host"),
        ("https://:443/", False, "must name a host"),
        ("https://a@example.com/", False, "no user or password"),
        ("https://example.com:99999/", False, "not a well-formed URL"),
        ("https://example.com:port/", False, "not a well-formed URL"),
        ("/relative/callback", False, "absolute https URL"),
        ("/relative/callback", True, "custom scheme URL"),
        ("data:text/html,hi", True, "custom scheme URL"),
        ("file:///etc/passwd", True, "custom scheme URL"),
        ("1app:/callback", True, "custom scheme URL"),
        ("myapp:", True, "custom scheme URL"),
        ("https://example.com/caf\u00e9", False, "printable ASCII"),
        ("https://example.com/\x00", False, "printable ASCII"),
        (f"https://example.com/{'a' * 1981}", False, "at most 2000 characters"),
    ],
)
def test_refused_urls_say_why_and_where(url: str, native: bool, problem: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        check_url(url, native=native, where="callbacks[3]")
    assert raised.value.description.startswith("callbacks[3] ")
    assert problem in raised.value.description
    assert url not in raised.value.description


def test_a_url_of_exactly_2000_characters_is_accepted() -> None:
    url = f"https://example.com/{'a' * 1980}"
    assert len(url) == 2000
    check_url(url, native=False, where="callbacks[0]")


def test_urls_keep_their_order_once_each_and_at_most_100() -> None:
    urls = ["https://b.example/", "https://a.example/", "https://b.example/"]
    assert check_urls(urls, app_type="spa", field="callbacks") == (
        "https://b.example/",
        "https://a.example/",
    )
    hundred = [f"https://example.com/{n}" for n in range(100)]
    assert len(check_urls(hundred, app_type="spa", field="callbacks")) == 100
    with pytest.raises(InvalidRequestError) as raised:
        check_urls([*hundred, "https://example.com/x"], app_type="spa", field="callbacks")
    assert raised.value.description == "callbacks must hold at most 100 URLs."


def test_default_grants_per_application_type() -> None:
    defaults = {kind: check_grants(None, app_type=kind) for kind in DEFAULT_GRANTS}
    assert defaults["regular_web"][:3] == ("authorization_code", "refresh_token", "password")
    assert len(defaults["regular_web"]) == 8
    assert defaults["regular_web"][-1] == "urn:okta:params:oauth:grant-type:webauthn"
    assert defaults["spa"] == defaults["native"] == ("authorization_code", "refresh_token")
    assert defaults["non_interactive"] == ("client_credentials",)


@pytest.mark.parametrize("app_type", ["regular_web", "non_interactive"])
def test_confidential_clients_may_use_any_known_grant(app_type: str) -> None:
    grants = ["client_credentials", "password", "authorization_code", "password"]
    assert check_grants(grants, app_type=app_type) == (
        "client_credentials",
        "password",
        "authorization_code",
    )
    assert check_grants([], app_type=app_type) == ()


@pytest.mark.parametrize(
    "grant",
    ["client_credentials", "password", "http://auth0.com/oauth/grant-type/password-realm"],
)
def test_public_clients_cannot_use_secret_grants(grant: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        check_grants(["refresh_token", grant], app_type="spa")
    assert raised.value.description == (
        f"A spa application is public (it has no secret): it cannot use the {grant} grant."
    )


def test_public_clients_may_use_the_mfa_grants() -> None:
    grants = ["authorization_code", "http://auth0.com/oauth/grant-type/mfa-otp"]
    assert check_grants(grants, app_type="native") == tuple(grants)


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("", "name must be 1 to 200 characters."),
        ("  \t ", "name must be 1 to 200 characters."),
        ("x" * 201, "name must be 1 to 200 characters."),
        ("tab\tinside", "name must not contain control characters."),
        ("lone \udade surrogate", "name must not contain control characters."),
    ],
)
def test_refused_names(name: str, description: str) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        check_name(name)
    assert raised.value.description == description


def test_names_are_trimmed() -> None:
    assert check_name("  Web shop \n") == "Web shop"
    assert check_name("x" * 200) == "x" * 200
