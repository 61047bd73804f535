"""The composition root: builds the runtime (store, keys, limiter, factors) and the ASGI app."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import FastAPI

from twofold import __version__, web
from twofold.api import (
    device,
    errors,
    management,
    mfa,
    oauth,
    oidc,
    openapi,
    passkey,
    wellknown,
)
from twofold.channels import build_channels
from twofold.channels.push import build_push_senders
from twofold.clock import SystemClock
from twofold.config import Settings
from twofold.factors.oob import OobCodes
from twofold.factors.recovery import RecoveryCodeFactor
from twofold.factors.registry import build_registry
from twofold.factors.webauthn.ceremony import RelyingParty
from twofold.flows.runtime import Runtime
from twofold.flows.signing import load_signing
from twofold.policy.geo import GeoLookup
from twofold.policy.risk import DenyList
from twofold.security.envelope import KeyRing
from twofold.security.limits import AttemptLimiter
from twofold.security.passwords import PasswordHasher
from twofold.store.broker import LocalBroker, PushBroker, RedisBroker
from twofold.store.db import create_engine
from twofold.store.limits.redis import RedisLimiter
from twofold.store.limits.sql import SqlLimiter
from twofold.store.uow import Store
from twofold.types import Clock, FactorType


async def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Everything flows need. Signing keys must exist (`twofold init` creates them).

    The channels and the GeoIP database come first: settings that cannot deliver codes (an
    outbox behind an https issuer, a provider without its credentials) or an unreadable
    `.mmdb` stop the start before anything opens.
    """
    clock = clock or SystemClock()
    channels = build_channels(settings, clock=clock)
    push_senders = build_push_senders(settings, clock=clock)
    geo = GeoLookup(settings.policy.geoip_database)
    engine = create_engine(settings)
    store = Store(engine, clock=clock, audit_chains=settings.audit_chains)
    keyring = KeyRing.load_or_create(settings.master_key_path)
    limiter: AttemptLimiter = (
        RedisLimiter.from_url(settings.redis_url) if settings.redis_url else SqlLimiter(engine)
    )
    broker: PushBroker = (
        RedisBroker.from_url(settings.redis_url) if settings.redis_url else LocalBroker()
    )
    hasher = functools.partial(keyring.keyed_hash, purpose="recovery-code")
    factors = build_registry(recovery_hasher=hasher)
    return Runtime(
        settings=settings,
        clock=clock,
        store=store,
        keyring=keyring,
        passwords=PasswordHasher(settings.passwords),
        limiter=limiter,
        signing=await load_signing(store, keyring),
        factors=factors,
        recovery=cast(RecoveryCodeFactor, factors[FactorType.RECOVERY_CODE]),
        oob=OobCodes(
            hasher=functools.partial(keyring.keyed_hash, purpose="oob-code"),
            settings=settings.oob,
        ),
        channels=channels,
        relying_party=RelyingParty.from_settings(settings),
        geo=geo,
        deny_list=DenyList.from_entries(settings.policy.ip_deny_list),
        push_broker=broker,
        push_senders=push_senders,
    )


async def close_runtime(runtime: Runtime) -> None:
    if isinstance(runtime.limiter, RedisLimiter):
        await runtime.limiter.aclose()
    await runtime.push_broker.aclose()
    await runtime.store.engine.dispose()
    runtime.passwords.close()
    runtime.geo.close()


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """The ASGI app. Tests pass a prepared `runtime`; servers let the lifespan build one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        built = await build_runtime(settings)
        app.state.runtime = built
        try:
            yield
        finally:
            await close_runtime(built)

    app = FastAPI(
        title="Twofold",
        version=__version__,
        description="Self-hosted MFA server with an Auth0-compatible API.",
        lifespan=lifespan,
    )
    if runtime is not None:
        app.state.runtime = runtime
    errors.install(app)
    openapi.install(app)
    app.include_router(oauth.router)
    app.include_router(mfa.router)
    app.include_router(passkey.router)
    app.include_router(management.router)
    app.include_router(wellknown.router)
    app.include_router(oidc.router)
    app.include_router(device.router)
    web.install(app)
    return app


def create_app_from_env() -> FastAPI:
    """Uvicorn factory for `twofold serve` workers (each reads the same environment)."""
    return create_app(Settings())
