"""Identifier and bearer-secret formats (docs/decisions/002-tokens-and-hashes.md)."""

from __future__ import annotations

import hashlib
import re

import pytest

from twofold.security import tokens

URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


def test_new_token_is_43_url_safe_characters_and_well_formed() -> None:
    made = {tokens.new_token() for _ in range(50)}
    assert len(made) == 50
    for token in made:
        assert len(token) == 43
        assert URL_SAFE.fullmatch(token)
        assert tokens.is_well_formed(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a" * 42,
        "a" * 44,
        "a" * 42 + "=",
        "a" * 42 + "+",
        "a" * 42 + "/",
        "a" * 42 + ".",
        "a" * 42 + " ",
        "a" * 43 + "\n",
        "\n" + "a" * 43,
        "a" * 42 + "é",
        "a" * 42 + "٣",  # a Unicode digit, which `\d` would have let through
    ],
)
def test_is_well_formed_refuses_other_shapes(token: str) -> None:
    assert tokens.is_well_formed(token) is False


def test_ids_look_like_auth0_ids() -> None:
    assert re.fullmatch(r"auth0\|[0-9a-f]{24}", tokens.new_user_id())
    assert re.fullmatch(r"totp\|dev_[A-Za-z0-9_-]{16}", tokens.new_authenticator_id("totp"))
    assert re.fullmatch(
        r"recovery-code\|dev_[A-Za-z0-9_-]{16}", tokens.new_authenticator_id("recovery-code")
    )
    assert re.fullmatch(r"tx_[0-9a-f]{24}", tokens.new_transaction_id())
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", tokens.new_client_id())
    assert re.fullmatch(r"[A-Za-z0-9_-]{64}", tokens.new_client_secret())
    assert tokens.new_user_id() != tokens.new_user_id()


def test_token_hash_is_sha256_hex() -> None:
    assert tokens.token_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    token = tokens.new_token()
    assert tokens.token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert tokens.token_hash(token) != tokens.token_hash(token[:-1])
