"""Sealing factor state with the key ring, bound to the authenticator it belongs to."""

from __future__ import annotations

from twofold.flows.runtime import Runtime


def _aad(authenticator_id: str) -> bytes:
    # Binding the ciphertext to its row stops a secret being copied onto another authenticator.
    return b"twofold:authenticator:" + authenticator_id.encode()


def seal(rt: Runtime, authenticator_id: str, secret: bytes) -> tuple[bytes, str]:
    """Encrypt; returns the blob and the id of the key that wraps it."""
    return rt.keyring.encrypt(secret, aad=_aad(authenticator_id)), rt.keyring.active_kid


def unseal(rt: Runtime, authenticator_id: str, blob: bytes) -> bytes:
    return rt.keyring.decrypt(blob, aad=_aad(authenticator_id))
