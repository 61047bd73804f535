"""The WebAuthn second factor under load: `/mfa/challenge` (`challenge_type: "webauthn"`) and
the WebAuthn grant answering it, over HTTP.

    bench/webauthn_http.py [--databases sqlite,postgresql] [--concurrency 16] [--duration 15]
    make bench BENCH=webauthn BENCH_ARGS="--duration 10"

(Not `bench/webauthn.py`: a script of that name would shadow the py_webauthn package for every
script in bench/, since Python puts a script's directory first on the path.)

Like bench/mfa_otp.py: `twofold serve` on a fresh SQLite data dir, then on a fresh PostgreSQL
database; users, each with an active security key (`webauthn-roaming`) and one open
`mfa_token`, are seeded straight into the store. The measured step is two requests: the
challenge, then the grant with an assertion the software authenticator (tests/support) signs
between them, ES256, on the load generator's core (about 0.1 ms of its CPU per step). Every
seeded user answers once. The credentials share one key pair (the server cannot tell, and
it keeps seeding fast); each has its own id and counter. docs/performance.md has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import functools
import json
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.support

from tests.support.soft_authenticator import SoftAuthenticator, StoredCredential, cose_key, new_key

from cpuwatch import CpuWatch
from httpload import Connection, Job, Result, Run, drive_runs, error_code, post, run_loop
from seeding import seed_users
from servers import HOST, add_leg_options, leg, run_legs, serving
from twofold.app import build_runtime, close_runtime
from twofold.cli.setup import prepare
from twofold.config import Settings
from twofold.factors.webauthn.credential import Credential, credential_id_hash
from twofold.flows.clients import create_application
from twofold.security import tokens

WEBAUTHN = "urn:okta:params:oauth:grant-type:webauthn"


@dataclass(frozen=True, slots=True)
class Step:
    """One open `mfa_token` of a user whose security key the authenticator holds."""

    mfa_token: str
    client_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class Seeded:
    steps: list[Step]
    device: SoftAuthenticator


async def seed(settings: Settings, *, count: int, ttl: int) -> Seeded:
    """`count` users with an active security key and an open `mfa_token` each, and the
    software authenticator that holds every key; the tenant's `webauthn-roaming` switched on."""
    await prepare(settings, migrate_embedded=True)
    rt = await build_runtime(settings)
    try:
        rp = rt.relying_party
        device = SoftAuthenticator(rp.id, rp.origins[0], uv=False)
        key = new_key("ES256")
        public_key = cose_key(key)
        client = await create_application(rt, name="bench")
        async with rt.store.transaction() as tx:
            await tx.tenant.set_factor("webauthn-roaming", enabled=True)

        def security_key_row(user_id: str, now: dt.datetime) -> dict[str, Any]:
            credential_id = secrets.token_bytes(32)
            device.credentials[credential_id] = StoredCredential(
                credential_id=credential_id,
                key=key,
                user_handle=user_id.encode(),
                resident=False,
            )
            return _key_row(user_id, credential_id, public_key, now)

        seeded = await seed_users(
            rt,
            count=count,
            client_id=client.application.client_id,
            scope="openid profile email",
            ttl=ttl,
            authenticator=security_key_row,
        )
        steps = [
            Step(
                mfa_token=user.mfa_token,
                client_id=client.application.client_id,
                client_secret=client.client_secret or "",
            )
            for user in seeded
        ]
        return Seeded(steps=steps, device=device)
    finally:
        await close_runtime(rt)


