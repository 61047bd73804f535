"""The client_credentials grant: machine-to-machine tokens (the Management API's door)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.errors import AccessDeniedError, TwofoldError
from twofold.flows.clients import authenticate_client
from twofold.flows.grants import GrantType
from twofold.flows.login import ip_key
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tokens import TokenSet
from twofold.security import tokens


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    client_id: str | None
    client_secret: str | None
    audience: str | None
    scope: str | None


async def client_credentials_grant(
    rt: Runtime, grant: ClientCredentials, info: RequestInfo
) -> TokenSet:
    settings = rt.settings
    await rt.limiter.check(
        [(ip_key(info.ip), settings.limits.token_endpoint_per_ip)], now=rt.clock.now()
    )
    try:
        async with rt.store.read() as tx:
            application = await authenticate_client(
                tx,
                client_id=grant.client_id,
                client_secret=grant.client_secret,
                grant_type=GrantType.CLIENT_CREDENTIALS,
            )
    except TwofoldError:
        await rt.limiter.fail(
            ip_key(info.ip), settings.limits.token_endpoint_per_ip, now=rt.clock.now()
        )
        raise
    audience = grant.audience or settings.management_audience
    if audience != settings.management_audience:
        raise AccessDeniedError(f"Service not found: {audience[:200]}")
    requested = (grant.scope or "").split()
    granted = (
        [s for s in requested if s in application.scopes] if requested else list(application.scopes)
    )
    if requested and not granted:
        raise AccessDeniedError("Client has not been granted the requested scopes.")
    now = rt.clock.now()
    iat = int(now.timestamp())
    ttl = settings.tokens.access_token_ttl
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": f"{application.client_id}@clients",
        "aud": audience,
        "iat": iat,
        "exp": iat + ttl,
        "azp": application.client_id,
        "scope": " ".join(granted),
        "gty": "client-credentials",
        "jti": tokens.new_token()[:22],
    }
    async with rt.store.transaction() as tx:
        tx.record(
            events.TokenExchange(
                client_id=application.client_id,
                ip=info.ip,
                user_agent=info.user_agent,
                grant="client_credentials",
                audience=audience,
            ).entry()
        )
    return TokenSet(
        access_token=rt.signing.signer.sign(claims), expires_in=ttl, scope=" ".join(granted)
    )
