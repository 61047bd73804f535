"""The OpenID Connect side under load: the code and refresh-token grants, and silent SSO.

    bench/oidc_code.py [--databases sqlite,postgresql] [--concurrency 16,64] [--duration 10]
                       [--steps code,refresh,authorize]

Like bench/mfa_otp.py: starts `twofold serve` on a fresh SQLite data dir, then on a fresh
PostgreSQL database, seeds straight into the store (codes through `issue_code`, refresh tokens
as a code exchange leaves them, browser sessions that passed MFA), and sends only the measured
request over HTTP:

- code: `POST /oauth/token`, `authorization_code` grant of a confidential client with PKCE
  S256, scope `openid profile email offline_access` (an access token, an ID token and a
  refresh token back); every seeded code is redeemed once;
- refresh: `POST /oauth/token`, `refresh_token` grant (rotation); every token used once;
- authorize: `GET /authorize` with the session cookie of a user who signed in with MFA,
  answered 303 to the callback with a code (the silent-SSO hop); sessions are reused.

docs/performance.md has the method and the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from cpuwatch import CpuWatch
from httpload import (
    Connection,
    Job,
    Result,
    Run,
    drive_runs,
    error_code,
    form_post,
    get,
    header,
    run_loop,
)
from oidc_seeding import SCOPE, OidcSeeded, seed_oidc
from servers import HOST, add_leg_options, leg, run_legs, serving
from twofold.config import OidcSettings, Settings
from twofold.security import pkce

STEPS = ("code", "refresh", "authorize")
SEED_CODE_TTL = 600
"""The longest code lifetime Settings allow: seeded codes must outlive seeding and the
windows before theirs (the server's own codes keep the default, 60 s)."""
BROWSER_VERIFIER = "bench-verifier-" + "v" * 40
"""/authorize only keeps the challenge; the hop's codes are never redeemed."""


# The measured work --------------------------------------------------------------------------


def code_job(seeded: OidcSeeded, host: str) -> Job:
    """The code exchange: 200 with an ID token and a refresh token."""
    client = seeded.client
    pool = collections.deque(
        form_post(
            host,
            "/oauth/token",
            {
                "grant_type": "authorization_code",
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "code": item.code,
                "redirect_uri": client.redirect_uri,
                "code_verifier": item.verifier,
            },
        )
        for item in seeded.codes
    )

    async def job(conn: Connection) -> str | None:
        status, body = await conn.send(pool.popleft())  # IndexError: the pool is empty
        if status != 200 or b'"id_token"' not in body or b'"refresh_token"' not in body:
            return error_code(status, body)
        return None

    return job


def refresh_job(seeded: OidcSeeded, host: str) -> Job:
    """One rotation: 200 with the successor refresh token."""
    client = seeded.client
    pool = collections.deque(
        form_post(
            host,
            "/oauth/token",
            {
                "grant_type": "refresh_token",
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "refresh_token": token,
            },
        )
        for token in seeded.refresh_tokens
    )

    async def job(conn: Connection) -> str | None:
        status, body = await conn.send(pool.popleft())
        if status != 200 or b'"refresh_token"' not in body or b'"id_token"' not in body:
            return error_code(status, body)
        return None

    return job


def authorize_job(seeded: OidcSeeded, host: str) -> Job:
    """Silent SSO: 303 straight to the callback with a code, no page in between."""
    client = seeded.client
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": SCOPE,
            "state": "bench-state",
            "nonce": "bench-nonce",
            "code_challenge": pkce.s256(BROWSER_VERIFIER),
            "code_challenge_method": pkce.S256,
        }
    )
    requests = itertools.cycle(
        [
            get(host, f"/authorize?{query}", cookie=f"twofold_session={session.cookie}")
            for session in seeded.sessions
        ]
    )
    expected = (client.redirect_uri + "?code=").encode()

    async def job(conn: Connection) -> str | None:
        status, head, _ = await conn.exchange(next(requests))
        location = header(head, b"location") or b""
        if status != 303 or not location.startswith(expected):
            return f"{status} to {location[:40].decode(errors='replace')}"
        return None

    return job


JOBS = {"code": code_job, "refresh": refresh_job, "authorize": authorize_job}


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[str, ...]
    concurrency: tuple[int, ...]
    duration: float
    warmup: float

    def pool_size(self, max_rate: int) -> int:
        """Seeded items one single-use step needs at `max_rate` requests/s in every window."""
        return int(max_rate * (self.duration + self.warmup) * len(self.concurrency))


async def measure(
    host: str, port: int, seeded: OidcSeeded, plan: Plan, *, label: str, server_pid: int
) -> list[Result]:
    runs = []
    for step in plan.steps:
        job = JOBS[step](seeded, host)  # one pool per step, shared by its windows
        runs += [Run(f"{label}: {step}", job, c, plan.duration) for c in plan.concurrency]
    watch = functools.partial(CpuWatch, server_pid)
    return await drive_runs(host, port, runs, warmup=plan.warmup, watch=watch)


# Legs and commands --------------------------------------------------------------------------


def run_leg(database: str, work: Path, *, args: argparse.Namespace, plan: Plan) -> list[Result]:
    with leg(database, args, work) as ready:
        settings = Settings(
            data_dir=ready.data_dir,
            database_url=ready.database_url,
            redis_url=args.redis_url,
            oidc=OidcSettings(code_ttl=SEED_CODE_TTL),
        )
        size = plan.pool_size(args.max_rate)
        codes = size if "code" in plan.steps else 0
        refresh = size if "refresh" in plan.steps else 0
        began = time.perf_counter()
        seeded = asyncio.run(seed_oidc(settings, users=args.users, codes=codes, refresh=refresh))
        print(
            f"{database}: seeded {args.users} signed-in users, {codes} codes, {refresh} "
            f"refresh tokens in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        with serving(ready.env, workers=args.workers, log=ready.log) as (port, pid):
            return run_loop(measure(HOST, port, seeded, plan, label=database, server_pid=pid))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_leg_options(parser)
    parser.add_argument(
        "--steps", default=",".join(STEPS), help="comma-separated: " + ", ".join(STEPS)
    )
    parser.add_argument("--concurrency", default="16,64", help="comma-separated")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--max-rate", type=int, default=600, help="grants/s the pools must cover")
    parser.add_argument("--users", type=int, default=256, help="signed-in users (sessions)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    steps = tuple(args.steps.split(","))
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    plan = Plan(
        steps=steps,
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        duration=args.duration,
        warmup=args.warmup,
    )
    run_legs(args, functools.partial(run_leg, args=args, plan=plan))


if __name__ == "__main__":
    main()
