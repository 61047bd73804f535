"""Token signing keys: create the first one, load the active signer and the published set."""

from __future__ import annotations

from twofold.config import Settings
from twofold.domain import SigningKey
from twofold.flows.runtime import Signing
from twofold.security.envelope import KeyRing
from twofold.security.jose import TokenSigner, TokenVerifier, generate_signing_key
from twofold.store.uow import Store
from twofold.types import Clock


def _aad(kid: str) -> bytes:
    return b"twofold:signing-key:" + kid.encode()


async def ensure_signing_key(
    store: Store, keyring: KeyRing, settings: Settings, clock: Clock
) -> None:
    """Create the first signing key if there is none (run once, before workers start)."""
    async with store.transaction() as tx:
        if any(key.active for key in await tx.keys.all()):
            return
        generated = generate_signing_key(settings.tokens.signing_alg)
        await tx.keys.add(
            SigningKey(
                kid=generated.kid,
                alg=generated.alg,
                private_key=keyring.encrypt(generated.private_pem, aad=_aad(generated.kid)),
                public_jwk=generated.public_jwk,
                created_at=clock.now(),
                active=True,
            ),
            key_id=keyring.active_kid,
        )


async def load_signing(store: Store, keyring: KeyRing) -> Signing:
    async with store.read() as tx:
        keys = await tx.keys.all()
    active = next((key for key in reversed(keys) if key.active), None)
    if active is None:
        raise RuntimeError("no signing key: run `twofold init` (or `twofold migrate`) first")
    published = [key.public_jwk for key in keys]
    signer = TokenSigner(
        kid=active.kid,
        alg=active.alg,
        private_pem=keyring.decrypt(active.private_key, aad=_aad(active.kid)),
        public_jwks=published,
    )
    return Signing(signer=signer, verifier=TokenVerifier(published))
