"""Applications: registration and client authentication (RFC 6749 section 2.3)."""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Application
from twofold.errors import InvalidClientError, InvalidRequestError, UnauthorizedClientError
from twofold.flows.grants import MANAGEMENT_SCOPES, GrantType
from twofold.flows.runtime import Runtime
from twofold.security import compare, tokens
from twofold.store.uow import Tx
from twofold.types import ClientId

APP_TYPES = ("regular_web", "spa", "native", "non_interactive")
USER_GRANTS = (
    GrantType.PASSWORD,
    GrantType.PASSWORD_REALM,
    GrantType.MFA_OTP,
    GrantType.MFA_OOB,
    GrantType.MFA_RECOVERY_CODE,
)


@dataclass(frozen=True, slots=True)
class NewApplication:
    application: Application
    client_secret: str | None
    """Shown once; only its hash is stored."""


async def create_application(
    rt: Runtime,
    *,
    name: str,
    app_type: str = "regular_web",
    management: bool = False,
    actor: str = "cli",
) -> NewApplication:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidRequestError("name must be 1 to 200 characters.")
    if app_type not in APP_TYPES:
        raise InvalidRequestError(f"app_type must be one of {', '.join(APP_TYPES)}.")
    public = app_type in ("spa", "native")
    secret = None if public else tokens.new_client_secret()
    grants = (GrantType.CLIENT_CREDENTIALS,) if management else USER_GRANTS
    application = Application(
        client_id=ClientId(tokens.new_client_id()),
        name=name,
        secret_hash=tokens.token_hash(secret) if secret else None,
        app_type="non_interactive" if management else app_type,
        grant_types=tuple(grant.value for grant in grants),
        scopes=MANAGEMENT_SCOPES if management else (),
        created_at=rt.clock.now(),
    )
    async with rt.store.transaction() as tx:
        await tx.applications.add(application)
        tx.record(
            events.ApplicationCreated(
                actor=actor,
                client_id=application.client_id,
                name=application.name,
                grant_types=application.grant_types,
                scopes=tuple(application.scopes),
            ).entry()
        )
    return NewApplication(application=application, client_secret=secret)


async def authenticate_client(
    tx: Tx, *, client_id: str | None, client_secret: str | None, grant_type: str | None = None
) -> Application:
    """A confidential client must prove its secret; a public one (spa, native) has none.

    Secrets are 384-bit random values, so a SHA-256 hash compared in constant time is as
    strong as a slow hash here and keeps argon2 off the token endpoint's hot path.
    """
    if not client_id:
        raise InvalidRequestError("Missing required parameter: client_id")
    return check_client(
        await tx.applications.get(client_id), client_secret=client_secret, grant_type=grant_type
    )


def check_client(
    application: Application | None, *, client_secret: str | None, grant_type: str | None
) -> Application:
    """`authenticate_client` once the application has been read (or found missing)."""
    if application is None:
        raise InvalidClientError("Unknown client or wrong client credentials.")
    if application.secret_hash is not None and not (
        client_secret and compare.equal(tokens.token_hash(client_secret), application.secret_hash)
    ):
        raise InvalidClientError("Unknown client or wrong client credentials.")
    if grant_type is not None and grant_type not in application.grant_types:
        raise UnauthorizedClientError(f"Grant type '{grant_type}' not allowed for the client.")
    return application