def _key_row(
    user_id: str, credential_id: bytes, public_key: bytes, now: dt.datetime
) -> dict[str, Any]:
    """What flows/webauthn_enrolment.py stores for a registered security key."""
    credential = Credential(
        credential_id=credential_id,
        public_key=public_key,
        sign_count=0,
        aaguid="00000000-0000-0000-0000-000000000000",
        fmt="none",
        transports=("usb",),
        backup_eligible=False,
        backed_up=False,
        user_verified=False,
        discoverable=False,
        algorithm=-7,
    )
    return {
        "id": tokens.new_authenticator_id("webauthn-roaming"),
        "user_id": user_id,
        "type": "webauthn-roaming",
        "status": "active",
        "name": None,
        "oob_channel": None,
        "secret": None,
        "key_id": None,
        "secret_hash": None,
        "params": credential.to_params(),
        "last_step": 0,
        "created_at": now,
        "confirmed_at": now,
        "last_used_at": None,
        "credential_id_hash": credential_id_hash(credential_id),
    }


# The measured work --------------------------------------------------------------------------


def step_job(pool: collections.deque[Step], device: SoftAuthenticator, host: str) -> Job:
    """Challenge, sign, answer: the step a browser's `navigator.credentials.get()` sits in."""

    async def job(conn: Connection) -> str | None:
        step = pool.popleft()  # IndexError: the pool is empty
        credentials = {"client_id": step.client_id, "client_secret": step.client_secret}
        challenge = {**credentials, "mfa_token": step.mfa_token, "challenge_type": "webauthn"}
        request = post(
            host, "/mfa/challenge", json.dumps(challenge).encode(), content_type="application/json"
        )
        status, body = await conn.send(request)
        if status != 200:
            return "challenge " + error_code(status, body)
        ceremony = json.loads(body)
        answer = {
            **credentials,
            "grant_type": WEBAUTHN,
            "mfa_token": step.mfa_token,
            "auth_session": ceremony["auth_session"],
            "authn_response": device.get(ceremony["authn_params_public_key"]),
        }
        request = post(
            host, "/oauth/token", json.dumps(answer).encode(), content_type="application/json"
        )
        status, body = await conn.send(request)
        if status != 200 or b'"access_token"' not in body:
            return "grant " + error_code(status, body)
        return None

    return job


@dataclass(frozen=True, slots=True)
class Plan:
    concurrency: tuple[int, ...]
    duration: float
    warmup: float


async def measure(
    port: int, seeded: Seeded, plan: Plan, *, label: str, server_pid: int | None
) -> list[Result]:
    pool = collections.deque(seeded.steps)
    runs = [
        Run(f"{label}: webauthn step", step_job(pool, seeded.device, HOST), c, plan.duration)
        for c in plan.concurrency
    ]
    watch = functools.partial(CpuWatch, server_pid)
    return await drive_runs(HOST, port, runs, warmup=plan.warmup, watch=watch)


def run_leg(database: str, work: Path, *, args: argparse.Namespace, plan: Plan) -> list[Result]:
    with leg(database, args, work) as ready:
        settings = Settings(
            data_dir=ready.data_dir, database_url=ready.database_url, redis_url=args.redis_url
        )
        count = args.users or int(
            args.max_rate * (plan.duration + plan.warmup) * len(plan.concurrency)
        )
        began = time.perf_counter()
        seeded = asyncio.run(seed(settings, count=count, ttl=args.ttl))
        print(
            f"{database}: seeded {count} users in {time.perf_counter() - began:.1f} s", flush=True
        )
        with serving(ready.env, workers=args.workers, log=ready.log) as (port, pid):
            return run_loop(measure(port, seeded, plan, label=database, server_pid=pid))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_leg_options(parser)
    parser.add_argument("--concurrency", default="16", help="comma-separated")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--users", type=int, default=0, help="seeded steps (default: from rate)")
    parser.add_argument("--max-rate", type=int, default=1200, help="steps/s the pool must cover")
    parser.add_argument("--ttl", type=int, default=3600, help="mfa_token lifetime, seconds")
    args = parser.parse_args(argv)
    plan = Plan(
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        duration=args.duration,
        warmup=args.warmup,
    )
    run_legs(args, functools.partial(run_leg, args=args, plan=plan))


if __name__ == "__main__":
    main()
