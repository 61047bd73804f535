"""Applications (Auth0 clients): registration, administration and client authentication
(RFC 6749 section 2.3)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from twofold.audit import events
from twofold.domain import Application, JsonObject, Page
from twofold.errors import (
    InvalidClientError,
    InvalidRequestError,
    NotFoundError,
    UnauthorizedClientError,
)
from twofold.flows.client_metadata import (
    CONFIDENTIAL_TYPES,
    check_app_type,
    check_grants,
    check_name,
    check_urls,
    is_public,
)
from twofold.flows.grants import MANAGEMENT_SCOPES
from twofold.flows.runtime import Runtime
from twofold.security import compare, tokens
from twofold.store.uow import Tx
from twofold.types import ClientId

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What a client id can look like; anything else cannot exist (404 without a query)."""
EDITABLE = ("name", "app_type", "callbacks", "allowed_logout_urls", "grant_types")


@dataclass(frozen=True, slots=True)
class NewApplication:
    application: Application
    client_secret: str | None
    """Shown once; only its hash is stored."""


@dataclass(frozen=True, slots=True)
class ApplicationChanges:
    """A partial update: a field left None keeps its value."""

    name: str | None = None
    app_type: str | None = None
    callbacks: Sequence[str] | None = None
    allowed_logout_urls: Sequence[str] | None = None
    grant_types: Sequence[str] | None = None


def client_json(application: Application) -> JsonObject:
    """Auth0's client object, without any secret. Public clients authenticate with nothing
    (`none`); confidential ones are announced as `client_secret_post`, Auth0's default, though
    the token endpoint takes HTTP Basic as well."""
    return {
        "client_id": application.client_id,
        "name": application.name,
        "app_type": application.app_type,
        "is_first_party": True,
        "callbacks": list(application.callbacks),
        "allowed_logout_urls": list(application.allowed_logout_urls),
        "grant_types": list(application.grant_types),
        "token_endpoint_auth_method": "none" if application.is_public else "client_secret_post",
    }


def _creation_type(app_type: str | None, *, management: bool) -> str:
    """A Management API application is a machine: `non_interactive`, whatever else is asked."""
    if not management:
        return check_app_type(app_type or "regular_web")
    if app_type not in (None, "non_interactive"):
        raise InvalidRequestError("A management application's app_type is non_interactive.")
    return "non_interactive"


async def create_application(
    rt: Runtime,
    *,
    name: str,
    app_type: str | None = None,
    callbacks: Sequence[str] = (),
    allowed_logout_urls: Sequence[str] = (),
    grant_types: Sequence[str] | None = None,
    management: bool = False,
    actor: str = "cli",
) -> NewApplication:
    """A new application; spa and native ones are public and get no secret. `management`
    grants every Management API scope to its client_credentials tokens."""
    kind = _creation_type(app_type, management=management)
    name = check_name(name)
    grants = check_grants(grant_types, app_type=kind)
    secret = None if is_public(kind) else tokens.new_client_secret()
    application = Application(
        client_id=ClientId(tokens.new_client_id()),
        name=name,
        secret_hash=tokens.token_hash(secret) if secret else None,
        app_type=kind,
        grant_types=grants,
        scopes=MANAGEMENT_SCOPES if management else (),
        created_at=rt.clock.now(),
        callbacks=check_urls(callbacks, app_type=kind, field="callbacks"),
        allowed_logout_urls=check_urls(
            allowed_logout_urls, app_type=kind, field="allowed_logout_urls"
        ),
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


async def list_applications(rt: Runtime, *, page: int, per_page: int) -> Page[Application]:
    async with rt.store.read() as tx:
        return await tx.applications.page(page=page, per_page=per_page)


async def get_application(rt: Runtime, client_id: str) -> Application:
    async with rt.store.read() as tx:
        return await _existing(tx, client_id)


async def _existing(tx: Tx, client_id: str, *, lock: bool = False) -> Application:
    found = None
    if CLIENT_ID.fullmatch(client_id):
        found = await tx.applications.get(client_id, lock=lock)
    if found is None:
        raise NotFoundError("The client does not exist.")
    return found


def _changed(current: Application, changes: ApplicationChanges) -> Application:
    """`current` with the changes applied, each checked. A type may change only between the
    confidential ones: turning a public client confidential (or back) would mean minting (or
    silently dropping) a secret its owner never asked for."""
    app_type = current.app_type
    if changes.app_type is not None and changes.app_type != app_type:
        app_type = check_app_type(changes.app_type)
        if current.app_type not in CONFIDENTIAL_TYPES or app_type not in CONFIDENTIAL_TYPES:
            raise InvalidRequestError(
                "app_type can change only between regular_web and non_interactive."
            )
    updated = replace(current, app_type=app_type)
    if changes.name is not None:
        updated = replace(updated, name=check_name(changes.name))
    if changes.grant_types is not None:
        grants = check_grants(changes.grant_types, app_type=app_type)
        updated = replace(updated, grant_types=grants)
    if changes.callbacks is not None:
        callbacks = check_urls(changes.callbacks, app_type=app_type, field="callbacks")
        updated = replace(updated, callbacks=callbacks)
    if changes.allowed_logout_urls is not None:
        logout_urls = check_urls(
            changes.allowed_logout_urls, app_type=app_type, field="allowed_logout_urls"
        )
        updated = replace(updated, allowed_logout_urls=logout_urls)
    return updated


async def update_application(
    rt: Runtime, client_id: str, changes: ApplicationChanges, *, actor: str
) -> Application:
    """Apply `changes` (audited with the new values); a change to nothing writes nothing."""
    async with rt.store.transaction() as tx:
        current = await _existing(tx, client_id, lock=True)
        updated = _changed(current, changes)
        changed = _differences(current, updated)
        if changed:
            await tx.applications.update(updated)
            tx.record(
                events.ApplicationUpdated(
                    actor=actor, client_id=updated.client_id, name=updated.name, changes=changed
                ).entry()
            )
    return updated


def _differences(before: Application, after: Application) -> JsonObject:
    """The new value (as JSON) of every editable setting that changed."""
    changed: JsonObject = {}
    for field in EDITABLE:
        value = getattr(after, field)
        if value != getattr(before, field):
            changed[field] = list(value) if isinstance(value, tuple) else value
    return changed


async def delete_application(rt: Runtime, client_id: str, *, actor: str) -> None:
    """Its secret, and so its refresh tokens and codes, stop working at once (every grant
    authenticates the client again); access tokens already issued live out their lifetime."""
    async with rt.store.transaction() as tx:
        application = await _existing(tx, client_id, lock=True)
        await tx.applications.delete(application.client_id)
        tx.record(
            events.ApplicationDeleted(
                actor=actor, client_id=application.client_id, name=application.name
            ).entry()
        )


async def rotate_secret(rt: Runtime, client_id: str, *, actor: str) -> NewApplication:
    """A new secret, shown once; the old one stops working with this commit."""
    secret = tokens.new_client_secret()
    async with rt.store.transaction() as tx:
        current = await _existing(tx, client_id, lock=True)
        if current.is_public:
            raise InvalidRequestError(
                f"A {current.app_type} application is public: it has no secret to rotate."
            )
        application = replace(current, secret_hash=tokens.token_hash(secret))
        await tx.applications.update(application)
        tx.record(
            events.ApplicationSecretRotated(
                actor=actor, client_id=application.client_id, name=application.name
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
