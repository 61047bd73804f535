"""Building blocks for push transaction tests: an enrolled device (through the SDK), the
client's challenge and poll calls, and the app served by uvicorn on 127.0.0.1 in the test's
own event loop (the stream is a long response: the in-memory ASGI transport buffers whole
bodies, so the SDK's listener needs a real socket)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from tests.api.helpers import mfa_token
from tests.builders import Client, Person, a_client, a_user
from tests.push.devices import associate_push
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import Account, enrol
from twofold.security import tokens

MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"
PENDING = "Authorization pending: please repeat the request in a few seconds."


@dataclass(frozen=True, slots=True)
class Enrolled:
    person: Person
    app: Client
    account: Account


async def poll(
    http: httpx.AsyncClient, app: Client, token: str, oob_code: str, **extra: Any
) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        json={
            "grant_type": MFA_OOB,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "mfa_token": token,
            "oob_code": oob_code,
            **extra,
        },
    )


async def challenge(
    http: httpx.AsyncClient, app: Client, token: str, **extra: Any
) -> httpx.Response:
    return await http.post(
        "/mfa/challenge",
        json={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "mfa_token": token,
            "challenge_type": "oob",
            **extra,
        },
    )


async def enrolled(http: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock) -> Enrolled:
    """A user whose first factor is a device enrolled by the SDK (stream provider), with
    the enrolment confirmed by polling as a client does."""
    person = await a_user(runtime)
    app = await a_client(runtime)
    token = await mfa_token(http, app, person)
    body = (await associate_push(http, token)).json()
    account = await enrol(body["barcode_uri"], name="Test phone", http=http, now=clock.now())
    done = await poll(http, app, token, body["oob_code"])
    assert done.status_code == 200, done.text
    return Enrolled(person, app, account)


async def challenged(
    http: httpx.AsyncClient, device: Enrolled, **extra: Any
) -> tuple[str, dict[str, Any]]:
    """A fresh `mfa_token` and the push challenge's answer for it."""
    token = await mfa_token(http, device.app, device.person)
    response = await challenge(http, device.app, token, **extra)
    assert response.status_code == 200, response.text
    return token, response.json()


async def push_id_of(runtime: Runtime, oob_code: str) -> str:
    async with runtime.store.read() as tx:
        push = await tx.push_transactions.by_oob_code(tokens.token_hash(oob_code))
    assert push is not None
    return push.id


class Rerouted(httpx.AsyncBaseTransport):
    """Sends every request to one server whatever its URL's host: the device's account
    names the issuer, the test's server listens on a free port."""

    def __init__(self, target: str) -> None:
        self._target = httpx.URL(target)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self._target.scheme, host=self._target.host, port=self._target.port
        )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@asynccontextmanager
async def live(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a loopback port, and an HTTP client whose requests all go there."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(transport=Rerouted(f"http://127.0.0.1:{port}")) as http:
            yield http
    finally:
        server.should_exit = True
        await task
        listener.close()
